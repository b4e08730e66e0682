"""Audit events become deliveries in the same transaction: set-based, only to the program's
own subscribed active endpoints, nothing for a rolled-back change, and no query at all for a
program without endpoints."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.audit.services import AuditEntry, audit_record, audit_record_many
from apps.outbox.models import OutboxMessage
from apps.partners.models import PartnerAccount
from apps.partners.services.status import partner_suspend
from apps.webhooks.emission import DELIVERY_KIND, event_id_for, subscriptions_for
from apps.webhooks.events import event_types_for, pattern_matches, patterns_normalise
from apps.webhooks.services import webhook_endpoint_delete, webhook_endpoint_update
from tests.webhooks.conftest import deliveries, endpoint_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receiver_allowed")]

URL = "http://127.0.0.1:9/hook"


class Boom(Exception):
    pass


def _statements(queries):
    """The captured statements, savepoints aside."""
    return [
        q["sql"][:80]
        for q in queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _record(program, verb="partner.updated", data=None):
    with scope(tenant=program.tenant):
        return audit_record(
            tenant=program.tenant,
            actor=program.admin,
            verb=verb,
            target=program.partner,
            partner_id=program.partner.pk,
            data=data or {"fields": "tier"},
        )


def _entries(program, n):
    return [
        AuditEntry(
            tenant_id=program.tenant.pk,
            verb="partner.updated",
            target_type=PartnerAccount._meta.label_lower,
            target_id=program.partner.pk,
            target_label=program.partner.name,
            partner_id=program.partner.pk,
            data={"n": i},
        )
        for i in range(n)
    ]


def test_mapping_of_verbs_to_event_types():
    assert event_types_for("partner.created", {}) == ("partner.created",)
    assert event_types_for("partner.imported", {}) == ("partner.created",)
    assert event_types_for("application.confirmed", {}) == ("application.submitted",)
    assert event_types_for("stage.moved", {"from": "Kick-off", "to": "Training"}) == (
        "stage.completed",
        "stage.advanced",
    )
    # Entering the first stage completes none.
    assert event_types_for("stage.moved", {"from": None, "to": "Kick-off"}) == ("stage.advanced",)
    assert event_types_for("webhook.created", {}) == ()
    assert event_types_for("partner.saved_view_created", {}) == ()


def test_patterns():
    assert pattern_matches(["application.*"], "application.approved")
    assert not pattern_matches(["application.*"], "partner.created")
    assert pattern_matches(["*"], "alert.raised")
    assert pattern_matches(["partner.created"], "partner.created")
    assert not pattern_matches(["partner.created"], "partner.updated")
    assert patterns_normalise(["partner.created", "partner.*", "action.skipped"]) == [
        "action.skipped",
        "partner.*",
    ]
    assert patterns_normalise(["*", "partner.*"]) == ["*"]
    with pytest.raises(ValueError):
        patterns_normalise(["partner.deleted"])
    with pytest.raises(ValueError):
        patterns_normalise(["onboarding.*.*"])


def test_a_program_without_endpoints_costs_no_query(acme):
    _record(acme)  # warms the program's cached subscriptions (an empty list)
    with CaptureQueriesContext(connection) as queries:
        _record(acme)
    assert len(queries) == 1, [q["sql"] for q in queries]  # the audit INSERT alone
    with CaptureQueriesContext(connection) as queries, scope(tenant=acme.tenant):
        audit_record_many(actor=None, entries=_entries(acme, 50))
    assert len(queries) == 1
    assert deliveries() == []


def test_deliveries_are_written_set_based(acme):
    endpoint_create(acme, URL, ["partner.*"])
    endpoint_create(acme, URL + "2", ["*"])
    endpoint_create(acme, URL + "3", ["application.*"])  # not subscribed
    _record(acme)  # warms the cache
    with CaptureQueriesContext(connection) as one, scope(tenant=acme.tenant):
        audit_record_many(actor=None, entries=_entries(acme, 1))
    with CaptureQueriesContext(connection) as fifty, scope(tenant=acme.tenant):
        audit_record_many(actor=None, entries=_entries(acme, 50))
    # Audit INSERT, deliveries INSERT, outbox INSERT: the same three for 1 or 50 events.
    assert len(_statements(one)) == len(_statements(fifty)) == 3, _statements(fifty)
    assert len(deliveries()) == 2 + 2 + 100
    with scopes_disabled():
        assert OutboxMessage.objects.filter(kind=DELIVERY_KIND).count() == 104


def test_each_event_has_one_id_for_every_endpoint(acme):
    endpoint_create(acme, URL, ["partner.*"])
    endpoint_create(acme, URL + "2", ["partner.updated"])
    event = _record(acme)
    rows = deliveries()
    assert len(rows) == 2
    assert {r.event_id for r in rows} == {event_id_for(event, "partner.updated")}
    assert rows[0].payload == rows[1].payload
    assert rows[0].partner_id == acme.partner.pk


def test_a_rolled_back_change_emits_nothing(acme):
    endpoint_create(acme, URL, ["partner.*"])
    with pytest.raises(Boom), transaction.atomic():
        _record(acme)
        assert len(deliveries()) == 1
        raise Boom
    assert deliveries() == []
    with scopes_disabled():
        assert not OutboxMessage.objects.filter(kind=DELIVERY_KIND).exists()


def test_events_go_only_to_their_own_programs_endpoints(acme, globex):
    endpoint_create(acme, URL, ["*"])
    endpoint_create(globex, URL, ["*"])
    _record(acme)
    (row,) = deliveries()
    assert row.tenant_id == acme.tenant.pk and row.endpoint.tenant_id == acme.tenant.pk
    # A platform sweep recording several programs' events at once.
    with scopes_disabled():
        audit_record_many(actor=None, entries=[*_entries(acme, 2), *_entries(globex, 3)])
    rows = deliveries()
    assert sum(r.tenant_id == globex.tenant.pk for r in rows) == 3
    assert all(r.endpoint.tenant_id == r.tenant_id for r in rows)
    assert {r.payload["program"] for r in rows} == {"acme", "globex"}


def test_endpoint_changes_reach_the_emitter_at_once(acme):
    created = endpoint_create(acme, URL, ["application.*"])
    _record(acme)
    assert deliveries() == []
    with scope(tenant=acme.tenant):
        webhook_endpoint_update(
            tenant=acme.tenant,
            actor=acme.admin,
            endpoint_id=created.endpoint.pk,
            event_types=["partner.updated"],
        )
    _record(acme)
    assert len(deliveries()) == 1
    with scope(tenant=acme.tenant):
        webhook_endpoint_delete(
            tenant=acme.tenant, actor=acme.admin, endpoint_id=created.endpoint.pk
        )
    assert subscriptions_for(acme.tenant.pk)["endpoints"] == []
    _record(acme)
    assert len(deliveries()) == 1


def test_a_real_service_emits_through_the_audit_log(acme):
    endpoint_create(acme, URL, ["partner.suspended"])
    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk)
    (row,) = deliveries()
    assert row.event_type == "partner.suspended" and row.payload["data"]["actor"] == {
        "label": acme.admin.email
    }
