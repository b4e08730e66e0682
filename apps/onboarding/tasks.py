from celery import shared_task
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_scopes import scope

from apps.onboarding.models import ApprovalDigest
from apps.onboarding.selectors import (
    content_opened_progress_all_tenants,
    enrollments_due_for_advance_all_tenants,
    waiting_for_cam_since,
)
from apps.onboarding.services import enrollment_advance
from apps.tenancy.models import Tenant

DIGEST_DELAY_SECONDS = 300


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=5)
def enrollment_advance_task(tenant_id: int, enrollment_id: int) -> int:
    tenant = Tenant.objects.get(pk=tenant_id)
    with scope(tenant=tenant):
        return enrollment_advance(tenant=tenant, enrollment_id=enrollment_id)


@shared_task(acks_late=True)
def onboarding_reconcile() -> int:
    """Complete View asset / Read article actions opened from the library, then advance
    every enrollment whose current stage is done (this also repairs lost advance tasks)."""
    from django.contrib.auth import get_user_model

    from apps.onboarding.services import InvalidTransition, action_complete

    for tenant_id, progress_id, user_id in content_opened_progress_all_tenants():
        tenant = Tenant.objects.get(pk=tenant_id)
        with scope(tenant=tenant):
            try:
                action_complete(
                    tenant=tenant,
                    actor=get_user_model().objects.get(pk=user_id),
                    progress_id=progress_id,
                )
            except InvalidTransition:
                continue  # changed meanwhile, or the opener has left the partner account
    moved = 0
    for tenant_id, enrollment_id in enrollments_due_for_advance_all_tenants():
        tenant = Tenant.objects.get(pk=tenant_id)
        with scope(tenant=tenant):
            moved += enrollment_advance(tenant=tenant, enrollment_id=enrollment_id)
    return moved


def approval_digest_schedule(*, tenant_id: int, user_id: int) -> None:
    """Queue one digest per CAM per window: twenty uploads make one email."""
    if cache.add(f"approval-digest:{tenant_id}:{user_id}", 1, timeout=DIGEST_DELAY_SECONDS * 2):
        approval_digest_send.apply_async((tenant_id, user_id), countdown=DIGEST_DELAY_SECONDS)


@shared_task(acks_late=True)
def approval_digest_send(tenant_id: int, user_id: int) -> int:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from apps.notifications.services import notification_create

    tenant = Tenant.objects.get(pk=tenant_id)
    cam = get_user_model().objects.get(pk=user_id)
    cache.delete(f"approval-digest:{tenant_id}:{user_id}")
    with scope(tenant=tenant), transaction.atomic():
        digest, first_digest = ApprovalDigest.objects.select_for_update().get_or_create(
            tenant=tenant, user=cam, defaults={"last_sent_at": timezone.now()}
        )
        since = None if first_digest else digest.last_sent_at
        waiting = waiting_for_cam_since(tenant=tenant, cam=cam, since=since)
        if not waiting:
            return 0
        digest.last_sent_at = timezone.now()
        digest.save(update_fields=["last_sent_at"])
        notification_create(
            tenant=tenant,
            recipient=cam,
            kind="approvals_digest",
            in_app=False,
            url=reverse("console:home"),
            context={"waiting": waiting},
        )
    return len(waiting)
