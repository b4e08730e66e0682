"""Turning audit events into webhook deliveries, in the transaction that records them.

The audit recorder hands every batch of events it records to `webhook_events_emit` (an audit
listener, registered in apps.py). Most verbs emit nothing and cost nothing. For the others the
program's subscriptions are read from the cache (one query on a miss, then cached; a program
without endpoints is cached too, so it costs no query after the first); each event is then
written as one delivery per subscribed active endpoint, and one outbox message each, in two
INSERTs whatever the number of events. The change, its audit events, its deliveries and their
outbox messages commit or roll back together: a delivery is never lost, nor sent for a change
that did not happen.

Events with no audit event behind them (the milestones sweep's: a milestone achieved or
missed, an alert raised) are emitted directly by the statement that makes them happen, with
`webhook_emit_many`: the same cached subscriptions, the same payload and the same two
INSERTs. Such a caller first asks `webhook_programs_subscribed_all_tenants` which programs
listen at all (one cached value for every program), so that building the events costs
nothing for programs nobody listens to.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from apps.outbox.services import outbox_batch, outbox_enqueue, outbox_enqueue_many
from apps.webhooks.events import DIRECT_EVENTS, event_types_for, pattern_matches
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.selectors import (
    webhook_programs_patterns_all_tenants,
    webhook_subscriptions_all_tenants,
)

if TYPE_CHECKING:
    from apps.audit.models import AuditEvent

DELIVERY_KIND = "webhooks.deliver"
# A program's subscriptions stay cached this long at most (dropped at once when an endpoint
# changes; the TTL only bounds a reader that raced that change).
SUBSCRIPTIONS_TTL = 120
# Up to this many deliveries at once are each nudged to a worker (parallel, at once); more
# (an import) are written in one INSERT and delivered by the sweep.
NUDGE_EACH_UP_TO = 20
# Event ids are derived from the audit event and the type: the same change always has the
# same id, whatever re-runs it.
EVENT_NAMESPACE = uuid.UUID("0b7d3a52-6f55-4ad4-9a0e-4f6f1a3c7e21")


# Every program's subscribed patterns, in one value (the direct emitters' first look). Dropped
# at once on any endpoint change, like the above; kept longer, so that a sweep every minute
# reads it from the cache nearly always (it only skips programs nobody listens to: the
# deliveries themselves follow `subscriptions_for`).
PROGRAMS_KEY = "webhooks:programs"
PROGRAMS_TTL = 600


def _subscriptions_key(tenant_id: int) -> str:
    return f"webhooks:subscriptions:{tenant_id}"


def subscriptions_for(tenant_id: int) -> dict[str, Any]:
    """The program's slug and active endpoints with their patterns (cached)."""
    key = _subscriptions_key(tenant_id)
    value = cache.get(key)
    if value is None:
        value = webhook_subscriptions_all_tenants(tenant_id=tenant_id)
        cache.add(key, value, SUBSCRIPTIONS_TTL)
    return value


def subscriptions_changed(*, tenant_id: int) -> None:
    """An endpoint of the program changed: forget its subscriptions (and the list of every
    program's) now and at the commit."""
    keys = [_subscriptions_key(tenant_id), PROGRAMS_KEY]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def webhook_programs_subscribed_all_tenants(*, event_type: str) -> set[int]:
    """The programs with an active endpoint that receives `event_type` (cached for every
    program at once: no query while warm, one query of the endpoints table on a miss)."""
    value = cache.get(PROGRAMS_KEY)
    if value is None:
        value = webhook_programs_patterns_all_tenants()
        cache.add(PROGRAMS_KEY, value, PROGRAMS_TTL)
    return {tenant_id for tenant_id, patterns in value if pattern_matches(patterns, event_type)}


def iso(moment: datetime) -> str:
    """An aware time as ISO 8601 UTC with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_id_for(event: AuditEvent, event_type: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"audit:{event.pk}:{event_type}")


def event_payload(
    *, event_id: uuid.UUID, event_type: str, created_at: datetime, program: str, data: dict
) -> dict[str, Any]:
    """The JSON body of a webhook (docs/webhooks.md)."""
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": iso(created_at),
        "program": program,
        "data": data,
    }


def event_data(
    *,
    partner_id: int | None,
    target_type: str,
    target_id: Any,
    target_label: str,
    actor_label: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    """The payload's `data` (docs/webhooks.md), whatever emits the event."""
    return {
        "partner_id": partner_id,
        "target": {"type": target_type, "id": target_id, "label": target_label},
        "actor": {"label": actor_label},
        "details": details,
    }


def audit_event_payload(event: AuditEvent, event_type: str, *, program: str) -> dict[str, Any]:
    return event_payload(
        event_id=event_id_for(event, event_type),
        event_type=event_type,
        created_at=event.created_at or timezone.now(),
        program=program,
        data=event_data(
            partner_id=event.partner_id,
            target_type=event.target_type,
            target_id=event.target_id,
            target_label=event.target_label,
            actor_label=event.actor_label,
            details=event.data if isinstance(event.data, dict) else {},
        ),
    )


def webhook_events_emit(events: Sequence[AuditEvent]) -> None:
    """The audit listener: queue a delivery of each event to each endpoint subscribed."""
    emitted = [
        (event, types) for event in events if (types := event_types_for(event.verb, event.data))
    ]
    if not emitted:
        return
    subscriptions = {
        tenant_id: subscriptions_for(tenant_id)
        for tenant_id in sorted({event.tenant_id for event, _types in emitted})
    }
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    for event, types in emitted:
        program = subscriptions[event.tenant_id]
        if not program["endpoints"]:
            continue
        for event_type in types:
            payload: dict[str, Any] | None = None
            for endpoint_id, patterns in program["endpoints"]:
                if not pattern_matches(patterns, event_type):
                    continue
                payload = payload or audit_event_payload(
                    event, event_type, program=program["program"]
                )
                rows.append(
                    WebhookDelivery(
                        tenant_id=event.tenant_id,
                        endpoint_id=endpoint_id,
                        event_id=payload["id"],
                        event_type=event_type,
                        partner_id=event.partner_id,
                        payload=payload,
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
    deliveries_enqueue(rows)


@dataclass(frozen=True)
class DirectEvent:
    """One event emitted without an audit event behind it. `key` names the change for good
    (`partnermilestone:12`): the event id derives from it and the type, so a re-run of
    whatever emits it yields the same id, and is not written twice."""

    tenant_id: int
    key: str
    partner_id: int | None
    target_type: str
    target_id: int | str
    target_label: str
    details: dict[str, Any] = field(default_factory=dict)
    actor_label: str = "system"


def direct_event_id(event_type: str, key: str) -> uuid.UUID:
    return uuid.uuid5(EVENT_NAMESPACE, f"{event_type}:{key}")


def webhook_emit_many(
    *, event_type: str, events: Iterable[DirectEvent], created_at: datetime | None = None
) -> int:
    """Queue a delivery of each event (of `event_type`, one of DIRECT_EVENTS) to each active
    endpoint of its program that subscribes to the type, in the caller's transaction: the
    deliveries in one INSERT and their outbox messages in one more, whatever the number of
    events. An event already written for an endpoint (same id) is not written again.
    `created_at` is the moment of the change (default now). Returns the deliveries written."""
    if event_type not in DIRECT_EVENTS:
        raise ValueError(event_type)
    now = timezone.now()
    by_tenant: dict[int, list[DirectEvent]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, []).append(event)
    rows: list[WebhookDelivery] = []
    for tenant_id in sorted(by_tenant):
        program = subscriptions_for(tenant_id)
        endpoint_ids = [
            endpoint_id
            for endpoint_id, patterns in program["endpoints"]
            if pattern_matches(patterns, event_type)
        ]
        if not endpoint_ids:
            continue
        for event in by_tenant[tenant_id]:
            event_id = direct_event_id(event_type, event.key)
            payload = event_payload(
                event_id=event_id,
                event_type=event_type,
                created_at=created_at or now,
                program=program["program"],
                data=event_data(
                    partner_id=event.partner_id,
                    target_type=event.target_type,
                    target_id=str(event.target_id),
                    target_label=event.target_label,
                    actor_label=event.actor_label,
                    details=event.details,
                ),
            )
            rows += [
                WebhookDelivery(
                    tenant_id=tenant_id,
                    endpoint_id=endpoint_id,
                    event_id=event_id,
                    event_type=event_type,
                    partner_id=event.partner_id,
                    payload=payload,
                    created_at=now,
                    next_attempt_at=now,
                )
                for endpoint_id in endpoint_ids
            ]
    rows = _not_yet_written(rows)
    deliveries_enqueue(rows)
    return len(rows)


def _not_yet_written(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """`rows` but those whose event was already written for their endpoint (one query, only
    when there are rows): a re-emitted event never trips the unique constraint, which would
    roll back the caller's whole transaction."""
    if not rows:
        return rows
    with scopes_disabled():
        written = set(
            WebhookDelivery.objects.filter(
                tenant_id__in={row.tenant_id for row in rows},
                event_id__in={row.event_id for row in rows},
            ).values_list("endpoint_id", "event_id")
        )
    fresh: list[WebhookDelivery] = []
    for row in rows:
        if (row.endpoint_id, row.event_id) not in written:
            written.add((row.endpoint_id, row.event_id))
            fresh.append(row)
    return fresh


def deliveries_enqueue(rows: list[WebhookDelivery]) -> None:
    """Write `rows` and an outbox message sending each, in the caller's transaction (or in
    one of their own)."""
    if not rows:
        return
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            deliveries_enqueue(rows)
        return
    WebhookDelivery.objects.bulk_create(rows)
    if len(rows) <= NUDGE_EACH_UP_TO:
        with outbox_batch():  # one INSERT; each message nudged after the commit
            for row in rows:
                delivery_enqueue(row)
        return
    by_tenant: dict[int, list[WebhookDelivery]] = {}
    for row in rows:
        by_tenant.setdefault(row.tenant_id, []).append(row)
    for tenant_id, tenant_rows in by_tenant.items():
        outbox_enqueue_many(
            tenant=_tenant_ref(tenant_id),
            kind=DELIVERY_KIND,
            payloads=[message_payload(row) for row in tenant_rows],
            summaries=[_summary(row) for row in tenant_rows],
        )


def message_payload(delivery: WebhookDelivery) -> dict[str, Any]:
    """What the outbox message of a delivery carries: ids only."""
    return {"delivery_id": delivery.pk, "generation": delivery.generation}


def _summary(delivery: WebhookDelivery) -> str:
    return f"{delivery.event_type} {delivery.event_id}"


def _tenant_ref(tenant_id: int) -> Any:
    """A Tenant instance by id without a query (the outbox row needs only its id)."""
    from apps.tenancy.models import Tenant

    return Tenant(pk=tenant_id)


def delivery_enqueue(delivery: WebhookDelivery) -> None:
    outbox_enqueue(
        tenant=_tenant_ref(delivery.tenant_id),
        kind=DELIVERY_KIND,
        payload=message_payload(delivery),
        summary=_summary(delivery),
    )
