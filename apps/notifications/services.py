from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.notifications.models import EmailStatus, EmailWording, Notification
from apps.notifications.rendering import email_render, program_from_address
from apps.notifications.wording import EMAILS
from apps.tenancy.selectors import tenant_absolute_url

# Longer than one SMTP delivery can take; a sender that dies simply lets it run out.
EMAIL_LEASE = timedelta(minutes=5)
# The outbox kind of a notification's email (delivered by apps/notifications/tasks.py).
EMAIL_KIND = "notifications.email"


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

    Templates: notifications/<kind>/body.txt and email.html (HTML body); the title (the
    email's subject) and the intro are the program's wording of the email
    `notifications.<kind>` (wording.py). A kind that is never emailed (IN_APP_ONLY) keeps
    its title in title.txt.
    `in_app=False` makes an email-only message (a digest), never listed in the app.
    """
    from apps.outbox.services import outbox_enqueue

    absolute = tenant_absolute_url(tenant=tenant, path=url) if url else ""
    context = {"tenant": tenant, "recipient": recipient, "url": absolute, **(context or {})}
    html = ""
    key = f"notifications.{kind}"
    if key in EMAILS:
        # An email of the registry: the program's wording (or the default) for the title,
        # which is the subject, and the intro of the body.
        rendered = email_render(tenant=tenant, key=key, context=context)
        title, body, html = rendered.subject, rendered.text, rendered.html
    else:
        title = _render(kind, "title.txt", context)
        body = _render(kind, "body.txt", context)
    from apps.notifications.formatting import truncate_title

    title = truncate_title(title)
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
        notification.email_html = html or render_to_string(
            f"notifications/{kind}/email.html", context
        )
    notification.save()
    if notification.email_status == EmailStatus.PENDING:
        outbox_enqueue(
            tenant=tenant,
            kind=EMAIL_KIND,
            payload={"notification_id": notification.pk},
            summary=notification.email_to,
        )
    if in_app:
        unread_changed(tenant_id=tenant.pk, user_id=recipient.pk)
    return notification


def notification_mark_read(*, tenant, recipient, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of `recipient` as read."""
    rows = Notification.objects.filter(
        tenant=tenant, recipient=recipient, read_at__isnull=True, in_app=True
    )
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    changed = rows.update(read_at=timezone.now())
    if changed:
        unread_changed(tenant_id=tenant.pk, user_id=recipient.pk)
    return changed


def unread_changed(*, tenant_id: int, user_id: int) -> None:
    """The recipient's unread count changed: the nav badge's cached count is stale now and
    again at commit (apps/notifications/context_processors.py)."""
    from apps.core.nav_badges import version_bump
    from apps.notifications.context_processors import unread_version_key

    version_bump(unread_version_key(tenant_id, user_id))


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
        from_email=program_from_address(from_name),
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


def notification_email_reopen(*, notification_id: int) -> None:
    """A given-up email is being sent again (Resend in the console's outbox)."""
    Notification.objects.filter(pk=notification_id, email_status=EmailStatus.FAILED).update(
        email_status=EmailStatus.PENDING, email_lease_until=None
    )


def notification_email_give_up(*, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.FAILED
    )


# A program's wording of its emails (/console/settings/emails/).


class WordingError(ValueError):
    """Wording the rules refuse (an unknown variable, template code); shown to the admin."""


def _wording_check(*, key: str, subject: str, intro: str) -> None:
    from apps.notifications.formatting import wording_errors
    from apps.notifications.wording import EMAILS

    names = EMAILS[key].names
    errors = wording_errors(subject, names) + wording_errors(intro, names)
    if errors:
        raise WordingError(" ".join(errors))


@transaction.atomic
def email_wording_save(
    *, tenant: Any, actor: Any, key: str, subject: str, intro: str
) -> EmailWording | None:
    """Make `subject` and `intro` the program's wording of email `key` (a KeyError for a key
    the registry does not know). Wording equal to the default removes the override. Returns
    the override, or None when the email is back to its default."""
    from apps.audit.services import audit_record
    from apps.notifications import verbs
    from apps.notifications.wording import EMAILS

    email = EMAILS[key]
    subject, intro = subject.strip(), intro.strip().replace("\r\n", "\n")
    _wording_check(key=key, subject=subject, intro=intro)
    default = {"subject": str(email.subject), "intro": str(email.intro)}
    if {"subject": subject, "intro": intro} == default:
        email_wording_reset(tenant=tenant, actor=actor, key=key)
        return None
    after = {"subject": subject, "intro": intro}
    row, created = _wording_lock(tenant=tenant, key=key), False
    if row is None:
        row, created = _wording_create(tenant=tenant, actor=actor, key=key, **after)
    if created:  # until now the default was sent
        before = default
    else:
        before = {"subject": row.subject, "intro": row.intro}
        if before == after:
            return row
        row.subject, row.intro, row.updated_by = subject, intro, actor
        row.save(update_fields=["subject", "intro", "updated_by", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.EMAIL_WORDING_CHANGED,
        target=row,
        data={"key": key, "from": before, "to": after},
    )
    return row


@transaction.atomic
def email_wording_reset(*, tenant: Any, actor: Any, key: str) -> bool:
    """Send email `key` with its default wording again (delete the override). False when
    it had none."""
    from apps.audit.services import audit_record
    from apps.notifications import verbs
    from apps.notifications.wording import EMAILS

    email = EMAILS[key]
    row = _wording_lock(tenant=tenant, key=key)
    if row is None:
        return False
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.EMAIL_WORDING_RESET,
        target=row,
        data={
            "key": key,
            "from": {"subject": row.subject, "intro": row.intro},
            "to": {"subject": str(email.subject), "intro": str(email.intro)},
        },
    )
    row.delete()
    return True


def _wording_create(
    *, tenant: Any, actor: Any, key: str, subject: str, intro: str
) -> tuple[EmailWording, bool]:
    """A new override (and True), or, when another admin created one meanwhile, theirs,
    locked (and False)."""
    try:
        with transaction.atomic():
            row = EmailWording.objects.create(
                tenant=tenant, key=key, subject=subject, intro=intro, updated_by=actor
            )
    except IntegrityError:
        existing = _wording_lock(tenant=tenant, key=key)
        if existing is None:  # created and deleted at once by others: a rare, clear refusal
            raise WordingError(_("Someone else changed this email meanwhile: try again.")) from None
        return existing, False
    return row, True


def _wording_lock(*, tenant: Any, key: str) -> EmailWording | None:
    return (
        EmailWording.objects.select_for_update(of=("self",)).filter(tenant=tenant, key=key).first()
    )


def notification_create_many(*, kind: str, rows: list[tuple[Any, Any, dict, str]]) -> int:
    """In-app notifications of one kind (no email), one per (tenant, recipient, context,
    url), rendered as `notification_create` renders them, written in one INSERT; each
    program's host is read once and the recipients' unread badges are bumped together (the
    milestone sweep's review reminders). Returns how many were written."""
    from apps.core.nav_badges import version_bump
    from apps.notifications.context_processors import unread_version_key
    from apps.notifications.formatting import truncate_title

    hosts: dict[int, str] = {}
    notifications = []
    for tenant, recipient, extra, url in rows:
        if tenant.pk not in hosts:
            hosts[tenant.pk] = tenant_absolute_url(tenant=tenant, path="")
        context = {
            "tenant": tenant,
            "recipient": recipient,
            "url": hosts[tenant.pk] + url if url else "",
            **extra,
        }
        if f"notifications.{kind}" in EMAILS:
            rendered = email_render(tenant=tenant, key=f"notifications.{kind}", context=context)
            title, body = rendered.subject, rendered.text
        else:
            title, body = _render(kind, "title.txt", context), _render(kind, "body.txt", context)
        notifications.append(
            Notification(
                tenant=tenant,
                recipient=recipient,
                kind=kind,
                title=truncate_title(title),
                body=body,
                url=url,
                in_app=True,
            )
        )
    Notification.objects.bulk_create(notifications)
    version_bump(*sorted({unread_version_key(n.tenant_id, n.recipient_id) for n in notifications}))
    return len(notifications)
