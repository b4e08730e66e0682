from apps.notifications.models import Notification


def notifications_for(*, tenant, recipient):
    return Notification.objects.filter(tenant=tenant, recipient=recipient, in_app=True).order_by(
        "-created_at", "-id"
    )


def notification_unread_count(*, tenant, recipient) -> int:
    return Notification.objects.filter(
        tenant=tenant, recipient=recipient, read_at__isnull=True, in_app=True
    ).count()


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
