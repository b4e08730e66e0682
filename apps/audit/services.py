from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from apps.audit.listeners import audit_listeners_notify
from apps.audit.models import AuditEvent
from apps.audit.vocabulary import AUDIT_VERBS

if TYPE_CHECKING:
    from apps.accounts.models import User


@runtime_checkable
class LabelledActor(Protocol):
    """An actor that is not a user (an API key): the audit log keeps it by its label only,
    and the program it belongs to is `tenant_id`."""

    tenant_id: int

    @property
    def audit_label(self) -> str: ...


def actor_user(actor: "User | LabelledActor | None") -> "User | None":
    """The user behind `actor`, for a user foreign key (`validated_by`, `decided_by`, …):
    the user itself, or None for the system and for a non-user actor (an API key), which the
    audit log names by its label instead."""
    if actor is None or isinstance(actor, LabelledActor):
        return None
    return actor


def _label(obj) -> str:
    return str(obj)[:300]


def _actor(actor: Any) -> tuple[Any, str]:
    """The user to store and the label to keep for `actor`: a user, None for the system, or
    an object that is not a user but acts (an API key) and names itself by `audit_label`."""
    if actor is None:
        return None, "system"
    label = getattr(actor, "audit_label", None)
    if label is not None:
        return None, str(label)[:254]
    return actor, actor.email


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

    `actor` is a user, None for the system, or a non-user actor with an `audit_label` (an
    API key), kept by label only. `target` is the model instance acted on.
    `verb` must be declared in its app's `verbs.py` (else `UnknownVerb`, a ValueError).
    """
    AUDIT_VERBS.require(verb)
    user, label = _actor(actor)
    event = AuditEvent.objects.create(
        tenant=tenant,
        actor=user,
        actor_label=label,
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=_label(target),
        partner_id=partner_id,
        data=data or {},
    )
    audit_listeners_notify([event])
    return event


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
    user, label = _actor(actor)
    for entry in entries:
        AUDIT_VERBS.require(entry.verb)
        events.append(
            AuditEvent(
                tenant_id=entry.tenant_id,
                actor=user,
                actor_label=label,
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
        audit_listeners_notify(events)
    return len(events)
