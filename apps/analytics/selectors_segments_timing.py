"""Segment panels about time: how long partners take to their first certification and first
deal (median and p90 by partner type and by tier), and each milestone's completion, overdue
count and lateness across the portfolio (issue 13).

The firsts come from the partner event log (`certification.passed`, `deal.registered`: the
earliest of each per partner, one grouped aggregate over those events joined to the tracks),
counted from the partner's tracking start. Both the by-type and by-tier panels are one statement
(`GROUPING SETS`), the milestones panel another.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from apps.analytics.panels import Panel
from apps.analytics.selectors_segments_common import DASH, Segment, days, ordered, percent
from apps.analytics.selectors_segments_common import tracks_in_scope as _tracks
from apps.milestones.models import PartnerMilestone
from apps.milestones.verbs import CERTIFICATION_PASSED_EVENT, DEAL_REGISTERED_EVENT
from apps.partners.models import PartnerEvent

if TYPE_CHECKING:
    from apps.analytics.panels import AnalyticsFilters
    from apps.tenancy.models import Tenant

# The partners' firsts (a CTE read once), their days since tracking started (never below 0:
# a certification passed before tracking started counts as day 0), then the medians and p90s
# per type and per tier. percentile_cont interpolates: the median of 10, 20, 40, 50 is 30.
_FIRSTS_SQL = """
WITH events AS ({events}),
firsts AS MATERIALIZED (
    SELECT tracks.*, events.first_cert, events.first_deal
    FROM ({tracks}) AS tracks LEFT JOIN events ON events.account_id = tracks.seg_account
),
days AS (
    SELECT seg_type, seg_type_name, seg_type_position, seg_tier,
           CASE WHEN first_cert IS NOT NULL
                THEN GREATEST(EXTRACT(EPOCH FROM first_cert - started), 0)::float8 / 86400
           END AS cert,
           CASE WHEN first_deal IS NOT NULL
                THEN GREATEST(EXTRACT(EPOCH FROM first_deal - started), 0)::float8 / 86400
           END AS deal
    FROM firsts
)
SELECT GROUPING(seg_tier) = 1 AS by_type, seg_type, seg_type_name, seg_type_position, seg_tier,
       count(*),
       count(cert), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY cert),
       count(deal), percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY deal)
FROM days
GROUP BY GROUPING SETS ((seg_type, seg_type_name, seg_type_position), (seg_tier))
"""


def _first_events(*, tenant: Tenant, filters: AnalyticsFilters) -> QuerySet[Any]:
    """Per partner with any, when its first certification passed and its first deal
    registered (None if never): one pass over those two event types."""
    events = PartnerEvent.objects.filter(
        tenant=tenant, type__in=[CERTIFICATION_PASSED_EVENT, DEAL_REGISTERED_EVENT]
    )
    if filters.narrows_accounts:
        events = events.filter(account__in=filters.accounts(tenant))
    return (
        events.values("account_id")
        .annotate(
            first_cert=Min("occurred_at", filter=Q(type=CERTIFICATION_PASSED_EVENT)),
            first_deal=Min("occurred_at", filter=Q(type=DEAL_REGISTERED_EVENT)),
        )
        .order_by()
    )


def _firsts(*, tenant: Tenant, filters: AnalyticsFilters) -> list[tuple[Any, ...]]:
    tracks = (
        _tracks(tenant=tenant, filters=filters)
        .values(
            seg_account=F("account_id"),
            seg_type=F("account__partner_type_id"),
            seg_type_name=F("account__partner_type__name"),
            seg_type_position=F("account__partner_type__position"),
            seg_tier=F("account__tier"),
            started=F("enrolled_at"),
        )
        .order_by()
    )
    events = _first_events(tenant=tenant, filters=filters)
    try:
        tracks_sql, tracks_params = tracks.query.sql_with_params()
        events_sql, events_params = events.query.sql_with_params()
    except EmptyResultSet:
        return []
    with connections[tracks.db].cursor() as cursor:
        cursor.execute(
            _FIRSTS_SQL.format(events=events_sql, tracks=tracks_sql),
            (*events_params, *tracks_params),
        )
        return list(cursor.fetchall())


def time_to_first_panels(
    *, tenant: Tenant, filters: AnalyticsFilters, by_type: Segment, by_tier: Segment
) -> list[Panel]:
    """Median and p90 days from tracking start to the first certification passed and to the
    first deal registered, and how many got there: by partner type, and by tier. One query."""
    type_groups: list[dict[str, Any]] = []
    tier_groups: list[dict[str, Any]] = []
    for is_type, type_id, type_name, position, tier, *figures in _firsts(
        tenant=tenant, filters=filters
    ):
        if is_type:
            type_groups.append(
                {
                    "account__partner_type_id": type_id,
                    "account__partner_type__name": type_name,
                    "account__partner_type__position": position,
                    "figures": figures,
                }
            )
        else:
            tier_groups.append({"account__tier": tier, "figures": figures})
    return [
        _time_to_first_panel(
            key="time_to_first",
            title=_("Time to first certification and first deal, by partner type"),
            segment=by_type,
            groups=type_groups,
        ),
        _time_to_first_panel(
            key="time_to_first_by_tier",
            title=_("Time to first certification and first deal, by tier"),
            segment=by_tier,
            groups=tier_groups,
        ),
    ]


def _time_to_first_panel(
    *, key: str, title: str, segment: Segment, groups: list[dict[str, Any]]
) -> Panel:
    rows: list[list[Any]] = []
    series: list[tuple[str, float]] = []
    for group in ordered(groups, segment):
        label = segment.label(group)
        partners, certified, cert, dealt, deal = group["figures"]
        cert_median, cert_p90 = cert or (None, None)
        deal_median, deal_p90 = deal or (None, None)
        rows.append(
            [
                label,
                partners,
                certified,
                days(cert_median),
                days(cert_p90),
                dealt,
                days(deal_median),
                days(deal_p90),
            ]
        )
        if cert_median is not None:
            series.append(
                (_("%(segment)s: certification") % {"segment": label}, round(cert_median, 1))
            )
        if deal_median is not None:
            series.append((_("%(segment)s: deal") % {"segment": label}, round(deal_median, 1)))
    return Panel(
        key=key,
        title=title,
        description=_(
            "Days from the start of milestone tracking to the first certification passed and "
            "to the first deal registered (events from your LMS and deal desk, or logged by "
            "a channel manager): median and 90th percentile over the partners who got there."
        ),
        columns=[
            segment.column,
            _("Partners"),
            _("Certified"),
            _("Median days to first certification"),
            _("p90 days to first certification"),
            _("With a deal"),
            _("Median days to first deal"),
            _("p90 days to first deal"),
        ],
        rows=rows,
        chart="hbar",
        series=series,
        unit=_(" days"),
        empty=_(
            "No partner in these filters has milestone tracking yet. Start tracking partners; "
            "certifications and deals then arrive as “certification.passed” and "
            "“deal.registered” events through the API or the partner's Milestones tab."
        ),
    )


def milestones_panel(*, tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> Panel:
    """Per milestone (its key and name: each track owns a copy), the partners who have it,
    the share completed, how many are overdue now and the mean days late. One query."""
    late = Q(completed_at__gt=F("due_at")) | Q(completed_at__isnull=True, due_at__lt=now)
    milestones = PartnerMilestone.objects.filter(tenant=tenant)
    if filters.narrows_accounts:
        milestones = milestones.filter(account__in=filters.accounts(tenant))
    groups = (
        milestones.values("milestone__key", "milestone__name")
        .annotate(
            phase=Min("milestone__phase"),
            window=Min("milestone__window_to_day"),
            partners=Count("id"),
            completed=Count("id", filter=Q(completed_at__isnull=False)),
            overdue=Count("id", filter=Q(completed_at__isnull=True, due_at__lt=now)),
            late_by=Avg(
                ExpressionWrapper(
                    Coalesce("completed_at", Value(now)) - F("due_at"),
                    output_field=DurationField(),
                ),
                filter=late,
            ),
        )
        .order_by("phase", "window", "milestone__key", "milestone__name")
    )
    rows: list[list[Any]] = []
    series: list[tuple[str, float]] = []
    for group in groups:
        rate = percent(group["completed"], group["partners"])
        late_by: timedelta | None = group["late_by"]
        rows.append(
            [
                group["milestone__name"],
                group["partners"],
                group["completed"],
                rate,
                group["overdue"],
                DASH if late_by is None else days(late_by.total_seconds() / 86400),
            ]
        )
        series.append((group["milestone__name"], rate))
    return Panel(
        key="milestones",
        title=_("Milestones"),
        description=_(
            "Per milestone: the partners who have it, the share completed, how many are open "
            "past their due date now, and the mean days late over the late ones (completed "
            "after the due date: completed − due; still open past it: now − due)."
        ),
        columns=[
            _("Milestone"),
            _("Partners"),
            _("Completed"),
            _("Completion rate (%)"),
            _("Overdue now"),
            _("Mean days late"),
        ],
        rows=rows,
        chart="hbar",
        series=series,
        unit="%",
        empty=_(
            "No milestones for the partners in these filters. Set up milestone tracks in "
            "Settings → Milestones and start tracking partners, or widen the filters."
        ),
    )
