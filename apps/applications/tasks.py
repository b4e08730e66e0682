"""Emails to applicants and invitees, sent after the commit, with retries."""

from smtplib import SMTPException

from celery import shared_task
from django_scopes import scope

from apps.applications.services import emails
from apps.tenancy.models import Tenant

MAX_EMAIL_ATTEMPTS = 8

RETRY = {
    "bind": True,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "max_retries": MAX_EMAIL_ATTEMPTS,
    "acks_late": True,
}


@shared_task(**RETRY)
def application_email_send(
    self, tenant_id: int, kind: str, application_id: int | None = None, email: str = ""
) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return emails.application_email_deliver(
            tenant=tenant, kind=kind, application_id=application_id, email=email
        )


@shared_task(**RETRY)
def invitation_email_send(self, tenant_id: int, invitation_id: int) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return emails.invitation_email_deliver(tenant=tenant, invitation_id=invitation_id)


@shared_task(**RETRY)
def team_invitation_email_send(
    self, tenant_id: int, member_id: int, by_staff: bool = False
) -> bool:
    from apps.applications.services.team import team_invitation_email_deliver

    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return team_invitation_email_deliver(tenant=tenant, member_id=member_id, by_staff=by_staff)
