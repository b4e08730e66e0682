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
