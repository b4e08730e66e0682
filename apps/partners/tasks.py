"""Emails to the people a CSV import added, sent after the commit, with retries."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django_scopes import scope

from apps.tenancy.models import Tenant

RETRY = {
    "bind": True,
    "autoretry_for": (SMTPException, OSError),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(acks_late=True)
def partner_import_invitations_fan_out(tenant_id: int, member_ids: list[int]) -> int:
    """One message per import, from the request; one email task per person, from here."""
    for member_id in member_ids:
        partner_import_invitation_send.delay(tenant_id, member_id)
    return len(member_ids)


@shared_task(**RETRY)
def partner_import_invitation_send(self: object, tenant_id: int, member_id: int) -> bool:
    from apps.partners.services.importing_email import partner_import_invitation_deliver

    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return partner_import_invitation_deliver(tenant=tenant, member_id=member_id)
