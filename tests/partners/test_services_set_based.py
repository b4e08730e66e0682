"""The set-based services higher layers call (the milestones sweep): partner events from a
SELECT, accounts activated or dark from a WITH body, each one statement, audited."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.audit.vocabulary import UnknownVerb
from apps.partners.models import PartnerAccount, PartnerEvent
from apps.partners.selectors import (
    partner_account_activity_all_tenants,
    partner_event_rows_all_tenants,
)
from apps.partners.services import (
    PartnerError,
    partner_accounts_activate_many,
    partner_accounts_mark_dark_many,
    partner_event_record,
    partner_events_record_many,
)

pytestmark = pytest.mark.django_db

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _rows(program, keys):
    """A SELECT of one `asset.viewed` event per key, for the program's two partners."""
    selects = " UNION ALL ".join(
        "SELECT %s::bigint AS tenant_id, %s::bigint AS account_id, 'asset.viewed' AS type, "
        "%s::timestamptz AS occurred_at, 'asset:1' AS reference, '{}'::jsonb AS data, "
        "%s AS idempotency_key, NULL::bigint AS recorded_by_id"
        for _ in keys
    )
    params = []
    for account, key in keys:
        params += [program.tenant.pk, account.pk, AT, key]
    return selects, params


def _events(program):
    with scope(tenant=program.tenant):
        return list(
            PartnerEvent.objects.filter(tenant=program.tenant)
            .order_by("idempotency_key")
            .values_list("account_id", "type", "source", "idempotency_key")
        )


def test_events_from_a_select_are_recorded_once_each(acme):
    rows = _rows(acme, [(acme.partner, "k:1"), (acme.other_partner, "k:2"), (acme.partner, "")])
    with CaptureQueriesContext(connection) as ctx:
        recorded = partner_events_record_many(
            source="content", types={"asset.viewed"}, rows=rows, now=AT
        )
    assert len(ctx.captured_queries) == 1
    assert recorded == 2  # the row without an idempotency key is skipped
    # Reading the same rows again records nothing.
    before = _events(acme)
    assert (
        partner_events_record_many(source="content", types={"asset.viewed"}, rows=rows, now=AT) == 0
    )
    assert _events(acme) == before
    assert before == [
        (acme.partner.pk, "asset.viewed", "content", "k:1"),
        (acme.other_partner.pk, "asset.viewed", "content", "k:2"),
    ]


def test_events_of_another_type_or_source_are_refused(acme):
    rows = _rows(acme, [(acme.partner, "k:1")])
    with pytest.raises(PartnerError):
        partner_events_record_many(source="nowhere", types={"asset.viewed"}, rows=rows, now=AT)
    with pytest.raises(UnknownVerb):
        partner_events_record_many(source="content", types={"made.up"}, rows=rows, now=AT)
    # A row whose type was not announced is skipped.
    assert (
        partner_events_record_many(source="content", types={"article.read"}, rows=rows, now=AT) == 0
    )
    assert _events(acme) == []


def _changes(program, accounts, at):
    return (
        "changes AS (SELECT id AS account_id, %(at)s::timestamptz AS at "
        "FROM partners_partneraccount WHERE id = ANY(%(ids)s))",
        {"at": at, "ids": [a.pk for a in accounts]},
    )


def test_accounts_go_dark_and_activate_in_one_statement_each_with_from_and_to(acme):
    dark_at = datetime(2026, 2, 1, tzinfo=UTC)
    with CaptureQueriesContext(connection) as ctx:
        dark = partner_accounts_mark_dark_many(
            changes=_changes(acme, [acme.partner, acme.other_partner], dark_at)
        )
    assert len(ctx.captured_queries) == 2  # the UPDATE, and the audit INSERT
    assert sorted(dark) == sorted(
        [(acme.partner.pk, acme.tenant.pk), (acme.other_partner.pk, acme.tenant.pk)]
    )
    activated = partner_accounts_activate_many(changes=_changes(acme, [acme.partner], AT))
    assert activated == [(acme.partner.pk, acme.tenant.pk)]
    # Activated again later: the first moment stays.
    partner_accounts_activate_many(changes=_changes(acme, [acme.partner], datetime.now(UTC)))
    # An activated account does not go dark.
    assert partner_accounts_mark_dark_many(changes=_changes(acme, [acme.partner], AT)) == []
    with scope(tenant=acme.tenant):
        partner = PartnerAccount.objects.get(pk=acme.partner.pk)
        other = PartnerAccount.objects.get(pk=acme.other_partner.pk)
        audits = list(
            AuditEvent.objects.filter(partner_id=acme.partner.pk, verb__startswith="partner.")
            .filter(verb__in=["partner.went_dark", "partner.activated"])
            .order_by("id")
            .values_list("verb", "actor_label", "data")
        )
    assert partner.activated_at == AT and partner.dark_since is None
    assert other.activated_at is None and other.dark_since == dark_at
    assert audits[:2] == [
        (
            "partner.went_dark",
            "system",
            {
                "from": {"activated_at": None, "dark_since": None},
                "to": {"activated_at": None, "dark_since": dark_at.isoformat()},
            },
        ),
        (
            "partner.activated",
            "system",
            {
                "from": {"activated_at": None, "dark_since": dark_at.isoformat()},
                "to": {"activated_at": AT.isoformat(), "dark_since": None},
            },
        ),
    ]


def test_the_selectors_for_set_based_statements_read_every_tenant(acme, globex):
    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(status="suspended")
    activity = {row["id"]: row["is_active"] for row in partner_account_activity_all_tenants()}
    assert activity[acme.partner.pk] is True
    assert activity[acme.other_partner.pk] is False
    assert activity[globex.partner.pk] is True
    ids = []
    for program in (acme, globex):
        with scope(tenant=program.tenant):
            event, _ = partner_event_record(
                tenant=program.tenant, account_id=program.partner.pk, type="x.y", source="api"
            )
        ids.append(event.pk)
    rows = partner_event_rows_all_tenants(event_ids=ids)
    assert sorted((row["id"], row["tenant_id"], row["type"]) for row in rows) == [
        (ids[0], acme.tenant.pk, "x.y"),
        (ids[1], globex.tenant.pk, "x.y"),
    ]
    since = partner_event_rows_all_tenants(since=AT.replace(year=2000))
    assert {row["id"] for row in since} >= set(ids)
    of_acme = partner_event_rows_all_tenants(account_ids=[acme.partner.pk])
    assert {row["account_id"] for row in of_acme} == {acme.partner.pk}
    assert ids[0] in {row["id"] for row in of_acme}
    with pytest.raises(ValueError):
        partner_event_rows_all_tenants()
