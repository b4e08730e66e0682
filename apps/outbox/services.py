"""Writing outbox rows in the business transaction, nudging their delivery, and resending.

`outbox_enqueue` adds a row to the caller's transaction and, once it commits, nudges a
Celery task (best effort: a broker that is down is logged, never raised). Delivery itself
(claim, handler, record, backoff, sweep) is in `delivery.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.outbox.registry import OutboxKind, outbox_kind

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

logger = logging.getLogger(__name__)

# How long a failing message is retried before it gives up (a kind may say otherwise).
GIVE_UP_AFTER = timedelta(hours=48)


# The messages of the innermost open `outbox_batch`, waiting for its single INSERT.
_batch: ContextVar[list[tuple[OutboxMessage, OutboxKind]] | None] = ContextVar(
    "outbox_batch", default=None
)


class OutboxError(Exception):
    """A refused outbox operation (shown to the admin)."""


class OutboxMessageMissing(OutboxError):
    """No such message in this program (the view answers 404)."""


def outbox_enqueue(
    *,
    tenant: Tenant | None,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    not_before: datetime | None = None,
    summary: str = "",
) -> OutboxMessage | None:
    """Write one message in the caller's transaction (or a transaction of its own) and nudge
    its delivery once that commits. `payload` must be JSON (ids, not objects).

    `dedupe_key`: a second message with the same key (in the program) is not written; None
    is returned instead. `not_before`: deliver no earlier (the sweep picks it up then).
    """
    entry = outbox_kind(kind)  # a kind nobody handles is a programming error: fail now
    if not transaction.get_connection().in_atomic_block:
        with transaction.atomic():
            return outbox_enqueue(
                tenant=tenant,
                kind=kind,
                payload=payload,
                dedupe_key=dedupe_key,
                not_before=not_before,
                summary=summary,
            )
    now = timezone.now()
    due = max(now, not_before) if not_before is not None else now
    message = OutboxMessage(
        tenant=tenant,
        kind=kind,
        payload=payload,
        summary=summary[:200],
        next_attempt_at=due,
        give_up_at=now + (entry.give_up_after or GIVE_UP_AFTER),
        created_at=now,
        dedupe_key=dedupe_key,
    )
    batch = _batch.get()
    if dedupe_key is None and batch is not None:
        batch.append((message, entry))  # written (and its pk set) when the batch closes
        return message
    if dedupe_key is None:
        message.save(force_insert=True)
    else:
        try:
            with transaction.atomic():
                message.save(force_insert=True)
        except IntegrityError:
            return None  # already queued
    if due <= now:
        _nudge_on_commit(message_id=message.pk, entry=entry)
    return message


@contextmanager
def outbox_batch() -> Iterator[None]:
    """Write the messages enqueued inside (those without a `dedupe_key`) in one INSERT when
    the block ends without an exception, each nudged after the commit as `outbox_enqueue`
    does; an exception discards them. Use it inside the business transaction (a decision
    writes its emails, notifications and auto-advance requests together).

    Batches nest: an inner batch hands its messages to the outer one, or drops them when
    it ends with an exception. So wrap in an inner batch any savepoint whose failure the
    code catches, and the messages of the rolled-back work are never written.
    A batched message has no pk until the outermost batch closes.
    """
    parent = _batch.get()
    mine: list[tuple[OutboxMessage, OutboxKind]] = []
    token = _batch.set(mine)
    try:
        yield
    finally:
        _batch.reset(token)
    if parent is not None:
        parent.extend(mine)
    elif mine:
        _batch_write(mine)


def _batch_write(batch: list[tuple[OutboxMessage, OutboxKind]]) -> None:
    OutboxMessage.objects.bulk_create([message for message, _entry in batch])
    for message, entry in batch:
        if message.next_attempt_at <= message.created_at:  # due when enqueued
            _nudge_on_commit(message_id=message.pk, entry=entry)


def outbox_enqueue_many(
    *, tenant: Tenant | None, kind: str, payloads: list[dict[str, Any]], summaries: list[str]
) -> int:
    """Write one message per payload in one INSERT (a CSV import's invitations), in the
    caller's transaction; after the commit one sweep is nudged to deliver them all."""
    entry = outbox_kind(kind)
    if not payloads:
        return 0
    now = timezone.now()
    rows = [
        OutboxMessage(
            tenant=tenant,
            kind=kind,
            payload=payload,
            summary=summary[:200],
            next_attempt_at=now,
            give_up_at=now + (entry.give_up_after or GIVE_UP_AFTER),
            created_at=now,
        )
        for payload, summary in zip(payloads, summaries, strict=True)
    ]
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(rows)
        transaction.on_commit(outbox_sweep_nudge)
    return len(rows)


def outbox_sweep_nudge() -> bool:
    """Ask a worker to run the sweep now (best effort, as `outbox_nudge`)."""
    try:
        from apps.outbox.tasks import outbox_sweep

        outbox_sweep.apply_async(retry=False)
    except Exception:  # noqa: BLE001 - never raise after the caller's commit
        logger.warning("outbox: could not nudge the sweep; beat will run it", exc_info=True)
        return False
    return True


def _nudge_on_commit(*, message_id: int, entry: OutboxKind) -> None:
    queue = entry.queue
    transaction.on_commit(lambda: outbox_nudge(message_id=message_id, queue=queue))


def outbox_nudge(*, message_id: int, queue: str | None = None) -> bool:
    """Ask a worker to deliver one message now. Best effort: any failure (the broker is
    down) is logged and False returned; the sweep delivers the message later."""
    try:
        from apps.outbox.tasks import outbox_deliver

        options: dict[str, Any] = {"retry": False}
        if queue:
            options["queue"] = queue
        outbox_deliver.apply_async((message_id,), **options)
    except Exception:  # noqa: BLE001 - never raise after the caller's commit
        logger.warning(
            "outbox: could not nudge the delivery of message %s; the sweep will deliver it",
            message_id,
            exc_info=True,
        )
        return False
    return True


@transaction.atomic
def outbox_message_resend(*, tenant: Tenant, actor: Any, message_id: int) -> OutboxMessage:
    """Try a failing or given-up message again now, with a fresh 48 hours; audited."""
    from apps.audit.services import audit_record
    from apps.outbox import verbs

    message = (
        OutboxMessage.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=message_id)
        .first()
    )
    if message is None:
        raise OutboxMessageMissing(_("That message does not exist."))
    now = timezone.now()
    if message.status == OutboxStatus.DELIVERED:
        raise OutboxError(_("That message was already delivered."))
    if message.lease_until is not None and message.lease_until > now:
        raise OutboxError(_("That message is being delivered right now: try again in a minute."))
    before = {"status": message.status, "attempts": message.attempts}
    message.status = OutboxStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.give_up_at = now + (outbox_kind(message.kind).give_up_after or GIVE_UP_AFTER)
    message.lease_until = None
    message.save(
        update_fields=["status", "attempts", "next_attempt_at", "give_up_at", "lease_until"]
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.OUTBOX_MESSAGE_RESENT,
        target=message,
        data={
            "kind": message.kind,
            "summary": message.summary,
            "from": before,
            "to": {"status": OutboxStatus.PENDING, "attempts": 0},
        },
    )
    _nudge_on_commit(message_id=message.pk, entry=outbox_kind(message.kind))
    return message
