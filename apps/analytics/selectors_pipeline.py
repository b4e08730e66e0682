"""The pipeline panels of /console/analytics/: the onboarding funnel, time in stage (with its
stall points and the actions partners stall on), applications, and CAM workload.

Every panel is a few set-based statements (aggregates grouped by stage, action, source, week
or CAM), whatever the number of partners; Python only arranges the grouped rows. Every
statement filters on the tenant, and the partner scope is `AnalyticsFilters` (a subquery).

Which enrollments count: every enrollment in scope, superseded ones included (a partner moved
to another pipeline counts in each pipeline it was in, for what it did there); "in it now"
counts current enrollments only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

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
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.applications.models import Application, ApplicationSource, ApplicationStatus
from apps.milestones.models import Alert, AlertStatus
from apps.milestones.selectors.alerts import not_snoozed
from apps.onboarding.models import (
    CURRENT_ENROLLMENT_STATUSES,
    DONE_STATUSES,
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    Stage,
    StageProgress,
)
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.tenancy.models import Membership, Tenant

# How many of a stage's stall actions are listed.
STALL_ACTIONS_PER_STAGE = 3
# The applications panel's weeks (the last ones of the period).
APPLICATION_WEEKS = 12
DAY = 86400.0
HOUR = 3600.0


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


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / HOUR, 1)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _midnight(day: date) -> datetime:
    """Midnight starting `day` in the current time zone (the program's)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _empty_period() -> str:
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
            filters.enrollments(tenant)
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
    return filters.enrollments(tenant).filter(pipeline_id=scope.pipeline_id)


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
    *, tenant: Tenant, filters: AnalyticsFilters, scope: PipelineScope, now: datetime
) -> dict[int, StageFigures]:
    """Per stage of the pipeline: partners who reached it, are in it now, finished it and are
    stalled in it past its p90; finished rows' median and p90 duration. Two queries.

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
    durations: dict[int, dict[str, Any]] = {row["stage_id"]: dict(row) for row in timed}
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
            _empty_period()
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
        panel.empty = _empty_period()
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
        panel.empty = _empty_period()
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


def stall_actions_panel(
    *,
    tenant: Tenant,
    filters: AnalyticsFilters,
    scope: PipelineScope,
    figures: dict[int, StageFigures],
    now: datetime,
) -> Panel:
    """The actions still open for partners stalled past their stage's p90, counted by action
    (partners with it open), the top STALL_ACTIONS_PER_STAGE of each stage. One query."""
    panel = Panel(
        key="stall_actions",
        title=_("What stalled partners are waiting on"),
        description=_(
            "For partners in a stage longer than its 90th percentile: the actions still open, "
            "by how many of those partners have them open (top %(n)d per stage)."
        )
        % {"n": STALL_ACTIONS_PER_STAGE},
        columns=[_("Stage"), _("Action"), _("Stalled partners with it open")],
        rows=[],
        chart="hbar",
    )
    p90s = {sid: f.p90 for sid, f in figures.items() if f.p90 is not None and f.stalled}
    if not p90s:
        panel.empty = _("No partner is stalled past the 90th percentile of their stage.")
        return panel
    enrollments = _scope_enrollments(tenant=tenant, filters=filters, scope=scope).values("pk")
    stalled_here = StageProgress.objects.filter(
        tenant=tenant,
        enrollment_id=OuterRef("enrollment_id"),
        stage_id=OuterRef("action__stage_id"),
        entered_at__lt=_threshold("stage_id", p90s, now),
    )
    rows = (
        ActionProgress.objects.filter(
            tenant=tenant,
            enrollment__in=enrollments,
            enrollment__status=EnrollmentStatus.IN_PROGRESS,
            enrollment__current_stage_id=F("action__stage_id"),
            action__stage_id__in=list(p90s),
            action__archived_at__isnull=True,
        )
        .exclude(status__in=DONE_STATUSES)
        .filter(Exists(stalled_here))
        .values("action__stage_id", "action_id", "action__title")
        .annotate(n=Count("partner_account_id", distinct=True))
        .order_by("action__stage_id", "-n", "action__title", "action_id")
    )
    names = dict(scope.stages)
    picked: dict[int, list[Any]] = {}
    for row in rows:
        top: list[Any] = picked.setdefault(row["action__stage_id"], [])
        if len(top) < STALL_ACTIONS_PER_STAGE:
            top.append(row)
    for sid, _name in scope.stages:
        for row in picked.get(sid, []):
            panel.rows.append([names[sid], row["action__title"], row["n"]])
            panel.series.append((f"{names[sid]} · {row['action__title']}", float(row["n"])))
    if not panel.rows:
        panel.empty = _(
            "Partners stalled past the 90th percentile have no open action: they wait for a "
            "CAM to move them on."
        )
    return panel


# --- Applications ----------------------------------------------------------------------------

_APPROVED = (ApplicationStatus.APPROVED, ApplicationStatus.ADDED)
_REJECTED = (ApplicationStatus.REJECTED, ApplicationStatus.DECLINED)


def _application_counts() -> dict[str, Any]:
    return {
        "received": Count("id"),
        "confirmed": Count(
            "id", filter=Q(confirmed_at__isnull=False) | ~Q(status=ApplicationStatus.UNCONFIRMED)
        ),
        "approved": Count("id", filter=Q(status__in=_APPROVED)),
        "rejected": Count("id", filter=Q(status__in=_REJECTED)),
        "pending": Count("id", filter=Q(status=ApplicationStatus.PENDING)),
        "decision": Percentile(
            ExpressionWrapper(
                F("decided_at") - Coalesce("confirmed_at", "created_at"),
                output_field=DurationField(),
            ),
            fraction=0.5,
            filter=Q(decided_at__isnull=False),
        ),
    }


def _applications(*, tenant: Tenant, filters: AnalyticsFilters) -> QuerySet[Application]:
    """Applications received in the period, of the partner type chosen (the partner filters
    that exist before there is a partner: tier, region, CAM and pipeline don't apply)."""
    rows = Application.objects.filter(tenant=tenant)
    if filters.partner_type:
        rows = rows.filter(partner_type_id=filters.partner_type)
    if filters.enrolled_from:
        rows = rows.filter(created_at__gte=_midnight(filters.enrolled_from))
    if filters.enrolled_to:
        rows = rows.filter(created_at__lt=_midnight(filters.enrolled_to + timedelta(days=1)))
    return rows


def _application_notes(filters: AnalyticsFilters) -> list[str]:
    if filters.tier or filters.region or filters.cam or filters.pipeline:
        return [
            _(
                "Applications come before partners: only the partner type and the period "
                "filters apply to them."
            )
        ]
    return []


def applications_panel(*, tenant: Tenant, filters: AnalyticsFilters) -> Panel:
    """Received → confirmed → approved / rejected / pending, by source, with the median time
    from confirmation to decision. Two queries (by source, and all sources)."""
    panel = Panel(
        key="applications",
        title=_("Applications"),
        description=_(
            "Applications received in the period, by source: how many were confirmed by the "
            "applicant, then approved, rejected or still pending, and the median time from "
            "confirmation to decision."
        ),
        columns=[
            _("Source"),
            _("Received"),
            _("Confirmed"),
            _("Approved"),
            _("Rejected"),
            _("Pending"),
            _("Median hours to decision"),
        ],
        rows=[],
        chart="bar",
        notes=_application_notes(filters),
    )
    rows = _applications(tenant=tenant, filters=filters)
    by_source: dict[str, Any] = {
        row["source"]: row
        for row in rows.values("source").annotate(**_application_counts()).order_by()
    }
    total = rows.aggregate(**_application_counts())
    if not total["received"]:
        panel.empty = _(
            "No application was received in this period: widen the dates, or share the "
            "application form (/apply/) and send invitations."
        )
        return panel
    keys = ("received", "confirmed", "approved", "rejected", "pending")
    for source, label in ApplicationSource.choices:
        row = by_source.get(source)
        if row is None:
            continue
        panel.rows.append([str(label), *(row[k] for k in keys), _hours(row["decision"])])
    panel.rows.append([_("All sources"), *(total[k] for k in keys), _hours(total["decision"])])
    labels = (_("Received"), _("Confirmed"), _("Approved"), _("Rejected"), _("Pending"))
    panel.series = [(str(label), float(total[k])) for label, k in zip(labels, keys, strict=True)]
    return panel


def _weeks_of(filters: AnalyticsFilters, today: date) -> list[date]:
    """The Mondays of the last APPLICATION_WEEKS weeks of the period (to its end, or today)."""
    end = min(filters.enrolled_to or today, today)
    last = end - timedelta(days=end.weekday())
    weeks = [last - timedelta(weeks=i) for i in reversed(range(APPLICATION_WEEKS))]
    if filters.enrolled_from:
        first = filters.enrolled_from - timedelta(days=filters.enrolled_from.weekday())
        weeks = [w for w in weeks if w >= first]
    return weeks


def applications_weekly_panel(*, tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> Panel:
    """Applications received per week (the last 12 weeks of the period) and what became of
    them. One query."""
    panel = Panel(
        key="applications_weekly",
        title=_("Applications by week"),
        description=_(
            "Applications received each week (weeks start on Monday) over the last %(n)d weeks "
            "of the period, and what became of them."
        )
        % {"n": APPLICATION_WEEKS},
        columns=[
            _("Week of"),
            _("Received"),
            _("Confirmed"),
            _("Approved"),
            _("Rejected"),
            _("Pending"),
        ],
        rows=[],
        chart="bar",
        notes=_application_notes(filters),
    )
    weeks = _weeks_of(filters, timezone.localdate(now))
    if not weeks:
        panel.empty = _empty_period()
        return panel
    start, end = _midnight(weeks[0]), _midnight(weeks[-1] + timedelta(days=7))
    counts = _application_counts()
    del counts["decision"]
    rows = (
        _applications(tenant=tenant, filters=filters)
        .filter(created_at__gte=start, created_at__lt=end)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(**counts)
        .order_by()
    )
    found: dict[date, Any] = {timezone.localdate(row["week"]): row for row in rows}
    if not found:
        panel.empty = _(
            "No application was received in these weeks: widen the dates, or share the "
            "application form (/apply/) and send invitations."
        )
        return panel
    keys = ("received", "confirmed", "approved", "rejected", "pending")
    for week in weeks:
        row: dict[str, Any] = found.get(week, {})
        panel.rows.append([week.isoformat(), *(row.get(k, 0) for k in keys)])
        panel.series.append((date_format(week, "j M"), float(row.get("received", 0))))
    return panel


# --- CAM workload ----------------------------------------------------------------------------


def cam_workload_panel(
    *,
    tenant: Tenant,
    filters: AnalyticsFilters,
    managers: list[Membership],
    now: datetime,
) -> Panel:
    """Per active staff member (and "Unassigned": no CAM, or one no longer active): partners,
    actions waiting for approval, open alerts. Three grouped queries; `managers` is the active
    staff (`channel_managers_for`, which the filter form has read already)."""
    panel = Panel(
        key="cam_workload",
        title=_("CAM workload"),
        description=_(
            "Partners per channel manager, the actions waiting for their approval, and their "
            "open alerts. “Unassigned” is partners without an active CAM: their approvals and "
            "alerts go to the program admins."
        ),
        columns=[_("Channel manager"), _("Partners"), _("Waiting approvals"), _("Open alerts")],
        rows=[],
        chart="hbar",
    )
    accounts = filters.accounts(tenant)
    partners = dict(
        accounts.values("cam_id").annotate(n=Count("id")).order_by().values_list("cam_id", "n")
    )
    waiting = dict(
        ActionProgress.objects.filter(
            tenant=tenant,
            status=ActionStatus.WAITING_FOR_APPROVAL,
            enrollment__status__in=CURRENT_ENROLLMENT_STATUSES,
            partner_account__in=accounts.values("pk"),
        )
        .values("partner_account__cam_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("partner_account__cam_id", "n")
    )
    alerts = dict(
        Alert.objects.filter(
            not_snoozed(timezone.localdate(now)),
            tenant=tenant,
            status=AlertStatus.OPEN,
            account__in=accounts.values("pk"),
        )
        .values("account__cam_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("account__cam_id", "n")
    )
    active = {m.user_id: m for m in managers}
    unassigned = [0, 0, 0]
    for column, counts in enumerate((partners, waiting, alerts)):
        for cam_id, n in counts.items():
            if cam_id not in active:
                unassigned[column] += n
    for user_id, membership in active.items():
        if filters.cam and user_id != filters.cam:
            continue
        figures = [partners.get(user_id, 0), waiting.get(user_id, 0), alerts.get(user_id, 0)]
        if not any(figures) and membership.role != Role.CHANNEL_MANAGER:
            continue  # a program admin without partners of their own
        name = membership.user.get_full_name() or membership.user.email
        panel.rows.append([name, *figures])
    if any(unassigned) and not filters.cam:
        panel.rows.append([_("Unassigned"), *unassigned])
    panel.rows.sort(key=lambda row: (-row[1], str(row[0])))
    panel.series = [(str(row[0]), float(row[1])) for row in panel.rows]
    if not any(any(row[1:]) for row in panel.rows):
        panel.rows = []
        panel.empty = _(
            "No partner in scope: clear the filters, or assign channel managers to partners "
            "from the Partner Explorer."
        )
    return panel


# --- The page's pipeline panels ----------------------------------------------------------------


def pipeline_panels(
    *,
    tenant: Tenant,
    filters: AnalyticsFilters,
    now: datetime,
    managers: list[Membership],
) -> list[Panel]:
    """Every pipeline panel of the page, in page order. A constant number of queries."""
    scope = pipeline_scope(tenant=tenant, filters=filters)
    figures = stage_figures(tenant=tenant, filters=filters, scope=scope, now=now)
    return [
        funnel_panel(scope=scope, figures=figures, filters=filters),
        time_in_stage_panel(scope=scope, figures=figures),
        stall_actions_panel(tenant=tenant, filters=filters, scope=scope, figures=figures, now=now),
        applications_panel(tenant=tenant, filters=filters),
        applications_weekly_panel(tenant=tenant, filters=filters, now=now),
        cam_workload_panel(tenant=tenant, filters=filters, managers=managers, now=now),
    ]


# --- Stalled past the p90, for any set of partners (the console home's tile) ---------------


def stage_p90s(*, tenant: Tenant, filters: AnalyticsFilters) -> dict[int, timedelta]:
    """Every stage's p90 time in stage, in any pipeline, over the finished rows of the
    enrollments in scope, timed as the time-in-stage panel times them (completed − entered,
    skipped stages left out). A stage nobody finished has none. One query."""
    rows = (
        StageProgress.objects.filter(
            tenant=tenant,
            enrollment__in=filters.enrollments(tenant).values("pk"),
            completed_at__isnull=False,
            entered_at__isnull=False,
        )
        .exclude(_skipped_stage())
        .annotate(
            took=ExpressionWrapper(
                F("completed_at") - F("entered_at"), output_field=DurationField()
            )
        )
        .values("stage_id")
        .annotate(p90=Percentile("took", fraction=0.9))
        .order_by()
    )
    return {row["stage_id"]: row["p90"] for row in rows if row["p90"] is not None}


def stalled_past_p90_count(
    *,
    tenant: Tenant,
    accounts: QuerySet[Any],
    p90s: dict[int, timedelta],
    now: datetime,
) -> int:
    """How many of `accounts` (a PartnerAccount queryset, used as a subquery) are stalled:
    onboarding in progress, in their current stage since before now − that stage's p90
    (`stage_p90s`), as the time-in-stage panel's "Stalled past P90". One query (none when no
    stage has a p90)."""
    if not p90s:
        return 0
    found: int = StageProgress.objects.filter(
        tenant=tenant,
        enrollment__partner_account__in=accounts.values("pk"),
        enrollment__status=EnrollmentStatus.IN_PROGRESS,
        enrollment__current_stage_id=F("stage_id"),
        stage_id__in=list(p90s),
        entered_at__lt=_threshold("stage_id", p90s, now),
    ).aggregate(n=Count("enrollment__partner_account_id", distinct=True))["n"]
    return found
