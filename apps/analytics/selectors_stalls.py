"""Stalls: partners in their current stage longer than that stage's p90 (the time-in-stage
panel's "Stalled past P90"), the actions they are waiting on, and how many of any set of
partners are stalled (the console home's tile). Timed as the time-in-stage panel times them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    QuerySet,
)
from django.utils.translation import gettext as _

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.analytics.selectors_pipeline import (
    Percentile,
    PipelineScope,
    StageFigures,
    _enrollments,
    _scope_enrollments,
    _skipped_stage,
    _threshold,
)
from apps.onboarding.models import (
    DONE_STATUSES,
    ActionProgress,
    EnrollmentStatus,
    StageProgress,
)

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

# How many of a stage's stall actions are listed.
STALL_ACTIONS_PER_STAGE = 3


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


def stage_p90s(*, tenant: Tenant, filters: AnalyticsFilters) -> dict[int, timedelta]:
    """Every stage's p90 time in stage, in any pipeline, over the finished rows of the
    enrollments in scope, timed as the time-in-stage panel times them (completed − entered,
    skipped stages left out). A stage nobody finished has none. One query."""
    rows = (
        StageProgress.objects.filter(
            tenant=tenant,
            enrollment__in=_enrollments(tenant=tenant, filters=filters).values("pk"),
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
