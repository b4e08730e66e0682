from apps.audit.models import AuditEvent


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
    """
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
