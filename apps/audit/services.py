from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from apps.audit.models import AuditEvent
from apps.audit.vocabulary import AUDIT_VERBS


def _label(obj) -> str:
    return str(obj)[:300]


def audit_record(
    *,
    tenant,
    actor,
    verb: str,
    target,
    data: dict | None = None,
    partner_id: int | None = None,
) -> AuditEvent:
    """Append one audit event. Call it inside the transaction that makes the change.

    `actor` is a user, or None for the system. `target` is the model instance acted on.
    `verb` must be declared in its app's `verbs.py` (else `UnknownVerb`, a ValueError).
    """
    AUDIT_VERBS.require(verb)
    return AuditEvent.objects.create(
        tenant=tenant,
        actor=actor,
        actor_label=(actor.email if actor is not None else "system"),
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=_label(target),
        partner_id=partner_id,
        data=data or {},
    )


@dataclass(frozen=True)
class AuditEntry:
    """One audit event of a set-based change (see `audit_record_many`)."""

    tenant_id: int
    verb: str
    target_type: str  # the target model's `_meta.label_lower`
    target_id: int | str
    target_label: str = ""
    partner_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def audit_record_many(*, actor: Any, entries: Iterable[AuditEntry]) -> int:
    """Append the audit events of a set-based change in one INSERT (no query when there are
    none). Call it inside the transaction that makes the change; the entries may belong to
    several tenants (a platform sweep). Returns how many events were recorded.

    `actor` is a user, or None for the system. Each verb must be declared, as for
    `audit_record`.
    """
    events = []
    for entry in entries:
        AUDIT_VERBS.require(entry.verb)
        events.append(
            AuditEvent(
                tenant_id=entry.tenant_id,
                actor=actor,
                actor_label=(actor.email if actor is not None else "system"),
                verb=entry.verb,
                target_type=entry.target_type,
                target_id=str(entry.target_id),
                target_label=(entry.target_label or "")[:300],
                partner_id=entry.partner_id,
                data=entry.data,
            )
        )
    if events:
        AuditEvent.objects.bulk_create(events)
    return len(events)
