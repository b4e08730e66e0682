"""The applications panels of /console/analytics/: applications received in the period by
source, and week by week, with what became of them (confirmed, approved, rejected, pending).

Applications come before partners, so only the partner type and the period filters of
`AnalyticsFilters` apply. Each panel is one or two grouped statements filtered on the tenant;
`Percentile` and `empty_period` are shared with the pipeline panels (`selectors_pipeline.py`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.analytics.panels import AnalyticsFilters, Panel
from apps.analytics.selectors_pipeline import Percentile, empty_period
from apps.applications.models import Application, ApplicationSource, ApplicationStatus

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant

# The applications panel's weeks (the last ones of the period).
APPLICATION_WEEKS = 12
HOUR = 3600.0


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / HOUR, 1)


def _midnight(day: date) -> datetime:
    """Midnight starting `day` in the current time zone (the program's)."""
    return timezone.make_aware(datetime.combine(day, time.min))


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
        panel.empty = empty_period()
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
