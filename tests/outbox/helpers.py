"""For other apps' tests: what a call queued in the outbox."""

from django_scopes import scopes_disabled

from apps.outbox.models import OutboxMessage


def queued_by(fn, *, kind: str) -> list[tuple[int, dict]]:
    """Run `fn`; return (tenant id, payload) of each `kind` message it wrote, in order."""
    with scopes_disabled():
        before = set(OutboxMessage.objects.filter(kind=kind).values_list("pk", flat=True))
    fn()
    with scopes_disabled():
        new = OutboxMessage.objects.filter(kind=kind).exclude(pk__in=before).order_by("pk")
        return [(m.tenant_id, m.payload) for m in new]
