"""Segment panels of /console/analytics/: who activates (by partner type, tier, region and
monthly enrollment cohort), how fast partners reach their first certification and first deal,
and how each milestone fares across the portfolio (issue 13).

Each panel is one set-based statement over the partners in scope (`AnalyticsFilters.accounts`
as a subquery), filtered on the tenant; the tier labels add one query. The partners counted are
those with milestone tracking (`PartnerTrack`), segmented by their type, tier and region as
they are now: a partner moved to another type counts under its new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.db.models import Count, DateField, F, Max, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.analytics.panels import Panel
from apps.analytics.selectors_segments_common import (
    ACTIVATED,
    DARK,
    DASH,
    Segment,
    ordered,
    percent,
    program_zone,
    segments,
    tracks_in_scope,
)
from apps.analytics.selectors_segments_timing import milestones_panel, time_to_first_panels

if TYPE_CHECKING:
    from apps.analytics.panels import AnalyticsFilters
    from apps.tenancy.models import Tenant

COHORT_DAYS = (30, 60, 90)

EMPTY_TRACKING = gettext_lazy(
    "No partner in these filters has milestone tracking yet. Tracking starts when a partner "
    "is enrolled (or from the partner's Milestones tab); widen the filters or start tracking "
    "your partners."
)


def segment_panels(*, tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> list[Panel]:
    """Activation by type, tier and region; the activation cohorts; time to first
    certification and first deal by type and by tier; the milestones. Seven statements
    whatever the data and the filters."""
    by = segments(tenant=tenant)
    return [
        activation_panel(tenant=tenant, filters=filters, segment=by["type"]),
        activation_panel(tenant=tenant, filters=filters, segment=by["tier"]),
        activation_panel(tenant=tenant, filters=filters, segment=by["region"]),
        cohort_panel(tenant=tenant, filters=filters, now=now),
        *time_to_first_panels(
            tenant=tenant, filters=filters, by_type=by["type"], by_tier=by["tier"]
        ),
        milestones_panel(tenant=tenant, filters=filters, now=now),
    ]


_ACTIVATION_TITLES = {
    "type": (gettext_lazy("Activation rate by partner type"), "activation_by_type"),
    "tier": (gettext_lazy("Activation rate by tier"), "activation_by_tier"),
    "region": (gettext_lazy("Activation rate by region"), "activation_by_region"),
}


def activation_panel(*, tenant: Tenant, filters: AnalyticsFilters, segment: Segment) -> Panel:
    """Partners with milestone tracking per segment, how many activated (the rate) and how
    many went dark (their activation window ran out first). One query."""
    groups = (
        tracks_in_scope(tenant=tenant, filters=filters)
        .values(*segment.fields)
        .annotate(
            partners=Count("id"),
            activated=Count("id", filter=ACTIVATED),
            dark=Count("id", filter=DARK),
        )
        .order_by()
    )
    rows = []
    series: list[tuple[str, float]] = []
    for group in ordered(list(groups), segment):
        label = segment.label(group)
        rate = percent(group["activated"], group["partners"])
        rows.append([label, group["partners"], group["activated"], rate, group["dark"]])
        series.append((label, rate))
    title, key = _ACTIVATION_TITLES[segment.key]
    return Panel(
        key=key,
        title=str(title),
        description=_(
            "Partners with milestone tracking, how many activated (completed their track's "
            "activation milestones) and how many went dark (activation window over, not "
            "activated)."
        ),
        columns=[
            segment.column,
            _("Partners"),
            _("Activated"),
            _("Activation rate (%)"),
            _("Dark"),
        ],
        rows=rows,
        chart="hbar",
        series=series,
        unit="%",
        empty=str(EMPTY_TRACKING),
    )


def cohort_panel(*, tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> Panel:
    """Rows = the month tracking started (in the program's time zone), columns = partners,
    then the share activated by day 30 / 60 / 90 of their tracking. A day the cohort has not
    reached yet (its latest partner started less than that many days ago) is "—", not 0%.
    Months without partners are left out. One query."""
    zone = program_zone(tenant)
    by_day = {
        f"by_{n}": Count(
            "id",
            filter=Q(activated_at__lte=F("enrolled_at") + timedelta(days=n))
            | Q(
                activated_at__isnull=True,
                account__activated_at__lte=F("enrolled_at") + timedelta(days=n),
            ),
        )
        for n in COHORT_DAYS
    }
    cohorts = (
        tracks_in_scope(tenant=tenant, filters=filters)
        .annotate(month=TruncMonth("enrolled_at", tzinfo=zone, output_field=DateField()))
        .values("month")
        .annotate(partners=Count("id"), latest=Max("enrolled_at"), **by_day)
        .order_by("month")
    )
    rows = []
    # Rows with the by_<n> counts (named at run time: a plain mapping for the type checker).
    for cohort in cast("list[Mapping[str, Any]]", list(cohorts)):
        row: list[object] = [cohort["month"].strftime("%Y-%m"), cohort["partners"]]
        for n in COHORT_DAYS:
            reached = cohort["latest"] + timedelta(days=n) <= now
            row.append(percent(cohort[f"by_{n}"], cohort["partners"]) if reached else DASH)
        rows.append(row)
    return Panel(
        key="activation_cohorts",
        title=_("Activation by enrollment cohort"),
        description=_(
            "Partners by the month their milestone tracking started (program time zone, "
            "%(zone)s) and the share activated within 30, 60 and 90 days. “—”: the cohort's "
            "latest partner has not had that many days yet."
        )
        % {"zone": zone.key},
        columns=[
            _("Enrollment month"),
            _("Partners"),
            *(_("Activated by day %(day)s (%%)") % {"day": n} for n in COHORT_DAYS),
        ],
        rows=rows,
        chart="cohort",
        unit="%",
        empty=str(EMPTY_TRACKING),
    )
