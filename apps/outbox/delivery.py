"""Delivering outbox rows: claim a row with a lease, run its handler inside the tenant's
scope and mark it delivered; a failure is retried with exponential backoff (capped at an
hour) until the row gives up (48 hours after it was written, unless its kind says otherwise).
The beat sweep delivers every due row the nudges missed. Rows are written by `services.py`.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.outbox.registry import OutboxKind, outbox_kind

logger = logging.getLogger(__name__)

# Longer than a task may run (CELERY_TASK_TIME_LIMIT), so a live deliverer always finishes
# before another may claim the row; a killed one's lease simply runs out.
LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
SWEEP_BATCH = 100
# One sweep stops claiming new batches after this long (the next one carries on).
SWEEP_BUDGET_SECONDS = 40.0
# Delivered rows are kept this long (for the chaos checker and support), then deleted.
DELIVERED_RETENTION = timedelta(days=7)
# A message whose handler acted outside the database (an email went) is recorded as
# delivered even if the first attempt to record it fails (the database restarting): retried
# for this long, so the send is not repeated once the lease runs out.
RECORD_RETRY_SECONDS = 30.0
RECORD_RETRY_PAUSE = 1.0
# The message being delivered, while its handler runs: the email backend
# (apps/outbox/mail_backend.py) makes it the email's Message-ID, so a repeat is the same message.
delivering: ContextVar[int | None] = ContextVar("outbox_delivering", default=None)


def outbox_backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, ...,
    never more than an hour."""
    exponent = max(attempts - 1, 0)
    if exponent >= 20:
        return BACKOFF_MAX
    delay: timedelta = BACKOFF_BASE * (1 << exponent)
    return min(delay, BACKOFF_MAX)


def _due(now: datetime) -> Q:
    return Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def outbox_claim_all_tenants(
    *, message_ids: list[int] | None = None, limit: int = SWEEP_BATCH
) -> list[int]:
    """Lease up to `limit` due messages (of `message_ids`, or any), oldest due first, and
    count the attempt. Rows another claimer holds are skipped (FOR UPDATE SKIP LOCKED), and
    a leased row is not due, so no row is ever claimed twice at once."""
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():
        rows = OutboxMessage.objects.filter(_due(now))
        if message_ids is not None:
            rows = rows.filter(pk__in=message_ids)
        ids = list(
            rows.order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            OutboxMessage.objects.filter(pk__in=ids).update(
                lease_until=now + LEASE, attempts=F("attempts") + 1
            )
    return ids


def outbox_deliver_all_tenants(*, message_id: int) -> bool:
    """Deliver one message if it is due and free (the nudged task). True if delivered."""
    claimed = outbox_claim_all_tenants(message_ids=[message_id], limit=1)
    return bool(claimed) and _deliver_claimed(message_id)


def outbox_sweep_all_tenants(
    *, batch: int = SWEEP_BATCH, budget_seconds: float = SWEEP_BUDGET_SECONDS
) -> int:
    """Deliver every due message, in batches; returns how many were delivered. Safe to run
    concurrently (each batch is claimed with SKIP LOCKED). Also deletes old delivered rows."""
    started = time.monotonic()
    delivered = 0
    while True:
        ids = outbox_claim_all_tenants(limit=batch)
        for message_id in ids:
            delivered += _deliver_claimed(message_id)
        if len(ids) < batch or time.monotonic() - started > budget_seconds:
            break
    outbox_purge_all_tenants()
    return delivered


def outbox_purge_all_tenants(*, limit: int = 1000) -> int:
    """Delete up to `limit` messages delivered more than DELIVERED_RETENTION ago."""
    cutoff = timezone.now() - DELIVERED_RETENTION
    with scopes_disabled():
        old = OutboxMessage.objects.filter(
            status=OutboxStatus.DELIVERED, delivered_at__lt=cutoff
        ).values_list("pk", flat=True)[:limit]
        deleted, _counts = OutboxMessage.objects.filter(pk__in=list(old)).delete()
    return deleted


def _deliver_claimed(message_id: int) -> bool:
    """Run the handler of a message this process has just leased."""
    with scopes_disabled():
        message = OutboxMessage.objects.select_related("tenant").get(pk=message_id)
    handled = False
    entry: OutboxKind | None = None
    try:
        entry = outbox_kind(message.kind)
        with transaction.atomic():
            token = delivering.set(message.pk)
            try:
                _run(entry.handler, message)
            finally:
                delivering.reset(token)
            handled = True
            _record_delivered(message, entry)
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then given up
        if (
            handled
            and entry is not None
            and entry.sends_outside
            and _record_after_send(message, entry)
        ):
            return True
        logger.warning(
            "outbox: delivering %s (%s) failed, attempt %s",
            message.pk,
            message.kind,
            message.attempts,
            exc_info=True,
        )
        _fail(message, exc)
        return False
    return True


def _record_delivered(message: OutboxMessage, entry: OutboxKind) -> None:
    payload = entry.redact(message.payload) if entry.redact else message.payload
    with scopes_disabled():
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
            status=OutboxStatus.DELIVERED,
            delivered_at=timezone.now(),
            lease_until=None,
            last_error="",
            payload=payload,
        )


def _record_after_send(message: OutboxMessage, entry: OutboxKind) -> bool:
    """The handler sent its message, but recording it failed (the database went away at the
    commit): record it in a fresh connection, retrying for RECORD_RETRY_SECONDS, rather than
    leave the row to be sent again when its lease runs out. The handler's own database writes
    (an email status) were rolled back with it; the send is what must not repeat."""
    deadline = time.monotonic() + RECORD_RETRY_SECONDS
    while True:
        try:
            connection.close()  # the broken connection; the next query opens a new one
            with transaction.atomic():
                _record_delivered(message, entry)
        except DatabaseError:
            if time.monotonic() >= deadline:
                logger.error(
                    "outbox: %s (%s) was sent but could not be recorded; it may be sent again",
                    message.pk,
                    message.kind,
                )
                return False
            time.sleep(RECORD_RETRY_PAUSE)
            continue
        logger.warning(
            "outbox: %s (%s) was sent; recording it needed a new connection",
            message.pk,
            message.kind,
        )
        return True


def _run(handler: Any, message: OutboxMessage, **kwargs: Any) -> None:
    if message.tenant is None:
        handler(tenant=None, payload=message.payload, **kwargs)
        return
    with scope(tenant=message.tenant):
        handler(tenant=message.tenant, payload=message.payload, **kwargs)


def _error_text(exc: BaseException) -> str:
    """A short description of a failure for the console: its type and the first line of
    its message, never a traceback or the payload."""
    first_line = (str(exc).strip().splitlines() or [""])[0]
    text = type(exc).__name__ + (f": {first_line}" if first_line else "")
    return text[:300]


def _fail(message: OutboxMessage, exc: BaseException) -> None:
    now = timezone.now()
    update: dict[str, Any] = {"lease_until": None, "last_error": _error_text(exc)}
    gave_up = now >= message.give_up_at
    if gave_up:
        update["status"] = OutboxStatus.GIVEN_UP
    else:
        update["next_attempt_at"] = now + outbox_backoff(message.attempts)
    with scopes_disabled():
        changed = OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).update(
            **update
        )
    if changed:
        _failed(message, exc, next_attempt_at=None if gave_up else update["next_attempt_at"])
    if gave_up and changed:
        logger.error("outbox: gave up delivering %s (%s)", message.pk, message.kind)
        _given_up(message)


def _failed(message: OutboxMessage, exc: BaseException, *, next_attempt_at: Any) -> None:
    try:
        entry = outbox_kind(message.kind)
        if entry.on_fail is not None:
            with transaction.atomic():
                _run(entry.on_fail, message, error=exc, next_attempt_at=next_attempt_at)
    except Exception:  # noqa: BLE001 - the failure is recorded either way
        logger.warning("outbox: the failure hook of %s failed", message.pk, exc_info=True)


def _given_up(message: OutboxMessage) -> None:
    try:
        entry = outbox_kind(message.kind)
        if entry.on_give_up is not None:
            _run(entry.on_give_up, message)
    except Exception:  # noqa: BLE001 - the row is given up either way
        logger.warning("outbox: the give-up hook of %s failed", message.pk, exc_info=True)
