from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.utils import timezone
from django_scopes import scope

from apps.notifications import services
from apps.notifications.selectors import notification_emails_stalled_all_tenants
from apps.tenancy.models import Tenant

MAX_EMAIL_ATTEMPTS = 8


@shared_task(
    bind=True,
    autoretry_for=(SMTPException, OSError),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=MAX_EMAIL_ATTEMPTS,
    acks_late=True,
)
def notification_email_send(self, tenant_id: int, notification_id: int) -> bool:
    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        try:
            return services.notification_email_deliver(notification_id=notification_id)
        except (SMTPException, OSError):
            if self.request.retries >= MAX_EMAIL_ATTEMPTS:
                services.notification_email_give_up(notification_id=notification_id)
            else:
                services.notification_email_release(notification_id=notification_id)
            raise


@shared_task(acks_late=True)
def notification_email_sweep() -> int:
    """Re-queue emails still pending a few minutes after creation (their task was lost)."""
    stalled = notification_emails_stalled_all_tenants(
        older_than=timezone.now() - timedelta(minutes=3)
    )
    for tenant_id, notification_id in stalled:
        notification_email_send.delay(tenant_id, notification_id)
    return len(stalled)
