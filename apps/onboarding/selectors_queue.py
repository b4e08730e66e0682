"""Reads of the work queue (`/console/queue/`): every action Waiting for approval across the
program's partners, oldest submission first.

Only current enrollments count: a pipeline a partner was moved out of is read-only history.
"Mine" is the partners whose approvals go to the staff member (as the approval digest and
`partner_accounts_responsible_to` route them): those they are the active CAM of and, for a
program admin, every partner without an active CAM. It is built from the request's
membership, so the nav badge's count is one query.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy

from apps.onboarding.models import (
    CURRENT_ENROLLMENT_STATUSES,
    ActionFile,
    ActionProgress,
    ActionStatus,
)
from apps.partners.selectors import active_cam_exists
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from apps.tenancy.models import Membership, Tenant

# The queue's filters, in the order of its tabs: URL value -> label.
QUEUE_FILTERS: dict[str, StrOrPromise] = {
    "mine": gettext_lazy("My partners"),
    "all": gettext_lazy("All"),
    "unassigned": gettext_lazy("Unassigned"),
}
DEFAULT_FILTER = "mine"


def _no_active_cam() -> Q:
    """The row's partner has no CAM, or its CAM is no longer an active staff member."""
    return Q(partner_account__cam__isnull=True) | Q(
        ~active_cam_exists(cam_ref="partner_account__cam_id")
    )


def _responsible_to(membership: Membership) -> Q:
    """The rows whose approvals go to the member (`partner_accounts_responsible_to`)."""
    mine = Q(partner_account__cam_id=membership.user_id)
    if membership.role == Role.PROGRAM_ADMIN:
        return mine | _no_active_cam()
    return mine


def _filter_q(show: str, membership: Membership) -> Q:
    if show == "all":
        return Q()
    if show == "unassigned":
        return _no_active_cam()
    return _responsible_to(membership)


def _waiting(tenant: Tenant) -> QuerySet[ActionProgress]:
    return ActionProgress.objects.filter(
        tenant=tenant,
        status=ActionStatus.WAITING_FOR_APPROVAL,
        enrollment__status__in=CURRENT_ENROLLMENT_STATUSES,
    )


def queue_rows(*, tenant: Tenant, membership: Membership, show: str) -> QuerySet[ActionProgress]:
    """The waiting actions the filter `show` (QUEUE_FILTERS) keeps, oldest submission first,
    with what a row shows; slice it (a page), then pass the slice to `queue_page_rows`."""
    return (
        _waiting(tenant)
        .filter(_filter_q(show, membership))
        .select_related("action__stage", "partner_account__cam", "submitted_by")
        .order_by("submitted_at", "id")
    )


def queue_page_rows(*, tenant: Tenant, rows: QuerySet[ActionProgress]) -> list[ActionProgress]:
    """A page of `queue_rows`, with each row's files of the submission waiting
    (`current_files`): two queries, however many rows."""
    page = list(
        rows.prefetch_related(
            Prefetch("files", queryset=ActionFile.objects.filter(tenant=tenant).order_by("id"))
        )
    )
    for row in page:
        row.current_files = [
            f for f in row.files.all() if f.submission_round == row.submission_round
        ]
    return page


def queue_counts(*, tenant: Tenant, membership: Membership) -> dict[str, int]:
    """How many actions wait under each filter (the tabs' counts): one query."""
    return _waiting(tenant).aggregate(
        mine=Count("id", filter=_responsible_to(membership)),
        all=Count("id"),
        unassigned=Count("id", filter=_no_active_cam()),
    )


def queue_count(*, tenant: Tenant, membership: Membership) -> int:
    """The actions waiting for the member's partners (the nav badge): one COUNT."""
    return _waiting(tenant).filter(_responsible_to(membership)).count()


def queue_row_get(*, tenant: Tenant, progress_id: int) -> ActionProgress | None:
    """One action progress of the program, whatever its status (a row another CAM has just
    handled is still found, to say so), with what its queue row shows."""
    rows = (
        ActionProgress.objects.filter(tenant=tenant, pk=progress_id)
        .select_related("action__stage", "partner_account__cam", "submitted_by", "validated_by")
        .prefetch_related(
            Prefetch("files", queryset=ActionFile.objects.filter(tenant=tenant).order_by("id"))
        )
    )
    row = rows.first()
    if row is not None:
        row.current_files = [
            f for f in row.files.all() if f.submission_round == row.submission_round
        ]
    return row


def queue_ids_known(*, tenant: Tenant, progress_ids: Collection[int]) -> bool:
    """Whether every id is an action progress of this program (a forged id is not)."""
    ids = set(progress_ids)
    return ActionProgress.objects.filter(tenant=tenant, pk__in=ids).count() == len(ids)
