"""Messages to partners and CAMs about onboarding changes.

Called inside the transition's transaction; the emails themselves leave after the commit
(apps.notifications). What concerns staff goes to the partner's active CAM, or to every
active program admin when it has none (`responsible_staff`): never to nobody, never to a
deactivated member. A suspended account's users hear nothing: they could open none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from apps.notifications.services import notification_create
from apps.onboarding.services.approvals import approval_digest_schedule
from apps.partners.models import PartnerStatus, PartnerUser
from apps.partners.selectors import responsible_staff

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.onboarding.models import ActionProgress, Enrollment, Stage
    from apps.tenancy.models import Tenant


def _partner_users(*, tenant: Tenant, account_id: int) -> list[User]:
    return [
        link.membership.user
        for link in PartnerUser.objects.filter(
            tenant=tenant,
            account_id=account_id,
            account__status=PartnerStatus.ACTIVE,
            membership__is_active=True,
            membership__user__is_active=True,
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
    for staff in responsible_staff(tenant=tenant, account=enrollment.partner_account):
        notification_create(
            tenant=tenant,
            recipient=staff,
            kind="onboarding_completed_cam",
            email=False,
            url=reverse("onboarding_console:tab", args=[enrollment.partner_account_id]),
            context={"pipeline": enrollment.pipeline, "partner": enrollment.partner_account},
        )


def notify_waiting_for_approval(*, tenant: Tenant, progress: ActionProgress) -> None:
    """In-app for the partner's CAM (or the program admins) at once; the email is a batched
    digest (approvals.py)."""
    url = (
        reverse("onboarding_console:tab", args=[progress.partner_account_id])
        + f"?stage={progress.action.stage_id}"
    )
    for staff in responsible_staff(tenant=tenant, account=progress.partner_account):
        notification_create(
            tenant=tenant,
            recipient=staff,
            kind="action_waiting",
            email=False,
            url=url,
            context={"action": progress.action, "partner": progress.partner_account},
        )
        approval_digest_schedule(tenant=tenant, user_id=staff.pk)
