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


def email_wording_effective(*, tenant, key: str) -> tuple[str, str, bool]:
    """The subject and intro `tenant` sends for email `key`, and whether they are its own:
    the program's override, else the registry's default. One query."""
    from django_scopes import scope

    from apps.notifications.models import EmailWording
    from apps.notifications.wording import EMAILS

    with scope(tenant=tenant):
        row = (
            EmailWording.objects.filter(tenant=tenant, key=key)
            .values_list("subject", "intro")
            .first()
        )
    if row is not None:
        return row[0], row[1], True
    entry = EMAILS[key]
    return str(entry.subject), str(entry.intro), False


def email_wordings_of(*, tenant) -> dict:
    """The program's overrides by key (one query), for the list of emails."""
    from apps.notifications.models import EmailWording

    return {
        row.key: row
        for row in EmailWording.objects.filter(tenant=tenant).select_related("updated_by")
    }
