"""What each kind of outbox message does when delivered.

A higher app registers its handlers when its `tasks.py` loads (the outbox app discovers
every app's `tasks.py` at start-up, the way the admin finds `admin.py`), so this low app
never imports a higher one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

# handler(tenant=..., payload=...): runs inside the tenant's scope (no scope for a message
# of no program); raising marks the attempt failed, to be retried with backoff.
Handler = Callable[..., Any]
# on_give_up(tenant=..., payload=...): the message will not be delivered (after 48 hours).
GiveUpHook = Callable[..., Any]
# on_fail(tenant=..., payload=..., error=..., next_attempt_at=...): an attempt failed (the
# handler raised `error`; its transaction was rolled back). Runs after the failure is recorded,
# in a transaction of its own, so it can keep what the attempt learnt (a webhook's response
# code); `next_attempt_at` is None when the message is given up.
FailHook = Callable[..., Any]
# redact(payload) -> payload: what a delivered message keeps (a sent email's links go).
Redact = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class OutboxKind:
    kind: str
    handler: Handler
    queue: str | None = None
    on_give_up: GiveUpHook | None = None
    redact: Redact | None = None
    label: Any = ""  # shown in the console (a lazy translation); the kind when empty
    # The handler acts outside the database (an email handed to the SMTP server): once it
    # returned, the message counts as delivered even if recording that fails at first (the
    # record is retried rather than the send). Database-only handlers leave it False: if
    # their transaction does not commit, nothing happened and the message is retried.
    sends_outside: bool = False
    # How long failing deliveries are retried before the message is given up (None: the
    # outbox's default, GIVE_UP_AFTER).
    give_up_after: timedelta | None = None
    on_fail: FailHook | None = None


HANDLERS: dict[str, OutboxKind] = {}


def outbox_register(
    kind: str,
    handler: Handler,
    *,
    queue: str | None = None,
    on_give_up: GiveUpHook | None = None,
    redact: Redact | None = None,
    label: Any = "",
    sends_outside: bool = False,
    give_up_after: timedelta | None = None,
    on_fail: FailHook | None = None,
) -> Handler:
    """Deliver messages of `kind` with `handler` (the nudge goes to Celery queue `queue`,
    default queue when None). Registering the same kind again replaces it."""
    HANDLERS[kind] = OutboxKind(
        kind=kind,
        handler=handler,
        queue=queue,
        on_give_up=on_give_up,
        redact=redact,
        label=label,
        sends_outside=sends_outside,
        give_up_after=give_up_after,
        on_fail=on_fail,
    )
    return handler


def outbox_kind(kind: str) -> OutboxKind:
    """The registration of `kind` (LookupError for a kind nobody registered)."""
    try:
        return HANDLERS[kind]
    except KeyError:
        raise LookupError(f"No outbox handler registered for {kind!r}.") from None


def outbox_kind_label(kind: str) -> str:
    """What the console calls messages of `kind`."""
    entry = HANDLERS.get(kind)
    return str(entry.label) if entry is not None and entry.label else kind
