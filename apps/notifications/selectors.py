from django.db.models import Q
from django.utils import timezone

from apps.notifications.models import EmailStatus, Notification


def notifications_for(*, tenant, recipient):
    return Notification.objects.filter(tenant=tenant, recipient=recipient, in_app=True).order_by(
        "-created_at", "-id"
    )


def notification_unread_count(*, tenant, recipient) -> int:
    return Notification.objects.filter(
        tenant=tenant, recipient=recipient, read_at__isnull=True, in_app=True
    ).count()


def notification_emails_stalled_all_tenants(*, older_than, limit: int = 500):
    """Pending emails whose task seems lost. Platform code: reads across tenants."""
    from django_scopes import scopes_disabled

    with scopes_disabled():
        return list(
            Notification.objects.filter(email_status=EmailStatus.PENDING, created_at__lt=older_than)
            .filter(Q(email_lease_until__isnull=True) | Q(email_lease_until__lt=timezone.now()))
            .order_by("created_at")
            .values_list("tenant_id", "pk")[:limit]
        )
