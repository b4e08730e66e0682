"""Onboarding's Celery tasks: each loads what its ids name and calls one service."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from apps.core.heartbeat import ONBOARDING_RECONCILE, heartbeat_beat
from apps.onboarding.services.approvals import DIGEST_KIND
from apps.onboarding.services.approvals import approval_digest_send as digest_send
from apps.onboarding.services.reconcile import onboarding_reconcile_all_tenants
from apps.onboarding.services.stages import ADVANCE_KIND, enrollment_advance
from apps.outbox.registry import outbox_register
from apps.tenancy.models import Tenant


def enrollment_advance_handle(*, tenant: Tenant, payload: dict[str, Any]) -> None:
    """The outbox handler of an automatic move (stages.enrollment_advance_after_commit)."""
    enrollment_advance(tenant=tenant, enrollment_id=payload["enrollment_id"])


@shared_task(acks_late=True)
def onboarding_reconcile() -> int:
    """Complete View asset / Read article actions opened from the library, then advance
    every enrollment whose current stage is done (this also repairs lost advance tasks).
    Returns the moves made."""
    moves = onboarding_reconcile_all_tenants()
    heartbeat_beat(ONBOARDING_RECONCILE)
    return moves


def approval_digest_send(tenant_id: int, user_id: int) -> int:
    """Email a CAM the actions waiting for their approval (scheduled by approvals.py)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    cam = get_user_model().objects.get(pk=user_id)
    with scope(tenant=tenant):
        return digest_send(tenant=tenant, cam=cam)


def approval_digest_handle(*, tenant: Tenant, payload: dict[str, Any]) -> None:
    """The outbox handler of a digest window (approvals.approval_digest_schedule)."""
    approval_digest_send(tenant.pk, payload["user_id"])


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


# The automatic move is nudged on a queue of its own ("advance" by default), which a worker of
# its own consumes (`celery worker -Q advance`: make run, compose, the bench), so emails on the
# default queue never delay a move. A lost nudge is delivered by the outbox sweep on any worker.
outbox_register(
    ADVANCE_KIND,
    enrollment_advance_handle,
    queue=settings.ONBOARDING_ADVANCE_QUEUE or None,
    label=_("Automatic stage move"),
)
outbox_register(DIGEST_KIND, approval_digest_handle, label=_("Approval digest"), sends_outside=True)
