"""Onboarding's Celery tasks: each loads what its ids name and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.onboarding.services.approvals import approval_digest_send as digest_send
from apps.onboarding.services.reconcile import onboarding_reconcile_all_tenants
from apps.onboarding.services.stages import enrollment_advance
from apps.tenancy.models import Tenant


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=5)
def enrollment_advance_task(tenant_id: int, enrollment_id: int) -> int:
    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return enrollment_advance(tenant=tenant, enrollment_id=enrollment_id)


@shared_task(acks_late=True)
def onboarding_reconcile() -> int:
    """Complete View asset / Read article actions opened from the library, then advance
    every enrollment whose current stage is done (this also repairs lost advance tasks).
    Returns the moves made."""
    return onboarding_reconcile_all_tenants()


@shared_task(acks_late=True)
def approval_digest_send(tenant_id: int, user_id: int) -> int:
    """Email a CAM the actions waiting for their approval (scheduled by approvals.py)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    cam = get_user_model().objects.get(pk=user_id)
    with scope(tenant=tenant):
        return digest_send(tenant=tenant, cam=cam)


@shared_task(acks_late=True, expires=3000)
def nudges_send() -> int:
    """Hourly: from NUDGE_HOUR_UTC on, queue each reminding program's sweep (each user is
    reminded once a day at most, claimed in the database, so later runs send only what is
    left). Returns how many programs were queued."""
    from datetime import UTC

    from django.utils import timezone

    from apps.onboarding.services.nudges import NUDGE_HOUR_UTC, nudge_tenants_all_tenants

    if timezone.now().astimezone(UTC).hour < NUDGE_HOUR_UTC:
        return 0
    tenant_ids = nudge_tenants_all_tenants()
    for tenant_id in tenant_ids:
        nudge_sweep_task.delay(tenant_id)
    return len(tenant_ids)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=5, max_retries=5)
def nudge_sweep_task(tenant_id: int) -> int:
    """Send one program's reminders of the day; returns how many emails were created."""
    from apps.onboarding.services.nudges import nudge_sweep

    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return nudge_sweep(tenant=tenant)
