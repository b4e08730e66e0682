"""The partner event log: one event (idempotent by key), and the set-based writes the
milestones sweep makes."""

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction

from apps.audit.services import AuditEntry, audit_record_many
from apps.partners import verbs
from apps.partners.models import (
    PartnerAccount,
    PartnerEvent,
)
from apps.partners.services.errors import PartnerError
from apps.partners.verbs import EVENT_SOURCES, event_type_require
from apps.tenancy.models import Tenant


def partner_event_record(
    *,
    tenant: Tenant,
    account_id: int,
    type: str,
    source: str,
    occurred_at=None,
    reference: str = "",
    data: dict | None = None,
    idempotency_key: str = "",
    actor=None,
) -> tuple[PartnerEvent, bool]:
    """Append an event to the partner's log. Returns (event, created).

    With an `idempotency_key`, recording the same key again returns the first event and
    creates nothing (the database's unique index decides, so concurrent retries are safe).
    The type must be declared in an app's `verbs.py` (else `UnknownVerb`), unless an
    external system sent it (see `apps.partners.verbs`).
    """
    from django.utils import timezone

    if source not in EVENT_SOURCES:
        raise PartnerError(f"Unknown event source “{source}”.")
    type = type.strip().lower()
    if not type or len(type) > 80:
        raise PartnerError("An event needs a type of at most 80 characters.")
    event_type_require(type=type, source=source)
    fields = {
        "tenant": tenant,
        "account_id": account_id,
        "type": type,
        "source": source,
        "occurred_at": occurred_at or timezone.now(),
        "reference": reference[:200],
        "data": data or {},
        "recorded_by": actor,
    }
    if not idempotency_key:
        return PartnerEvent.objects.create(**fields), True
    try:
        with transaction.atomic():
            return PartnerEvent.objects.create(idempotency_key=idempotency_key, **fields), True
    except IntegrityError:
        return PartnerEvent.objects.get(tenant=tenant, idempotency_key=idempotency_key), False


# --- Set-based writes for higher layers (the milestones sweep) -------------------------------

# A SELECT or WITH body handed to the set-based services below: SQL text and its parameters.
SqlQuery = tuple[str, Sequence[Any] | Mapping[str, Any]]

# The columns of the SELECT `partner_events_record_many` inserts, in this order.
PARTNER_EVENT_ROW_COLUMNS = (
    "tenant_id",
    "account_id",
    "type",
    "occurred_at",
    "reference",
    "data",
    "idempotency_key",
    "recorded_by_id",
)


def partner_events_record_many(
    *, source: str, types: Collection[str], rows: SqlQuery, now: datetime
) -> int:
    """Append the events a higher layer's SELECT yields, in one `INSERT … SELECT`: the
    set-based `partner_event_record` (e.g. the content library's opens, every tenant at once).

    `rows` returns PARTNER_EVENT_ROW_COLUMNS with positional (`%s`) parameters; `types` are
    the event types it may yield, each declared (else `UnknownVerb`); other rows are skipped.
    Every event needs an idempotency key: a key already recorded (by an earlier run, or a
    concurrent one) is skipped, so re-reading the same rows records nothing twice.
    Returns how many events were recorded.
    """
    if source not in EVENT_SOURCES:
        raise PartnerError(f"Unknown event source “{source}”.")
    for name in types:
        event_type_require(type=name, source=source)
    sql, params = rows
    columns = ", ".join(PARTNER_EVENT_ROW_COLUMNS)
    picked = ", ".join(f"s.{column}" for column in PARTNER_EVENT_ROW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {PartnerEvent._meta.db_table} ({columns}, source, created_at)
            SELECT {picked}, %s, %s FROM ({sql}) AS s
            WHERE s.idempotency_key <> '' AND s.type = ANY(%s)
            ON CONFLICT (tenant_id, idempotency_key) WHERE NOT (idempotency_key = '')
            DO NOTHING
            """,  # noqa: S608 - the table and columns are constants, values are parameters
            [source, now, *params, sorted(types)],
        )
        return cursor.rowcount


def _timestamps(activated_at: datetime | None, dark_since: datetime | None) -> dict[str, Any]:
    return {
        "activated_at": activated_at.isoformat() if activated_at else None,
        "dark_since": dark_since.isoformat() if dark_since else None,
    }


def _partner_accounts_update_many(
    *, changes: SqlQuery, assignments: str, condition: str, verb: str
) -> list[tuple[int, int]]:
    """One `UPDATE` of the accounts a WITH body's `changes` query yields, audited with the
    activation and dark timestamps before and after."""
    sql, params = changes
    table = PartnerAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {sql}
            UPDATE {table} a SET {assignments}
              FROM changes JOIN {table} old ON old.id = changes.account_id
             WHERE a.id = changes.account_id {condition}
            RETURNING a.id, a.tenant_id, a.name, old.activated_at, old.dark_since,
                      a.activated_at, a.dark_since
            """,  # noqa: S608 - fixed fragments, values are parameters
            params,
        )
        rows = cursor.fetchall()
    audit_record_many(
        actor=None,
        entries=(
            AuditEntry(
                tenant_id=tenant_id,
                verb=verb,
                target_type=PartnerAccount._meta.label_lower,
                target_id=account_id,
                target_label=name,
                partner_id=account_id,
                data={
                    "from": _timestamps(old_activated, old_dark),
                    "to": _timestamps(new_activated, new_dark),
                },
            )
            for (
                account_id,
                tenant_id,
                name,
                old_activated,
                old_dark,
                new_activated,
                new_dark,
            ) in rows
        ),
    )
    return [(row[0], row[1]) for row in rows]


def partner_accounts_activate_many(*, changes: SqlQuery) -> list[tuple[int, int]]:
    """Mark activated, in one statement, the accounts a higher layer's query yields: the
    first activation moment is kept, the dark flag cleared; each audited (system actor, from
    and to). Returns (account id, tenant id) of each.

    `changes` is the body of a WITH clause whose last query, named `changes`, returns
    (account_id, at). A WITH body rather than a subquery, so that the caller's own write
    (milestones marking its tracks activated) is part of the same statement.
    """
    return _partner_accounts_update_many(
        changes=changes,
        assignments="activated_at = COALESCE(a.activated_at, changes.at), dark_since = NULL",
        condition="",
        verb=verbs.PARTNER_ACTIVATED,
    )


def partner_accounts_mark_dark_many(*, changes: SqlQuery) -> list[tuple[int, int]]:
    """Mark dark since `at`, in one statement, the accounts (not activated) a higher layer's
    query yields; each audited (system actor, from and to). `changes` as for
    `partner_accounts_activate_many`. Returns (account id, tenant id) of each."""
    return _partner_accounts_update_many(
        changes=changes,
        assignments="dark_since = changes.at",
        condition="AND a.activated_at IS NULL",
        verb=verbs.PARTNER_WENT_DARK,
    )
