"""Partner Explorer: page loads under concurrency, the CSV export, and the plans of the
explorer's count and page queries at 100,000 partners."""

import time
from statistics import median
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django_scopes import scope

from apps.partners.forms import ExplorerFilterForm
from apps.partners.selectors import (
    channel_managers_for,
    partner_explorer_page_rows,
    partner_explorer_queryset,
    partner_types_for,
)
from apps.partners.views import PAGE_SIZE
from bench import dataset, lib

TITLE = "Partner Explorer"
PATH = "/console/partners/"

# (label, query string); every case is loaded over HTTP and its queries are EXPLAINed.
CASES = [
    ("first page", {}),
    ("deep page", {"page": "3000"}),
    ("name search", {"q": "north"}),
    ("domain search", {"q": dataset.DOMAIN_QUERY}),
    ("filter + sort", {"tier": "gold", "region": "emea", "sort": "-created"}),
    # Filters registered by onboarding and milestones (apps/partners/explorer_registry.py).
    ("stage: not enrolled", {"stage": "none"}),
    ("stalled 30 days", {"stalled": "30"}),
    ("overdue milestone", {"overdue": "overdue"}),
]
EXPORT = {"tier": "gold"}
EXPORT_RUNS = 5  # measured exports after one warm-up, within EXPORT_BUDGET seconds
EXPORT_BUDGET = 30.0
SLOW_MS = 10.0  # queries slower than this (or JIT-compiled) are listed under "Looks slow"


def _url(path: str, params: dict) -> str:
    return path + ("?" + urlencode(params) if params else "")


def _filters(tenant, params: dict):
    """The ExplorerFilters the view would build from this query string."""
    form = ExplorerFilterForm(
        {k: v for k, v in params.items() if k != "page"} or None,
        partner_types=list(partner_types_for(tenant=tenant)),
        managers=list(channel_managers_for(tenant=tenant)),
        tenant=tenant,
    )
    return form.filters()


def measure(ctx) -> None:
    tenant = ctx.tenant
    with scope(tenant=tenant):
        matches = {
            label: partner_explorer_queryset(tenant=tenant, filters=_filters(tenant, p)).count()
            for label, p in CASES
        }

    for label, params in CASES:
        url = _url(PATH, params)
        response, _, _ = lib.fetch(ctx.target, url)
        # A case may match nothing (no onboarding or milestone rows in this suite's dataset).
        expected = b"<table" if matches[label] else b"No partners match"
        if response.status != 200 or expected not in response.body:
            raise RuntimeError(f"{url} answered {response.status} without the partner table")
        ctx.http(TITLE, label, url, matches=matches[label])

    _export(ctx)
    _explain(ctx)


def _export(ctx) -> None:
    tenant = ctx.tenant
    with scope(tenant=tenant):
        expected = partner_explorer_queryset(
            tenant=tenant, filters=_filters(tenant, EXPORT)
        ).count()
    url = _url(PATH + "export.csv", EXPORT)
    lib.log(f"{TITLE}: {url} ({expected:,} rows), {EXPORT_RUNS} sequential downloads")
    lib.fetch(ctx.target, url)  # warm-up
    runs = []
    deadline = time.monotonic() + EXPORT_BUDGET
    while len(runs) < EXPORT_RUNS and (not runs or time.monotonic() < deadline):
        response, ttfb, total = lib.fetch(ctx.target, url, timeout=120)
        if response.status != 200:
            raise RuntimeError(f"{url} answered {response.status}")
        rows = response.body.count(b"\n") - 1  # minus the header line
        if rows != expected:
            raise RuntimeError(f"{url} returned {rows} rows, expected {expected}")
        runs.append((ttfb, total, len(response.body)))
    total = median(r[1] for r in runs)
    ctx.section(
        f"{TITLE}: CSV export, sequential (one request at a time)",
        lib.table(
            [
                "export",
                "rows",
                "MB",
                "runs",
                "first byte ms",
                "total s (median)",
                "total s (max)",
                "rows/s",
            ],
            [
                [
                    url,
                    f"{expected:,}",
                    f"{runs[0][2] / 1e6:.1f}",
                    len(runs),
                    lib.ms(median(r[0] for r in runs) * 1000),
                    f"{total:.2f}",
                    f"{max(r[1] for r in runs):.2f}",
                    f"{expected / total:,.0f}",
                ]
            ],
        ),
    )


def _explain(ctx) -> None:
    tenant = ctx.tenant
    results = []
    with scope(tenant=tenant):
        for label, params in CASES:
            filters = _filters(tenant, params)
            qs = partner_explorer_queryset(tenant=tenant, filters=filters)
            # The count the Paginator runs (Django builds it inside count(): capture it) ...
            (count_sql,) = lib.captured_sql(qs.count)
            results.append(lib.explain(f"{label}: count", count_sql))
            # ... and the page query exactly as the view runs it (with its select_related).
            page = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
            if not page.paginator.count:
                continue  # no page query runs (Django knows the slice is empty)
            rows = partner_explorer_page_rows(tenant=tenant, queryset=page.object_list)
            sql, sql_params = rows.query.sql_with_params()
            results.append(lib.explain(f"{label}: page {page.number}", sql, sql_params))

    ctx.section(
        f"{TITLE}: EXPLAIN (ANALYZE, BUFFERS), warm cache; the view's count and page queries",
        lib.table(
            [
                "query",
                "est. cost",
                "plan ms",
                "exec ms",
                "JIT ms",
                "jit=off ms",
                "buffers",
                "scans",
            ],
            [
                [
                    r.label,
                    f"{r.cost:,.0f}",
                    lib.ms(r.planning_ms),
                    lib.ms(r.execution_ms),
                    lib.ms(r.jit_ms) if r.jit_ms else "",
                    lib.ms(r.no_jit_ms) if r.jit_ms else "",
                    r.buffers,
                    "; ".join(r.scans),
                ]
                for r in results
            ],
            align="lrrrrrll",
        ),
    )
    for r in results:
        ctx.plan(f"{TITLE} / {r.label}", r)
        if r.execution_ms < SLOW_MS and not r.jit_ms:
            continue
        why = []
        if r.seq_scans:
            why.append(", ".join(r.seq_scans))
        if r.jit_ms:
            why.append(
                f"JIT compilation {r.jit_ms:.0f} ms (estimated cost {r.cost:,.0f}; "
                f"{r.no_jit_ms:.1f} ms with jit=off)"
            )
        ctx.note(
            f"{TITLE} / {r.label}: {r.execution_ms:.1f} ms at {ctx.dataset_size}"
            + (": " + "; ".join(why) if why else "")
        )
