"""The analytics rollup: /console/analytics/ serves each filter set's panels from a snapshot
(`AnalyticsSnapshot`) that Celery keeps fresh, and computes them live only the first time a
filter set is asked for, when its snapshot is older than MAX_AGE, or on "Refresh now".

Why: the live panels are set-based SQL, but percentiles over every stage a program's partners
went through cost about a second at 100,000 partners; one row read costs a millisecond. The
page shows the snapshot's time, so nobody mistakes a figure for a live one.

Incremental refresh (`snapshots_refresh_all_tenants`, every two minutes): only snapshots
someone viewed in the last KEEP_VIEWED are refreshed, and only when the program's data moved
since (`data_mark`: its newest audit entry and partner event) or when they are older than
STALE_AFTER (stalled and overdue figures drift with time alone). Snapshots nobody viewed for
DROP_AFTER are deleted.

The console home's program-wide figures (its funnel and every stage's p90, kind "home") are
kept the same way (`selectors_dashboard.home_figures`): each kind registers how to recompute
its snapshot (`snapshot_kind_register`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation
from django_scopes import scope, scopes_disabled

from apps.analytics.models import AnalyticsSnapshot
from apps.analytics.panels import AnalyticsFilters, Panel
from apps.analytics.selectors_page import pipeline_panels
from apps.analytics.selectors_segments import segment_panels
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerEvent
from apps.partners.selectors import channel_managers_for
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.tenancy.models import Membership

logger = logging.getLogger(__name__)

# The page never serves a snapshot older than this: it recomputes instead.
MAX_AGE = timedelta(hours=1)
# The refresh task recomputes a snapshot this old even when the data did not move.
STALE_AFTER = timedelta(minutes=40)
# ... and one whose data moved once it is this old (a busy program is not recomputed nonstop).
REFRESH_AFTER = timedelta(minutes=2)
# Snapshots viewed within this are kept fresh; those not viewed for DROP_AFTER are deleted.
KEEP_VIEWED = timedelta(days=7)
DROP_AFTER = timedelta(days=30)
# "Refresh now" within this of the last computation serves that one (a double click, or
# two people pressing it together, computes once).
REFRESH_COOLDOWN = timedelta(seconds=30)
# How long one run of the refresh task may spend before leaving the rest to the next run.
TASK_BUDGET_SECONDS = 90.0
# A viewed snapshot's `viewed_at` is written at most this often (reads stay reads).
VIEW_MARK_EVERY = timedelta(minutes=10)

_FILTER_FIELDS = [f.name for f in dataclasses.fields(AnalyticsFilters)]
_DATE_FIELDS = {"enrolled_from", "enrolled_to"}


@dataclass(frozen=True)
class PageFigures:
    """The panels a page shows, when they were computed, and whether this request did it."""

    panels: list[Panel]
    computed_at: datetime
    computed_now: bool
    compute_ms: int


def compute_panels(*, tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> list[Panel]:
    """Every panel live, in page order: the pipeline's (funnel, time in stage, stall
    actions), the segments', then applications and CAM workload."""
    managers: list[Membership] = list(channel_managers_for(tenant=tenant))
    pipeline = pipeline_panels(tenant=tenant, filters=filters, now=now, managers=managers)
    segments = segment_panels(tenant=tenant, filters=filters, now=now)
    return [*pipeline[:3], *segments, *pipeline[3:]]


def filters_to_json(filters: AnalyticsFilters) -> dict[str, Any]:
    values = dataclasses.asdict(filters)
    return {
        name: (value.isoformat() if isinstance(value, date) else value)
        for name, value in values.items()
    }


def filters_from_json(data: dict[str, Any]) -> AnalyticsFilters:
    values: dict[str, Any] = {}
    for name in _FILTER_FIELDS:
        value = data.get(name)
        if name in _DATE_FIELDS and isinstance(value, str):
            value = date.fromisoformat(value)
        if value is not None:
            values[name] = value
    return AnalyticsFilters(**values)


def snapshot_key(filters: AnalyticsFilters, language: str, kind: str = "page") -> str:
    canonical = json.dumps(
        {"filters": filters_to_json(filters), "language": language, "kind": kind},
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# How each kind of snapshot is computed: (tenant, filters, now) -> its JSON value.
Compute = Callable[[Tenant, AnalyticsFilters, datetime], Any]
_KINDS: dict[str, Compute] = {}


def snapshot_kind_register(kind: str, compute: Compute) -> None:
    _KINDS[kind] = compute


def panels_to_json(panels: list[Panel]) -> list[dict[str, Any]]:
    """The panels as JSON values (dates and decimals as DjangoJSONEncoder writes them)."""
    encoded: list[dict[str, Any]] = json.loads(
        json.dumps([dataclasses.asdict(p) for p in panels], cls=DjangoJSONEncoder)
    )
    return encoded


def panels_from_json(data: list[dict[str, Any]]) -> list[Panel]:
    panels = []
    for item in data:
        values = dict(item)
        values["series"] = [(label, value) for label, value in values.get("series", [])]
        panels.append(Panel(**values))
    return panels


def data_mark(*, tenant: Tenant) -> str:
    """The program's newest audit entry and partner event: a snapshot computed with the same
    mark has seen every change since (two index lookups)."""
    audit = (
        AuditEvent.objects.filter(tenant=tenant)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)
        .first()
    )
    event = (
        PartnerEvent.objects.filter(tenant=tenant)
        .order_by("-created_at")
        .values_list("id", flat=True)
        .first()
    )
    return f"{audit or 0}:{event or 0}"


def _compute_and_store(
    *,
    tenant: Tenant,
    kind: str,
    filters: AnalyticsFilters,
    key: str,
    language: str,
    now: datetime,
    viewed: bool,
) -> tuple[Any, int]:
    """Compute the snapshot's value and upsert it; `viewed` when a page asked for it (the
    refresh task's recomputations do not count as views)."""
    mark = data_mark(tenant=tenant)
    started = time.perf_counter()
    value = _KINDS[kind](tenant, filters, now)
    compute_ms = round((time.perf_counter() - started) * 1000)
    snapshot = AnalyticsSnapshot(
        tenant=tenant,
        kind=kind,
        key=key,
        filters=filters_to_json(filters),
        language=language,
        panels=value,
        computed_at=now,
        compute_ms=compute_ms,
        data_mark=mark,
        viewed_at=now,
    )
    # Two requests computing the same filter set at once: the later write wins, one row.
    AnalyticsSnapshot.objects.bulk_create(
        [snapshot],
        update_conflicts=True,
        unique_fields=["tenant", "key"],
        update_fields=["panels", "computed_at", "compute_ms", "data_mark"]
        + (["viewed_at"] if viewed else []),
    )
    return value, compute_ms


@dataclass(frozen=True)
class Snapshot:
    """A snapshot's JSON value, when it was computed, and whether this request did it."""

    value: Any
    computed_at: datetime
    computed_now: bool
    compute_ms: int


def snapshot_get(
    *,
    tenant: Tenant,
    kind: str,
    filters: AnalyticsFilters,
    now: datetime | None = None,
    refresh: bool = False,
) -> Snapshot:
    """The snapshot of this kind and filter set: stored when younger than MAX_AGE (and, with
    `refresh`, older than REFRESH_COOLDOWN), else computed now and stored. One query when
    stored."""
    now = now or timezone.now()
    language = translation.get_language() or ""
    key = snapshot_key(filters, language, kind)
    snapshot = (
        AnalyticsSnapshot.objects.filter(tenant=tenant, key=key)
        .only("id", "panels", "computed_at", "compute_ms", "viewed_at")
        .first()
    )
    fresh_until = now - (REFRESH_COOLDOWN if refresh else MAX_AGE)
    if snapshot is not None and snapshot.computed_at >= fresh_until:
        if snapshot.viewed_at < now - VIEW_MARK_EVERY:
            AnalyticsSnapshot.objects.filter(pk=snapshot.pk).update(viewed_at=now)
        return Snapshot(
            value=snapshot.panels,
            computed_at=snapshot.computed_at,
            computed_now=False,
            compute_ms=snapshot.compute_ms,
        )
    value, compute_ms = _compute_and_store(
        tenant=tenant,
        kind=kind,
        filters=filters,
        key=key,
        language=language,
        now=now,
        viewed=True,
    )
    return Snapshot(value=value, computed_at=now, computed_now=True, compute_ms=compute_ms)


def page_figures(
    *, tenant: Tenant, filters: AnalyticsFilters, now: datetime | None = None, refresh: bool = False
) -> PageFigures:
    """The panels of /console/analytics/ for this filter set, from its snapshot."""
    snapshot = snapshot_get(tenant=tenant, kind=PAGE, filters=filters, now=now, refresh=refresh)
    return PageFigures(
        panels=panels_from_json(snapshot.value),
        computed_at=snapshot.computed_at,
        computed_now=snapshot.computed_now,
        compute_ms=snapshot.compute_ms,
    )


def _page_compute(tenant: Tenant, filters: AnalyticsFilters, now: datetime) -> Any:
    return panels_to_json(compute_panels(tenant=tenant, filters=filters, now=now))


PAGE = AnalyticsSnapshot.Kind.PAGE.value
snapshot_kind_register(PAGE, _page_compute)


@dataclass
class RefreshResult:
    refreshed: int = 0
    unchanged: int = 0
    dropped: int = 0
    left: int = 0


def snapshots_refresh_all_tenants(
    *, now: datetime | None = None, budget_seconds: float = TASK_BUDGET_SECONDS
) -> RefreshResult:
    """Recompute the viewed snapshots whose program's data moved (or that grew stale),
    oldest first, within the time budget; delete the ones nobody looks at any more."""
    now = now or timezone.now()
    result = RefreshResult()
    deadline = time.monotonic() + budget_seconds
    with scopes_disabled():
        result.dropped, _ = AnalyticsSnapshot.objects.filter(
            viewed_at__lt=now - DROP_AFTER
        ).delete()
        due = list(
            AnalyticsSnapshot.objects.filter(
                viewed_at__gte=now - KEEP_VIEWED, computed_at__lt=now - REFRESH_AFTER
            )
            .order_by("computed_at")
            .values(
                "id", "tenant_id", "kind", "filters", "language", "data_mark", "computed_at", "key"
            )
        )
        tenants = Tenant.objects.in_bulk({row["tenant_id"] for row in due})
    marks: dict[int, str] = {}
    for index, row in enumerate(due):
        if time.monotonic() > deadline:
            result.left = len(due) - index
            break
        tenant = tenants.get(row["tenant_id"])
        if tenant is None:
            continue
        with scope(tenant=tenant), translation.override(row["language"] or None):
            if tenant.pk not in marks:
                marks[tenant.pk] = data_mark(tenant=tenant)
            stale = row["computed_at"] < now - STALE_AFTER
            if not stale and row["data_mark"] == marks[tenant.pk]:
                result.unchanged += 1
                continue
            if row["kind"] not in _KINDS:
                continue
            _compute_and_store(
                tenant=tenant,
                kind=row["kind"],
                filters=filters_from_json(row["filters"]),
                key=row["key"],
                language=row["language"],
                now=timezone.now(),
                viewed=False,
            )
            result.refreshed += 1
    return result
