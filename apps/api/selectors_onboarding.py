"""Reads of the API's onboarding and milestones resources: the partner an id names, its
current enrollment with every stage and action (three queries however many there are), and
one action's progress for the transitions.

Every read takes `tenant=` and filters on it: an id of another program is simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Q

from apps.onboarding.models import (
    CURRENT_ENROLLMENT_STATUSES,
    DONE_STATUSES,
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    StageProgress,
)
from apps.onboarding.selectors import enrollment_for_partner
from apps.partners.models import PartnerAccount

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


def api_partner_get(*, tenant: Tenant, partner_id: int) -> PartnerAccount | None:
    """The program's partner account with this id, or None (another program's id too)."""
    return PartnerAccount.objects.filter(tenant=tenant, pk=partner_id).first()


@dataclass
class OnboardingView:
    """A partner's current enrollment, its stages in pipeline order, and each stage's actions
    (the partner's progress rows, with their `action`)."""

    account: PartnerAccount
    enrollment: Enrollment
    stages: list[StageProgress]
    actions: dict[int, list[ActionProgress]]  # stage id -> rows, in pipeline order
    done: int
    total: int

    @property
    def percent(self) -> int:
        if self.total:
            return round(100 * self.done / self.total)
        return 100 if self.enrollment.status == EnrollmentStatus.COMPLETED else 0


def _rows_shown() -> Q:
    # An action removed from the pipeline stays in the history once the partner acted on
    # it; one still pending simply disappears (as on the console's Onboarding tab).
    return Q(action__archived_at__isnull=True) | ~Q(status=ActionStatus.PENDING)


def onboarding_view(*, tenant: Tenant, account: PartnerAccount) -> OnboardingView | None:
    """The partner's current enrollment (in progress or completed), or None when it has none.
    Three queries, whatever the number of stages and actions."""
    enrollment = enrollment_for_partner(tenant=tenant, partner_account_id=account.pk)
    if enrollment is None:
        return None
    stages = list(
        StageProgress.objects.filter(tenant=tenant, enrollment=enrollment)
        .select_related("stage")
        .defer("stage__description")
        .order_by("stage__position", "stage__id")
    )
    actions: dict[int, list[ActionProgress]] = {}
    done = total = 0
    for row in (
        ActionProgress.objects.filter(tenant=tenant, enrollment=enrollment)
        .filter(_rows_shown())
        .select_related("action")
        .defer("action__instructions", "action__form_fields", "action__upload_types")
        .order_by("action__position", "action__id")
    ):
        row.enrollment = enrollment  # for the "what may happen now" checks, no query
        row.partner_account = account
        actions.setdefault(row.action.stage_id, []).append(row)
        if row.action.archived_at is None:
            total += 1
            done += row.status in DONE_STATUSES
    return OnboardingView(
        account=account,
        enrollment=enrollment,
        stages=stages,
        actions=actions,
        done=done,
        total=total,
    )


def partner_action_progress(
    *, tenant: Tenant, account: PartnerAccount, action_id: int
) -> ActionProgress | None:
    """The partner's progress of the pipeline action `action_id` in its current enrollment;
    None when the action is not one of the partner's (another pipeline's, another
    program's, or removed while still pending)."""
    return (
        ActionProgress.objects.filter(
            tenant=tenant,
            partner_account=account,
            action_id=action_id,
            enrollment__status__in=CURRENT_ENROLLMENT_STATUSES,
        )
        .filter(_rows_shown())
        .select_related("action", "enrollment")
        .first()
    )
