"""Reads of a partner's live progress: the Onboarding tab's and the portal journey's (issue 11).

Whether the automatic move to the next stage is due (`enrollment_move_pending`), when the
partner entered their current stage (`stage_entered_at`) and how long partners usually take
to finish a stage (`stage_usual_duration`, a cached median). Every selector takes `tenant=`
and filters on it explicitly; the other onboarding reads are in `selectors.py`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import Coalesce

from apps.onboarding.models import (
    DONE_STATUSES,
    ActionProgress,
    Enrollment,
    EnrollmentStatus,
    StageProgress,
    StageStatus,
)

if TYPE_CHECKING:
    from datetime import datetime

    from apps.tenancy.models import Tenant


def enrollment_move_pending(*, tenant: Tenant, enrollment: Enrollment) -> bool:
    """Whether the automatic move is due: the partner's current stage had actions and none
    is open any more (or the stage was removed), so the worker is about to move them on.

    The same test as `enrollments_due_for_advance_all_tenants`, for one enrollment (one
    query, given the enrollment with its current stage loaded)."""
    stage = enrollment.current_stage
    if enrollment.status != EnrollmentStatus.IN_PROGRESS or stage is None:
        return False
    if stage.archived_at is not None:
        return True
    rows = ActionProgress.objects.filter(
        tenant=tenant, enrollment=enrollment, action__stage_id=stage.pk
    )
    counts = rows.aggregate(
        total=Count("id"),
        open=Count(
            "id",
            filter=Q(action__archived_at__isnull=True) & ~Q(status__in=DONE_STATUSES),
        ),
    )
    return bool(counts["total"] > 0 and counts["open"] == 0)


class _Median(Aggregate):
    """PostgreSQL's `percentile_cont(0.5) WITHIN GROUP (ORDER BY …)` (works on intervals)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


# Fewer partners than this finished a stage: its usual time is not shown (too few to mean much).
USUAL_TIME_MIN_FINISHERS = 5
USUAL_TIME_CACHE_SECONDS = 3600


def stage_usual_duration(*, tenant: Tenant, stage_id: int) -> timedelta | None:
    """The median time partners took to finish this stage (completed − entered), over every
    partner of the program who finished it; None when fewer than USUAL_TIME_MIN_FINISHERS did.

    One query (percentile_cont), cached per stage for an hour. A stage row without an entry
    time counts from the enrollment's start."""
    key = f"onboarding:stage-usual:{tenant.pk}:{stage_id}"
    cached = cache.get(key)
    if cached is not None:
        seconds = cached["seconds"]
        return None if seconds is None else timedelta(seconds=seconds)
    result = (
        StageProgress.objects.filter(
            tenant=tenant,
            stage_id=stage_id,
            status=StageStatus.COMPLETED,
            completed_at__isnull=False,
        )
        .annotate(
            took=ExpressionWrapper(
                F("completed_at") - Coalesce("entered_at", "enrollment__started_at"),
                output_field=DurationField(),
            )
        )
        .aggregate(finishers=Count("id"), median=_Median("took"))
    )
    median = result["median"] if result["finishers"] >= USUAL_TIME_MIN_FINISHERS else None
    cache.set(
        key,
        {"seconds": None if median is None else median.total_seconds()},
        USUAL_TIME_CACHE_SECONDS,
    )
    return median


def stage_entered_at(*, tenant: Tenant, enrollment: Enrollment) -> datetime | None:
    """When the partner entered their current stage (None when not in one). One query."""
    if enrollment.current_stage_id is None:
        return None
    entered: datetime | None = (
        StageProgress.objects.filter(
            tenant=tenant, enrollment=enrollment, stage_id=enrollment.current_stage_id
        )
        .annotate(since=Coalesce("entered_at", "enrollment__started_at"))
        .values_list("since", flat=True)
        .first()
    )
    return entered or enrollment.started_at
