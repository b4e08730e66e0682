"""What every analytics panel is, and the filters every panel applies (`/console/analytics/`).

A panel is computed by one set-based selector (a few SQL statements, never a loop over
partners) from the filters, and rendered three ways from the same numbers: a server-rendered SVG
chart, the table of its numbers below it, and a CSV download of exactly that table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.onboarding.models import Enrollment
from apps.partners.models import PartnerAccount

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

# How a panel's numbers are drawn (templates/analytics/_chart.html).
CHART_KINDS = ("bar", "hbar", "funnel", "cohort", "none")


@dataclass
class Panel:
    """One panel: its numbers as a table (`columns`, `rows`: the CSV is exactly this), and
    what the chart draws (`series`: one (label, value) per bar; a funnel's stages; for a cohort
    table the rows themselves are the heat map). `empty` says what to do when there is no data.
    """

    key: str  # URL-safe: ?panel=<key> downloads its CSV
    title: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    chart: str = "bar"
    series: list[tuple[str, float]] = field(default_factory=list)
    unit: str = ""  # shown after chart values: "%", " days"
    empty: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.rows


@dataclass(frozen=True)
class AnalyticsFilters:
    """The filters of /console/analytics/, kept in the URL. None / "" means any.

    Partner filters (type, tier, region, CAM) narrow the partner accounts; pipeline and the
    enrollment period narrow them to partners with an enrollment in that pipeline started in
    that period (superseded enrollments included: a partner moved to another pipeline still
    counts where it was enrolled)."""

    pipeline: int | None = None
    partner_type: int | None = None
    tier: str = ""
    region: str = ""
    cam: int | None = None
    enrolled_from: date | None = None
    enrolled_to: date | None = None

    def enrollment_q(self, prefix: str = "") -> Q:
        """The pipeline and period conditions on Enrollment rows (`prefix` for a relation)."""
        q = Q()
        if self.pipeline:
            q &= Q(**{f"{prefix}pipeline_id": self.pipeline})
        if self.enrolled_from:
            q &= Q(**{f"{prefix}started_at__gte": _start_of(self.enrolled_from)})
        if self.enrolled_to:
            q &= Q(**{f"{prefix}started_at__lt": _start_of(self.enrolled_to, days=1)})
        return q

    def enrollments(self, tenant: Tenant) -> QuerySet[Enrollment]:
        """The enrollments in scope: of the accounts in scope, in the pipeline and period."""
        return Enrollment.objects.filter(
            self.enrollment_q(), tenant=tenant, partner_account__in=self.accounts(tenant)
        )

    def accounts(self, tenant: Tenant) -> QuerySet[PartnerAccount]:
        """The partner accounts in scope (a queryset: use it as a subquery)."""
        rows = PartnerAccount.objects.filter(tenant=tenant)
        if self.partner_type:
            rows = rows.filter(partner_type_id=self.partner_type)
        if self.tier:
            rows = rows.filter(tier=self.tier)
        if self.region:
            rows = rows.filter(region=self.region)
        if self.cam:
            rows = rows.filter(cam_id=self.cam)
        if self.pipeline or self.enrolled_from or self.enrolled_to:
            rows = rows.filter(
                Exists(
                    Enrollment.objects.filter(
                        self.enrollment_q(), tenant=tenant, partner_account=OuterRef("pk")
                    )
                )
            )
        return rows

    @property
    def narrows_accounts(self) -> bool:
        """Whether `accounts` is narrower than all the tenant's partner accounts (any partner,
        pipeline or period filter set): only then is it worth using as a subquery; without
        one, a tenant filter alone selects the same rows without reading every account."""
        return self.any

    @property
    def any(self) -> bool:
        return any(
            [
                self.pipeline,
                self.partner_type,
                self.tier,
                self.region,
                self.cam,
                self.enrolled_from,
                self.enrolled_to,
            ]
        )


def _start_of(day: date, *, days: int = 0) -> datetime:
    """Midnight starting `day` (+ `days`) in the current time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))
