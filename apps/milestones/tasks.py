"""Thin Celery tasks: load by id, call one service, own the retry policy."""

import logging
from datetime import UTC

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_scopes import scope

from apps.milestones.selectors.alerts import digest_recipients_all_tenants
from apps.milestones.services.alerts import alert_digest_send
from apps.milestones.services.sweep import milestone_sweep_all_tenants
from apps.tenancy.models import Tenant

logger = logging.getLogger(__name__)

# Digests go out from this hour (UTC) on; the hourly beat entry catches up after downtime.
DIGEST_HOUR_UTC = 7


@shared_task(acks_late=True, expires=55)
def milestone_sweep() -> dict[str, int]:
    """Every minute: new tracks, events applied, dark partners, due alerts raised once."""
    result = milestone_sweep_all_tenants()
    if result.alerts_raised or result.tracks_started or result.milestones_completed:
        logger.info("milestone sweep: %s", result)
    return {
        "tracks_started": result.tracks_started,
        "milestones_completed": result.milestones_completed,
        "alerts_raised": len(result.alerts_raised),
        "alerts_resolved": result.alerts_resolved,
        "partners_activated": result.partners_activated,
        "partners_dark": result.partners_dark,
    }


@shared_task(acks_late=True, expires=3000)
def alert_digests_send() -> int:
    """Hourly: queue one digest per CAM with open alerts who has not had today's."""
    now = timezone.now()
    if now.astimezone(UTC).hour < DIGEST_HOUR_UTC:
        return 0
    recipients = digest_recipients_all_tenants(today=timezone.localdate(now))
    for tenant_id, user_id in recipients:
        alert_digest_send_task.delay(tenant_id, user_id)
    return len(recipients)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def alert_digest_send_task(tenant_id: int, user_id: int) -> int:
    tenant = Tenant.objects.get(pk=tenant_id)
    user = get_user_model().objects.get(pk=user_id)
    with scope(tenant=tenant):
        return alert_digest_send(tenant=tenant, user=user)
