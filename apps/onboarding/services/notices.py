"""Messages to partners and CAMs about onboarding changes.

Called inside the transition's transaction; the emails themselves leave after the commit
(apps.notifications).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse

from apps.notifications.services import notification_create
from apps.onboarding.services.approvals import approval_digest_schedule
from apps.partners.models import PartnerUser

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.onboarding.models import ActionProgress, Enrollment, Stage
    from apps.tenancy.models import Tenant


def _partner_users(*, tenant: Tenant, account_id: int) -> list[User]:
    return [
        link.membership.user
        for link in PartnerUser.objects.filter(
            tenant=tenant, account_id=account_id, membership__is_active=True
        ).select_related("membership__user")
    ]


def notify_partner_redo(*, tenant: Tenant, progress: ActionProgress, kind: str) -> None:
    """Action invalidated, or changes requested: the partner must redo it."""
    url = reverse("onboarding_portal:action", args=[progress.pk])
    for user in _partner_users(tenant=tenant, account_id=progress.partner_account_id):
        notification_create(
            tenant=tenant,
            recipient=user,
            kind=kind,
            url=url,
            context={"action": progress.action, "comment": progress.comment},
        )


def notify_stage_moved(*, tenant: Tenant, enrollment: Enrollment, stage: Stage) -> None:
    url = reverse("portal:home")
    for user in _partner_users(tenant=tenant, account_id=enrollment.partner_account_id):
        notification_create(
            tenant=tenant,
            recipient=user,
            kind="stage_moved",
            url=url,
            context={"stage": stage, "pipeline": enrollment.pipeline},
        )


def notify_onboarding_completed(*, tenant: Tenant, enrollment: Enrollment) -> None:
    url = reverse("portal:home")
    for user in _partner_users(tenant=tenant, account_id=enrollment.partner_account_id):
        notification_create(
            tenant=tenant,
            recipient=user,
            kind="onboarding_completed",
            url=url,
            context={"pipeline": enrollment.pipeline},
        )
    cam = enrollment.partner_account.cam
    if cam is not None:
        notification_create(
            tenant=tenant,
            recipient=cam,
            kind="onboarding_completed_cam",
            email=False,
            url=reverse("onboarding_console:tab", args=[enrollment.partner_account_id]),
            context={"pipeline": enrollment.pipeline, "partner": enrollment.partner_account},
        )


def notify_waiting_for_approval(*, tenant: Tenant, progress: ActionProgress) -> None:
    """In-app for the partner's CAM at once; the email is a batched digest (approvals.py)."""
    cam = progress.partner_account.cam
    if cam is None:
        return
    notification_create(
        tenant=tenant,
        recipient=cam,
        kind="action_waiting",
        email=False,
        url=reverse("onboarding_console:tab", args=[progress.partner_account_id])
        + f"?stage={progress.action.stage_id}",
        context={"action": progress.action, "partner": progress.partner_account},
    )
    transaction.on_commit(lambda: approval_digest_schedule(tenant_id=tenant.pk, user_id=cam.pk))
