"""The pipeline panels of /console/analytics/: the pipeline they describe, the onboarding
funnel, time in stage, and the actions partners stall on; and, for the console home's tile,
the stages' p90 times and how many partners are stalled past them.

Every panel is a few set-based statements (aggregates grouped by stage or action), whatever
the number of partners; Python only arranges the grouped rows. Every statement filters on the
tenant, and the partner scope is `AnalyticsFilters` (a subquery). The applications panels
(`selectors_applications.py`, which shares `Percentile` and `empty_period` from here) and the
CAM workload panel (`selectors_workload.py`) have their own modules; `selectors_page.py` lists
all of them in page order.

Which enrollments count: every enrollment in scope, superseded ones included (a partner moved
to another pipeline counts in each pipeline it was in, for what it did there); "in it now"
counts current enrollments only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connections, transaction
from django.db.models import (
    Aggregate,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext as _

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.onboarding.models import (
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    Stage,
    StageProgress,
)

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

DAY = 86400.0
# The memory the time-in-stage percentiles may sort in (one statement: `SET LOCAL`), so a
# large program's finished stage rows sort in memory rather than spilling to disk.
SORT_MEMORY_SQL = "SET LOCAL work_mem = '64MB'"


class Percentile(Aggregate):
    """PostgreSQL's `percentile_cont(<fraction>) WITHIN GROUP (ORDER BY …)` over intervals
    (the continuous percentile: the median of 2 and 4 days is 3 days)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=float(fraction), **extra)


def _days(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / DAY, 1)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def empty_period() -> str:
    """What an empty panel says when no partner enrolled in the period (shared with the
    applications panels)."""
    return _("No partner enrolled in this period: widen the dates or clear filters.")


# --- The pipeline the funnel and time in stage are about ------------------------------------


@dataclass(frozen=True)
class PipelineScope:
    """The pipeline the funnel and time-in-stage panels describe, and its live stages."""

    pipeline_id: int | None
    name: str
    stages: list[tuple[int, str]]  # (id, name) in pipeline order


def pipeline_scope(*, tenant: Tenant, filters: AnalyticsFilters) -> PipelineScope:
    """The chosen pipeline, else the one with most enrollments in scope (ties: the first
    made), with its live stages in order. Two queries."""
    chosen: Any
    if filters.pipeline:
        chosen = (
            Pipeline.objects.filter(tenant=tenant, pk=filters.pipeline).values("id", "name").first()
        )
    else:
        top = (
            _enrollments(tenant=tenant, filters=filters)
            .values("pipeline_id", "pipeline__name")
            .annotate(n=Count("id"))
            .order_by("-n", "pipeline_id")
            .first()
        )
        chosen = None if top is None else {"id": top["pipeline_id"], "name": top["pipeline__name"]}
    if chosen is None:
        return PipelineScope(pipeline_id=None, name="", stages=[])
    stages = list(
        Stage.objects.filter(tenant=tenant, pipeline_id=chosen["id"], archived_at__isnull=True)
        .order_by("position", "id")
        .values_list("id", "name")
    )
    return PipelineScope(pipeline_id=chosen["id"], name=chosen["name"], stages=stages)


def _scope_enrollments(
    *, tenant: Tenant, filters: AnalyticsFilters, scope: PipelineScope
) -> QuerySet[Enrollment]:
    assert scope.pipeline_id is not None
    return _enrollments(tenant=tenant, filters=filters).filter(pipeline_id=scope.pipeline_id)


def _enrollments(*, tenant: Tenant, filters: AnalyticsFilters) -> QuerySet[Enrollment]:
    """`filters.enrollments`, reading the accounts subquery only when the filters narrow the
    accounts (else the tenant and enrollment conditions alone select the same rows)."""
    if filters.narrows_accounts:
        return filters.enrollments(tenant)
    return Enrollment.objects.filter(filters.enrollment_q(), tenant=tenant)


def _skipped_stage() -> Q:
    """The stage progress row's stage was skipped: it had actions, and all were skipped."""
    same = {
        "tenant_id": OuterRef("tenant_id"),
        "enrollment_id": OuterRef("enrollment_id"),
        "action__stage_id": OuterRef("stage_id"),
    }
    return Q(Exists(ActionProgress.objects.filter(status=ActionStatus.SKIPPED, **same))) & ~Q(
        Exists(ActionProgress.objects.filter(**same).exclude(status=ActionStatus.SKIPPED))
    )


@dataclass(frozen=True)
class StageFigures:
    reached: int = 0
    now: int = 0
    finished: int = 0
    stalled: int = 0
    finishers: int = 0  # finished rows timed (skipped stages left out)
    median: timedelta | None = None
    p90: timedelta | None = None


def _threshold(stage_ref: str, p90s: dict[int, timedelta], now: datetime) -> Case:
    """`now - p90` of the row's stage (NULL for a stage nobody finished yet)."""
    return Case(
        *[When(**{stage_ref: sid}, then=Value(now - p90)) for sid, p90 in p90s.items()],
        default=Value(None),
        output_field=DateTimeField(),
    )


def stage_figures(
    *,
    tenant: Tenant,
    filters: AnalyticsFilters,
    scope: PipelineScope,
    now: datetime,
    roomy_sort: bool = False,
) -> dict[int, StageFigures]:
    """Per stage of the pipeline: partners who reached it, are in it now, finished it and are
    stalled in it past its p90; finished rows' median and p90 duration. Two queries (three
    with `roomy_sort`: the percentiles then sort in SORT_MEMORY, set for their transaction).

    A stage counts as reached when the partner entered it or finished it (a stage skipped
    ahead of time is finished), and as finished when it was completed. Time in stage is
    completed − entered over finished rows, leaving out skipped stages (nobody spent time
    there: their near-zero durations would hide where partners really wait)."""
    if scope.pipeline_id is None or not scope.stages:
        return {}
    enrollments = _scope_enrollments(tenant=tenant, filters=filters, scope=scope).values("pk")
    stage_ids = [sid for sid, _name in scope.stages]
    rows = StageProgress.objects.filter(
        tenant=tenant, enrollment__in=enrollments, stage_id__in=stage_ids
    )
    timed = (
        rows.filter(completed_at__isnull=False, entered_at__isnull=False)
        .exclude(_skipped_stage())
        .annotate(
            took=ExpressionWrapper(
                F("completed_at") - F("entered_at"), output_field=DurationField()
            )
        )
        .values("stage_id")
        .annotate(
            n=Count("id"),
            median=Percentile("took", fraction=0.5),
            p90=Percentile("took", fraction=0.9),
        )
        .order_by()
    )
    if roomy_sort:
        with transaction.atomic(using=timed.db, savepoint=False):
            with connections[timed.db].cursor() as cursor:
                cursor.execute(SORT_MEMORY_SQL)
            timed_rows = list(timed)
    else:
        timed_rows = list(timed)
    durations: dict[int, dict[str, Any]] = {row["stage_id"]: dict(row) for row in timed_rows}
    p90s = {sid: row["p90"] for sid, row in durations.items() if row["p90"] is not None}
    partner = "enrollment__partner_account_id"
    in_now = Q(
        enrollment__status=EnrollmentStatus.IN_PROGRESS,
        enrollment__current_stage_id=F("stage_id"),
    )
    counts = (
        rows.values("stage_id")
        .annotate(
            reached=Count(
                partner,
                distinct=True,
                filter=Q(entered_at__isnull=False) | Q(completed_at__isnull=False),
            ),
            now=Count(partner, distinct=True, filter=in_now),
            finished=Count(partner, distinct=True, filter=Q(completed_at__isnull=False)),
            stalled=Count(
                partner,
                distinct=True,
                filter=in_now & Q(entered_at__lt=_threshold("stage_id", p90s, now)),
            )
            if p90s
            else Value(0),
        )
        .order_by()
    )
    figures: dict[int, StageFigures] = {}
    for row in counts:
        timing: dict[str, Any] = durations.get(row["stage_id"], {})
        figures[row["stage_id"]] = StageFigures(
            reached=row["reached"],
            now=row["now"],
            finished=row["finished"],
            stalled=row["stalled"],
            finishers=timing.get("n", 0),
            median=timing.get("median"),
            p90=timing.get("p90"),
        )
    return figures


def funnel_panel(
    *, scope: PipelineScope, figures: dict[int, StageFigures], filters: AnalyticsFilters
) -> Panel:
    title = _("Onboarding funnel")
    if scope.pipeline_id is not None:
        title = _("Onboarding funnel: %(pipeline)s") % {"pipeline": scope.name}
    panel = Panel(
        key="funnel",
        title=title,
        description=_(
            "Partners who reached each stage, are in it now, and finished it. Partners moved "
            "to another pipeline count here for the stages they reached before moving."
        ),
        columns=[
            _("Stage"),
            _("Reached"),
            _("In it now"),
            _("Finished"),
            _("Reached (% of first stage)"),
        ],
        rows=[],
        chart="funnel",
    )
    if scope.pipeline_id is None:
        panel.empty = (
            empty_period()
            if filters.any
            else _(
                "No partner is enrolled in a pipeline yet: build a pipeline in Pipelines, "
                "then enroll partners."
            )
        )
        return panel
    if not scope.stages:
        panel.empty = _("This pipeline has no stages: add stages in Pipelines.")
        return panel
    if not any(f.reached for f in figures.values()):
        panel.empty = empty_period()
        return panel
    first = figures.get(scope.stages[0][0], StageFigures()).reached
    for sid, name in scope.stages:
        f = figures.get(sid, StageFigures())
        panel.rows.append([name, f.reached, f.now, f.finished, _percent(f.reached, first)])
        panel.series.append((name, float(f.reached)))
    return panel


def time_in_stage_panel(*, scope: PipelineScope, figures: dict[int, StageFigures]) -> Panel:
    panel = Panel(
        key="time_in_stage",
        title=_("Time in stage"),
        description=_(
            "How long partners took to finish each stage (median and 90th percentile, in "
            "days), and how many of those in it now have been there longer than the 90th "
            "percentile: the stall points. Skipped stages are left out of the durations."
        ),
        columns=[
            _("Stage"),
            _("Finished (timed)"),
            _("Median days"),
            _("P90 days"),
            _("In it now"),
            _("Stalled past P90"),
            _("Stalled (% of in it now)"),
        ],
        rows=[],
        chart="hbar",
        unit=_(" days"),
    )
    if scope.pipeline_id is None or not any(f.reached for f in figures.values()):
        panel.empty = empty_period()
        return panel
    if not any(f.finishers for f in figures.values()):
        panel.empty = _(
            "No partner has finished a stage in this period yet: widen the dates, or come "
            "back once partners move through the pipeline."
        )
        return panel
    for sid, name in scope.stages:
        f = figures.get(sid, StageFigures())
        median = _days(f.median)
        panel.rows.append(
            [name, f.finishers, median, _days(f.p90), f.now, f.stalled, _percent(f.stalled, f.now)]
        )
        panel.series.append((name, median or 0.0))
    return panel
