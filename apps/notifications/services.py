from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from apps.notifications.models import EmailStatus, Notification
from apps.tenancy.selectors import tenant_absolute_url

# Longer than one SMTP delivery can take; a sender that dies simply lets it run out.
EMAIL_LEASE = timedelta(minutes=5)


def _render(kind: str, part: str, context: dict) -> str:
    return render_to_string(f"notifications/{kind}/{part}", context).strip()


def notification_create(
    *,
    tenant,
    recipient,
    kind: str,
    context: dict | None = None,
    url: str = "",
    email: bool = True,
    in_app: bool = True,
) -> Notification:
    """Create an in-app notification and, after commit, send its email through Celery.

    Templates: notifications/<kind>/title.txt, body.txt and email.html (HTML body).
    `in_app=False` makes an email-only message (a digest), never listed in the app.
    """
    from apps.notifications.tasks import notification_email_send

    absolute = tenant_absolute_url(tenant=tenant, path=url) if url else ""
    context = {"tenant": tenant, "recipient": recipient, "url": absolute, **(context or {})}
    title = _render(kind, "title.txt", context)
    body = _render(kind, "body.txt", context)
    notification = Notification(
        tenant=tenant,
        recipient=recipient,
        kind=kind,
        title=title,
        body=body,
        url=url,
        in_app=in_app,
    )
    if email and recipient.email:
        notification.email_status = EmailStatus.PENDING
        notification.email_to = recipient.email
        notification.email_subject = title
        notification.email_text = body + (f"\n\n{absolute}" if absolute else "")
        notification.email_html = render_to_string(f"notifications/{kind}/email.html", context)
    notification.save()
    if notification.email_status == EmailStatus.PENDING:
        transaction.on_commit(lambda: notification_email_send.delay(tenant.pk, notification.pk))
    return notification


def notification_mark_read(*, tenant, recipient, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of `recipient` as read."""
    rows = Notification.objects.filter(
        tenant=tenant, recipient=recipient, read_at__isnull=True, in_app=True
    )
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())


def notification_email_deliver(*, notification_id: int) -> bool:
    """Send the email of one notification once. Returns False if there was nothing to send.

    Failures propagate so the task retries; the row stays pending meanwhile.
    """
    from django.core.mail import EmailMultiAlternatives

    now = timezone.now()
    claimed = (
        Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING)
        .filter(Q(email_lease_until__isnull=True) | Q(email_lease_until__lt=now))
        .update(email_lease_until=now + EMAIL_LEASE, email_attempts=F("email_attempts") + 1)
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("tenant").get(pk=notification_id)
    from_name = notification.tenant.name
    message = EmailMultiAlternatives(
        subject=notification.email_subject,
        body=notification.email_text,
        from_email=_from_address(from_name),
        to=[notification.email_to],
    )
    if notification.email_html:
        message.attach_alternative(notification.email_html, "text/html")
    message.send()
    Notification.objects.filter(pk=notification.pk, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.SENT, email_sent_at=timezone.now(), email_lease_until=None
    )
    return True


def notification_email_release(*, notification_id: int) -> None:
    """Let a failed send be retried at once (by the task's retry or the sweep)."""
    Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
        email_lease_until=None
    )


def notification_email_give_up(*, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.FAILED
    )


def _from_address(name: str) -> str:
    from email.utils import formataddr, parseaddr

    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name, address))
