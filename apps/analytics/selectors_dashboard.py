"""The console home's figures (issue 13, "Dashboard"): the three numbers a staff member acts on
(actions waiting for their approval, their partners with an overdue milestone, their partners
stalled past their stage's p90), a compact onboarding funnel, and for program admins the
program's activation rate this quarter against last quarter.

Each figure comes from the selector that owns it (the work queue's count, the milestones
overview, the analytics funnel and time-in-stage selectors): the home shows the same numbers
as the page its tile links to, at a constant number of queries whatever the data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from apps.analytics.models import AnalyticsSnapshot
from apps.analytics.panels import AnalyticsFilters
from apps.analytics.selectors_pipeline import (
    funnel_panel,
    pipeline_scope,
    stage_figures,
)
from apps.analytics.selectors_segments_common import percent, program_zone
from apps.analytics.selectors_stalls import stage_p90s, stalled_past_p90_count
from apps.analytics.snapshots import snapshot_get, snapshot_kind_register
from apps.milestones.explorer import OVERDUE
from apps.milestones.models import PartnerTrack
from apps.milestones.selectors.home import cam_milestone_overview
from apps.onboarding.queue_badge import queue_count_cached
from apps.partners.models import PartnerAccount, PartnerStatus

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Membership, Tenant


# --- A staff member's numbers ---------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    stage: str
    reached: int
    now: int
    share: float  # reached, in % of the first stage's reached (the bar's length)


@dataclass(frozen=True)
class DashboardFunnel:
    """The program's default pipeline (the busiest one, as /console/analytics/ without
    filters), stage by stage; `empty` says what to do when there is nothing to draw."""

    pipeline: str
    steps: list[FunnelStep] = field(default_factory=list)
    empty: str = ""


@dataclass(frozen=True)
class CamDashboard:
    waiting: int
    waiting_url: str
    overdue: int
    overdue_url: str
    stalled: int
    stalled_url: str
    funnel: DashboardFunnel
    figures_at: datetime | None = None  # when the funnel and the stage p90s were computed


def _my_active_partners(*, tenant: Tenant, user: User) -> QuerySet[PartnerAccount]:
    return PartnerAccount.objects.filter(tenant=tenant, cam=user, status=PartnerStatus.ACTIVE)


def dashboard_funnel(*, tenant: Tenant, now: datetime) -> DashboardFunnel:
    """The analytics funnel panel of the busiest pipeline, unfiltered, as compact steps.
    Four queries."""
    filters = AnalyticsFilters()
    scope = pipeline_scope(tenant=tenant, filters=filters)
    figures = stage_figures(tenant=tenant, filters=filters, scope=scope, now=now)
    panel = funnel_panel(scope=scope, figures=figures, filters=filters)
    if panel.is_empty:
        return DashboardFunnel(pipeline=scope.name, empty=panel.empty)
    # Panel rows: stage, reached, in it now, finished, reached as % of the first stage.
    steps = [
        FunnelStep(stage=str(row[0]), reached=row[1], now=row[2], share=float(row[4] or 0.0))
        for row in panel.rows
    ]
    return DashboardFunnel(pipeline=scope.name, steps=steps)


# --- The program-wide figures every staff home shares (kept in a snapshot) -------------------

HOME = AnalyticsSnapshot.Kind.HOME.value


@dataclass(frozen=True)
class HomeFigures:
    funnel: DashboardFunnel
    p90s: dict[int, timedelta]  # every stage's p90 time in stage (program-wide)
    computed_at: datetime


def _home_compute(tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> dict[str, Any]:
    funnel = dashboard_funnel(tenant=tenant, now=now)
    p90s = stage_p90s(tenant=tenant, filters=filters)
    return {
        "funnel": asdict(funnel),
        "p90s": {str(stage_id): p90.total_seconds() for stage_id, p90 in p90s.items()},
    }


snapshot_kind_register(HOME, _home_compute)


def home_figures(*, tenant: Tenant, now: datetime) -> HomeFigures:
    """The funnel and the stage p90s every staff member's home shows, from the program's
    "home" snapshot (`apps/analytics/snapshots.py`: one query when fresh; the percentiles
    over every finished stage are computed at most once per refresh, not per page view)."""
    snapshot = snapshot_get(tenant=tenant, kind=HOME, filters=AnalyticsFilters(), now=now)
    funnel = snapshot.value["funnel"]
    return HomeFigures(
        funnel=DashboardFunnel(
            pipeline=funnel["pipeline"],
            steps=[FunnelStep(**step) for step in funnel["steps"]],
            empty=funnel["empty"],
        ),
        p90s={
            int(stage_id): timedelta(seconds=seconds)
            for stage_id, seconds in snapshot.value["p90s"].items()
        },
        computed_at=snapshot.computed_at,
    )


def cam_dashboard(
    *,
    tenant: Tenant,
    user: User,
    membership: Membership,
    now: datetime,
    milestones: Mapping[str, Any] | None = None,
) -> CamDashboard:
    """The member's three action numbers and the program's funnel.

    - waiting: actions Waiting for approval on the partners whose approvals go to the member
      (the work queue's "My partners" tab and the nav badge: their active partners, plus the
      partners without an active CAM for a program admin); cached as the badge is;
    - overdue: their active partners with an open milestone past its due date (the milestones
      overview's count: pass `milestones` when the caller has read it already);
    - stalled: their active partners in their current stage for longer than that stage's
      p90 across the whole program (every pipeline, as the time-in-stage panel times it;
      the p90s and the funnel come from the program's "home" snapshot, `home_figures`).

    Six queries at most (the cached waiting count and a given overview cost none)."""
    if milestones is None:
        milestones = cam_milestone_overview(tenant=tenant, user=user, now=now)
    program = home_figures(tenant=tenant, now=now)
    stalled = stalled_past_p90_count(
        tenant=tenant,
        accounts=_my_active_partners(tenant=tenant, user=user),
        p90s=program.p90s,
        now=now,
    )
    explorer = reverse("partners:explorer")
    analytics = reverse("analytics:index")
    mine = str(user.pk)
    overdue_query = urlencode(
        {"overdue": OVERDUE, "cam": mine, "status": PartnerStatus.ACTIVE.value}
    )
    return CamDashboard(
        waiting=queue_count_cached(tenant=tenant, membership=membership),
        waiting_url=reverse("queue:list"),
        overdue=int(milestones["partners_overdue"]),
        overdue_url=f"{explorer}?{overdue_query}",
        stalled=stalled,
        stalled_url=f"{analytics}?{urlencode({'cam': mine})}#panel-time_in_stage",
        funnel=program.funnel,
        figures_at=program.computed_at,
    )


# --- The program's activation, quarter on quarter -------------------------------------------

# Activated by the end of its activation window: the track's activation, else the account's
# (written together by the milestones layer), no later than the window's end.
ACTIVATED_IN_WINDOW = Q(activated_at__lte=F("activation_due_at")) | Q(
    activated_at__isnull=True, account__activated_at__lte=F("activation_due_at")
)


@dataclass(frozen=True)
class QuarterActivation:
    label: str  # "Q3 2026"
    first_day: date
    last_day: date  # the quarter's last day (this quarter: still running)
    ended: int  # partners whose activation window ended in the quarter (so far)
    activated: int  # of those, activated by the end of their window

    @property
    def rate(self) -> float | None:
        return percent(self.activated, self.ended) if self.ended else None


@dataclass(frozen=True)
class ProgramActivation:
    this: QuarterActivation
    last: QuarterActivation
    zone: str

    @property
    def change(self) -> float | None:
        """This quarter's rate minus last quarter's, in percentage points."""
        if self.this.rate is None or self.last.rate is None:
            return None
        return round(self.this.rate - self.last.rate, 1)

    @property
    def points(self) -> float | None:
        """The size of the change, in percentage points (its sign is `trend`)."""
        return None if self.change is None else abs(self.change)

    @property
    def trend(self) -> str:
        """ "up", "down" or "flat" against last quarter; "" when either has no figure."""
        change = self.change
        if change is None:
            return ""
        return "up" if change > 0 else "down" if change < 0 else "flat"


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _previous_quarter_start(start: date) -> date:
    return date(start.year - 1, 10, 1) if start.month == 1 else date(start.year, start.month - 3, 1)


def _next_quarter_start(start: date) -> date:
    return date(start.year + 1, 1, 1) if start.month == 10 else date(start.year, start.month + 3, 1)


def _quarter_label(start: date) -> str:
    return _("Q%(quarter)d %(year)d") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}


def program_activation(*, tenant: Tenant, now: datetime) -> ProgramActivation:
    """The activation rate of the partners whose activation window ended this quarter (up to
    now) and last quarter: of the partners with milestone tracking whose window's end
    (`PartnerTrack.activation_due_at`) falls in the quarter, the share activated by then.
    Quarters are calendar quarters in the program's time zone. One query."""
    zone = program_zone(tenant)
    today = now.astimezone(zone).date()
    this_first = _quarter_start(today)
    last_first = _previous_quarter_start(this_first)
    next_first = _next_quarter_start(this_first)
    this_start = datetime.combine(this_first, time.min, tzinfo=zone)
    last_start = datetime.combine(last_first, time.min, tzinfo=zone)
    in_this = Q(activation_due_at__gte=this_start)
    in_last = Q(activation_due_at__lt=this_start)
    counts = PartnerTrack.objects.filter(
        tenant=tenant, activation_due_at__gte=last_start, activation_due_at__lte=now
    ).aggregate(
        this_ended=Count("id", filter=in_this),
        this_activated=Count("id", filter=in_this & ACTIVATED_IN_WINDOW),
        last_ended=Count("id", filter=in_last),
        last_activated=Count("id", filter=in_last & ACTIVATED_IN_WINDOW),
    )
    return ProgramActivation(
        this=QuarterActivation(
            label=_quarter_label(this_first),
            first_day=this_first,
            last_day=date.fromordinal(next_first.toordinal() - 1),
            ended=counts["this_ended"],
            activated=counts["this_activated"],
        ),
        last=QuarterActivation(
            label=_quarter_label(last_first),
            first_day=last_first,
            last_day=date.fromordinal(this_first.toordinal() - 1),
            ended=counts["last_ended"],
            activated=counts["last_activated"],
        ),
        zone=zone.key,
    )
