"""Emails to applicants and invitees. They are not users yet, so these are not in-app
notifications: a Celery task (tasks.py) renders and sends each one after the commit.

Links are issued here, when the email is sent: the secret exists only in the email, and a
new email (resend, retry) makes the previous link stop working.
"""

from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from apps.accounts.services import set_password_path
from apps.applications.models import Application, ApplicationStatus, Invitation, InvitationStatus
from apps.applications.selectors import program_settings_get
from apps.applications.tokens import CONFIRM_SALT, CONFIRM_TTL, INVITE_SALT, token_issue
from apps.notifications.rendering import email_render, email_send
from apps.tenancy.selectors import tenant_absolute_url

KINDS = (
    "confirm",
    "already_pending",
    "already_member",
    "approved",
    "added",
    "rejected",
    "declined",
)


def application_confirmation_issue(*, tenant, application_id: int) -> str | None:
    """A new confirmation link token for an unconfirmed application (None otherwise).

    The previous link stops working: only the newest hash is kept.
    """
    issued = token_issue(salt=CONFIRM_SALT)
    now = timezone.now()
    updated = Application.objects.filter(
        tenant=tenant, pk=application_id, status=ApplicationStatus.UNCONFIRMED
    ).update(
        confirm_token_hash=issued.digest,
        confirm_expires_at=now + CONFIRM_TTL,
        confirmation_sent_at=now,
    )
    return issued.token if updated else None


def _send(*, tenant, kind: str, to: str, context: dict) -> None:
    # The subject and intro are the program's wording of "applications.<kind>".
    rendered = email_render(tenant=tenant, key=f"applications.{kind}", context=context)
    email_send(tenant=tenant, to=to, rendered=rendered)


def application_email_deliver(
    *, tenant, kind: str, application_id: int | None = None, email: str = ""
) -> bool:
    """Render and send one applicant email. False when there is nothing (left) to send.

    SMTP errors propagate, so the task retries.
    """
    if kind not in KINDS:
        raise ValueError(f"Unknown application email: {kind}")
    program = program_settings_get(tenant=tenant)
    context = {"program": program}
    if kind == "already_member":
        context["url"] = tenant_absolute_url(tenant=tenant, path=reverse("account_login"))
        context["reset_url"] = tenant_absolute_url(
            tenant=tenant, path=reverse("account_reset_password")
        )
        _send(tenant=tenant, kind=kind, to=email, context=context)
        return True

    application = (
        Application.objects.filter(tenant=tenant, pk=application_id)
        .select_related("partner_type", "partner_account")
        .first()
    )
    if application is None:
        return False
    context["application"] = application
    if kind == "confirm":
        token = application_confirmation_issue(tenant=tenant, application_id=application.pk)
        if token is None:
            return False  # confirmed (or decided) meanwhile
        path = reverse("applications_public:confirm", args=[token])
        context["url"] = tenant_absolute_url(tenant=tenant, path=path)
        context["valid_days"] = CONFIRM_TTL.days
    elif kind == "already_pending":
        if application.status != ApplicationStatus.PENDING:
            return False
    elif kind in ("approved", "added"):
        user = get_user_model().objects.filter(email__iexact=application.email).first()
        if user is None:
            return False
        context["has_password"] = user.has_usable_password()
        path = reverse("account_login") if context["has_password"] else set_password_path(user)
        context["url"] = tenant_absolute_url(tenant=tenant, path=path)
        context["reset_url"] = tenant_absolute_url(
            tenant=tenant, path=reverse("account_reset_password")
        )
    _send(tenant=tenant, kind=kind, to=application.email, context=context)
    return True


def invitation_email_deliver(*, tenant, invitation_id: int) -> bool:
    """Send an open invitation with a new link. False when it was revoked, used or expired."""
    issued = token_issue(salt=INVITE_SALT)
    now = timezone.now()
    updated = Invitation.objects.filter(
        tenant=tenant, pk=invitation_id, status=InvitationStatus.PENDING, expires_at__gt=now
    ).update(token_hash=issued.digest, sent_at=now, send_count=F("send_count") + 1)
    if not updated:
        return False
    invitation = (
        Invitation.objects.filter(tenant=tenant, pk=invitation_id)
        .select_related("partner_type", "invited_by")
        .get()
    )
    path = reverse("applications_public:invitation", args=[issued.token])
    _send(
        tenant=tenant,
        kind="invitation",
        to=invitation.email,
        context={
            "invitation": invitation,
            "url": tenant_absolute_url(tenant=tenant, path=path),
            "valid_days": max(1, (invitation.expires_at - now).days),
        },
    )
    return True
