"""Segment panels of /console/analytics/: who activates (by partner type, tier, region and
monthly enrollment cohort), how fast partners reach their first certification and first deal,
and how each milestone fares across the portfolio (issue 13).

Each panel is one set-based statement over the partners in scope (`AnalyticsFilters.accounts`
as a subquery when the filters narrow them), filtered on the tenant; the three activation
panels share one (`GROUPING SETS`); the tier labels add one query. The partners counted are
those with milestone tracking (`PartnerTrack`), segmented by their type, tier and region as
they are now: a partner moved to another type counts under its new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Count, DateField, ExpressionWrapper, F, Max, Q
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
    certification and first deal by type and by tier; the milestones. Five statements
    whatever the data and the filters."""
    by = segments(tenant=tenant)
    return [
        *activation_panels(tenant=tenant, filters=filters, by=by),
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


# The tracks in scope with their segments and flags, counted per type, per tier and per
# region in one pass (`GROUPING SETS`); `GROUPING(...) = 0` says which set a row belongs to.
_ACTIVATION_SQL = """
SELECT GROUPING(seg_type) = 0 AS by_type, GROUPING(seg_tier) = 0 AS by_tier,
       seg_type, seg_type_name, seg_type_position, seg_tier, seg_region,
       count(*), count(*) FILTER (WHERE is_activated), count(*) FILTER (WHERE is_dark)
FROM ({tracks}) AS tracks
GROUP BY GROUPING SETS ((seg_type, seg_type_name, seg_type_position), (seg_tier), (seg_region))
"""


def _activation_groups(
    *, tenant: Tenant, filters: AnalyticsFilters
) -> dict[str, list[dict[str, Any]]]:
    """The activation counts per segment key ("type", "tier", "region"). One query."""
    tracks = (
        tracks_in_scope(tenant=tenant, filters=filters)
        .values(
            seg_type=F("account__partner_type_id"),
            seg_type_name=F("account__partner_type__name"),
            seg_type_position=F("account__partner_type__position"),
            seg_tier=F("account__tier"),
            seg_region=F("account__region"),
            is_activated=ExpressionWrapper(ACTIVATED, output_field=BooleanField()),
            is_dark=ExpressionWrapper(DARK, output_field=BooleanField()),
        )
        .order_by()
    )
    groups: dict[str, list[dict[str, Any]]] = {"type": [], "tier": [], "region": []}
    try:
        sql, params = tracks.query.sql_with_params()
    except EmptyResultSet:
        return groups
    with connections[tracks.db].cursor() as cursor:
        cursor.execute(_ACTIVATION_SQL.format(tracks=sql), params)
        found = cursor.fetchall()
    for by_type, by_tier, type_id, name, position, tier, region, *counts in found:
        figures = dict(zip(("partners", "activated", "dark"), counts, strict=True))
        if by_type:
            groups["type"].append(
                {
                    "account__partner_type_id": type_id,
                    "account__partner_type__name": name,
                    "account__partner_type__position": position,
                    **figures,
                }
            )
        elif by_tier:
            groups["tier"].append({"account__tier": tier, **figures})
        else:
            groups["region"].append({"account__region": region, **figures})
    return groups


def activation_panels(
    *, tenant: Tenant, filters: AnalyticsFilters, by: Mapping[str, Segment]
) -> list[Panel]:
    """Activation by partner type, by tier and by region (`by`: `segments`). One query."""
    groups = _activation_groups(tenant=tenant, filters=filters)
    return [
        activation_panel(segment=by[key], groups=groups[key]) for key in ("type", "tier", "region")
    ]


def activation_panel(*, segment: Segment, groups: list[dict[str, Any]]) -> Panel:
    """Partners with milestone tracking per segment (`groups`: their counts), how many
    activated (the rate) and how many went dark (their activation window ran out first)."""
    rows = []
    series: list[tuple[str, float]] = []
    for group in ordered(groups, segment):
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
