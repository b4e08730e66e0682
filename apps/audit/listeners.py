"""Functions a higher app registers to react to audit events, called by the recorder
(`audit_record`, `audit_record_many`) inside the transaction that records them.

A listener receives the recorded events (saved, with their ids) and may write rows of its own
in the same transaction (the webhooks app queues its deliveries there), so what it writes
commits or rolls back with the change. It must be cheap when it has nothing to do: it runs
for every audit event. A higher app registers its listener in its AppConfig.ready, so this
low app never imports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apps.audit.models import AuditEvent

AuditListener = Callable[[Sequence["AuditEvent"]], None]

_LISTENERS: list[AuditListener] = []


def audit_listener_register(listener: AuditListener) -> AuditListener:
    """Call `listener(events)` after every recording of audit events (idempotent)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def audit_listener_unregister(listener: AuditListener) -> None:
    """Stop calling `listener` (tests)."""
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


def audit_listeners_notify(events: Sequence[AuditEvent]) -> None:
    """Hand the events just recorded to every listener (nothing to do for none)."""
    if not events:
        return
    for listener in tuple(_LISTENERS):
        listener(events)
