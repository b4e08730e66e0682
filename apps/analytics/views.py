"""/console/analytics/: every panel, filtered by the form at the top; `?panel=<key>&format=csv`
downloads exactly that panel's table. Staff only (program admins and CAMs both see the
program-wide figures); partner users are refused like on every console page.

The panels come from the filter set's snapshot (`apps/analytics/snapshots.py`), kept fresh by
Celery; the page says when they were computed, and "Refresh now" (a POST) recomputes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from apps.analytics.charts import Chart, chart_for, number
from apps.analytics.csv_export import panel_csv_response
from apps.analytics.forms import AnalyticsFilterForm
from apps.analytics.snapshots import page_figures
from apps.partners.selectors import channel_managers_for
from apps.tenancy.access import console_view

if TYPE_CHECKING:
    from apps.analytics.panels import Panel
    from apps.tenancy.http import MemberRequest


@dataclass
class PanelView:
    panel: Panel
    chart: Chart | None
    rows: list[list[str]]  # the table's cells, formatted
    csv_query: str


def _filter_query(form: AnalyticsFilterForm) -> QueryDict:
    """The valid filters as a query string (a forged value is not carried on)."""
    query = QueryDict(mutable=True)
    if not form.is_bound:
        return query
    form.is_valid()
    for name, value in form.cleaned_data.items():
        if name in form.errors or value in (None, ""):
            continue
        query[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return query


@console_view
@require_http_methods(["GET", "HEAD", "POST"])
def index(request: MemberRequest) -> HttpResponse:
    tenant = request.tenant
    managers = list(channel_managers_for(tenant=tenant))
    form = AnalyticsFilterForm(request.GET or None, tenant=tenant, managers=managers)
    filters = form.filters()
    now = timezone.now()
    if request.method == "POST":
        # "Refresh now": recompute this filter set (unless it was computed seconds ago),
        # then show it at its shareable address.
        page_figures(tenant=tenant, filters=filters, now=now, refresh=True)
        query = _filter_query(form).urlencode()
        return HttpResponseRedirect(reverse("analytics:index") + (f"?{query}" if query else ""))
    figures = page_figures(tenant=tenant, filters=filters, now=now)
    panels = figures.panels
    if request.GET.get("format") == "csv":
        key = request.GET.get("panel", "")
        panel = next((p for p in panels if p.key == key), None)
        if panel is None:
            raise Http404
        stamp = timezone.localdate(now).isoformat()
        return panel_csv_response(panel, filename=f"{tenant.slug}-{panel.key}-{stamp}.csv")
    query = _filter_query(form)
    views = []
    for panel in panels:
        csv_query = query.copy()
        csv_query["panel"] = panel.key
        csv_query["format"] = "csv"
        views.append(
            PanelView(
                panel=panel,
                chart=chart_for(panel),
                rows=[[number(cell) for cell in row] for row in panel.rows],
                csv_query=csv_query.urlencode(),
            )
        )
    return render(
        request,
        "analytics/index.html",
        {
            "nav": "analytics",
            "form": form,
            "filters": filters,
            "panels": views,
            "filtered": filters.any,
            "now": now,
            "figures": figures,
            "refresh_query": query.urlencode(),
        },
    )
