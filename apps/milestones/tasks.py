"""Thin Celery tasks: load by id, call one service, own the retry policy."""

import logging
from datetime import UTC
from typing import Any

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import scope

from apps.core.heartbeat import MILESTONE_SWEEP, heartbeat_beat
from apps.milestones.selectors.alerts import digest_recipients_all_tenants
from apps.milestones.services.alerts import alert_digest_send
from apps.milestones.services.sweep import milestone_sweep_all_tenants
from apps.outbox.registry import outbox_register
from apps.tenancy.models import Tenant

logger = logging.getLogger(__name__)

# Digests go out from this hour (UTC) on; the hourly beat entry catches up after downtime.
DIGEST_HOUR_UTC = 7
ALERT_DIGEST_KIND = "milestones.alert_digest"


@shared_task(acks_late=True, expires=55)
def milestone_sweep() -> dict[str, int]:
    """Every minute: new tracks, events applied, dark partners, due alerts raised once."""
    result = milestone_sweep_all_tenants()
    heartbeat_beat(MILESTONE_SWEEP)
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
    alert_digests_enqueue_all_tenants(recipients=recipients, now=now)
    return len(recipients)


def alert_digests_enqueue_all_tenants(*, recipients: list[tuple[int, int]], now: Any) -> None:
    """One outbox message per CAM (delivered by alert_digest_handle); the dedupe key names
    the hour, so a duplicate beat run queues nothing twice (the digest itself is claimed
    once a day in the database)."""
    from apps.outbox.services import outbox_enqueue

    hour = now.astimezone(UTC).strftime("%Y-%m-%dT%H")
    tenants = Tenant.objects.in_bulk({tenant_id for tenant_id, _user in recipients})
    for tenant_id, user_id in recipients:
        outbox_enqueue(
            tenant=tenants[tenant_id],
            kind=ALERT_DIGEST_KIND,
            payload={"user_id": user_id},
            dedupe_key=f"alert-digest:{user_id}:{hour}",
            summary=f"staff member #{user_id}",
        )


def alert_digest_send_task(tenant_id: int, user_id: int) -> int:
    """Email one CAM their alert digest (once a day, claimed in the database)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    user = get_user_model().objects.get(pk=user_id)
    with scope(tenant=tenant):
        return alert_digest_send(tenant=tenant, user=user)


def alert_digest_handle(*, tenant: Tenant, payload: dict[str, Any]) -> None:
    alert_digest_send_task(tenant.pk, payload["user_id"])


outbox_register(ALERT_DIGEST_KIND, alert_digest_handle, label=_("Alert digest"), sends_outside=True)
