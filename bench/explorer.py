"""Partner Explorer: page loads under concurrency, the CSV export, and the plans of the
explorer's count and page queries at 100,000 partners."""

import time
from statistics import median
from urllib.parse import urlencode

from django.db.models.functions import Lower
from django_scopes import scope

from apps.partners.catalog import tier_catalogue
from apps.partners.forms import ExplorerFilterForm
from apps.partners.selectors import (
    channel_managers_for,
    partner_explorer_filtered,
    partner_explorer_queryset,
    partner_types_for,
)
from apps.partners.selectors_explorer import PAGE_SIZE, ExplorerCursor, partner_explorer_page
from bench import dataset, lib

TITLE = "Partner Explorer"
PATH = "/console/partners/"
GOAL_P95_MS = 150.0  # issue 15: first page, page 3000 and name search, p95 at 8 connections
DEEP_PAGE = 3000

# (label, query string); every case is loaded over HTTP and its queries are EXPLAINed.
# "page 3000" is filled in by measure(): the `?after=` link the Next button of page 2,999
# carries (a keyset cursor: the last row's lower(name) and id), since the Explorer has no
# OFFSET pages past PAGE_NUMBER_LIMIT. A user reaches it by following Next, or from a link
# someone shared or bookmarked; it costs the same as page 2.
CASES = [
    ("first page", {}),
    ("page 3000", None),
    ("name search", {"q": "north"}),
    ("domain search", {"q": dataset.DOMAIN_QUERY}),
    ("filter + sort", {"tier": "gold", "region": "emea", "sort": "-created"}),
    # Filters registered by onboarding and milestones (apps/partners/explorer_registry.py).
    ("stage: not enrolled", {"stage": "none"}),
    ("stalled 30 days", {"stalled": "30"}),
    ("overdue milestone", {"overdue": "overdue"}),
]
GOAL_CASES = ("first page", "page 3000", "name search")
EXPORT = {"tier": "gold"}
EXPORT_RUNS = 5  # measured exports after one warm-up, within EXPORT_BUDGET seconds
EXPORT_BUDGET = 30.0
SLOW_MS = 10.0  # queries slower than this (or JIT-compiled) are listed under "Looks slow"


def _url(path: str, params: dict) -> str:
    return path + ("?" + urlencode(params) if params else "")


def _filters(tenant, params: dict):
    """The ExplorerFilters the view would build from this query string."""
    form = ExplorerFilterForm(
        {k: v for k, v in params.items() if k not in ("page", "after", "before")} or None,
        partner_types=list(partner_types_for(tenant=tenant)),
        managers=list(channel_managers_for(tenant=tenant)),
        tenant=tenant,
    )
    return form.filters()


def _deep_page(tenant) -> dict:
    """The query string of page 3000 (or the last page of a smaller dataset), as the Next
    link of the page before it writes it."""
    with scope(tenant=tenant):
        rows = partner_explorer_queryset(tenant=tenant, filters=_filters(tenant, {}))
        total = rows.count()
        position = max(min((DEEP_PAGE - 1) * PAGE_SIZE, total - PAGE_SIZE) - 1, 0)
        row = rows.annotate(explorer_key=Lower("name")).values_list("explorer_key", "pk")[position]
    return {"after": ExplorerCursor(key=row[0], id=row[1]).encode()}


def _page_statements(tenant, params: dict) -> list[tuple[str, str]]:
    """(kind, SQL) of the statements the Explorer runs for this page's rows and count."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with scope(tenant=tenant):
        filters = _filters(tenant, params)
        type_order = list(partner_types_for(tenant=tenant).values_list("pk", flat=True))
        tier_order = [key for key, _label, _archived in tier_catalogue(tenant=tenant).rows]
        with CaptureQueriesContext(connection) as captured:
            partner_explorer_page(
                tenant=tenant,
                filters=filters,
                type_order=type_order,
                tier_order=tier_order,
                after=params.get("after"),
                before=params.get("before"),
                page_number=params.get("page"),
            )
    statements = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("EXPLAIN"):
            statements.append(("estimate", sql))
        elif sql.startswith("SELECT COUNT(*)"):
            statements.append(("bounded count", sql))
        elif sql.startswith('SELECT "partners_partnerdomain"'):
            continue  # the page's domains, by account id
        else:
            statements.append(("page", sql))
    return statements


def measure(ctx) -> None:
    tenant = ctx.tenant
    cases = [(label, p if p is not None else _deep_page(tenant)) for label, p in CASES]
    with scope(tenant=tenant):
        matches = {
            label: partner_explorer_filtered(tenant=tenant, filters=_filters(tenant, p)).count()
            for label, p in cases
        }

    results = {}
    for label, params in cases:
        url = _url(PATH, params)
        response, _, _ = lib.fetch(ctx.target, url)
        # A case may match nothing (no onboarding or milestone rows in this suite's dataset).
        expected = b"<table" if matches[label] else b"No partners match"
        if response.status != 200 or expected not in response.body:
            raise RuntimeError(f"{url} answered {response.status} without the partner table")
        if b"not valid here" in response.body:
            raise RuntimeError(f"{url}: the Explorer refused the cursor")
        results[label] = ctx.http(TITLE, label, url, matches=matches[label])

    ctx.section(
        f"{TITLE}: against the goal (p95 <= {GOAL_P95_MS:.0f} ms at {ctx.concurrency} "
        "connections; page 3000 is the ?after= keyset link of page 2,999's Next button)",
        lib.table(
            ["figure", "path", "p50 ms", "p95 ms", "goal p95 ms", "verdict"],
            [
                [
                    label,
                    _url(PATH, params)[:70],
                    lib.ms(results[label].percentile(50)),
                    lib.ms(results[label].percentile(95)),
                    f"<= {GOAL_P95_MS:.0f}",
                    "ok" if results[label].percentile(95) <= GOAL_P95_MS else "OVER",
                ]
                for label, params in cases
                if label in GOAL_CASES
            ],
            align="llrrrl",
        ),
    )
    for label, _params in cases:
        if label in GOAL_CASES:
            p95 = results[label].percentile(95)
            ctx.goal(
                f"Partner Explorer {label}, p95 at {ctx.concurrency} connections",
                f"{p95:.0f} ms",
                f"<= {GOAL_P95_MS:.0f} ms",
                p95 <= GOAL_P95_MS,
                why="its SQL takes under 20 ms (EXPLAIN below): the rest is rendering the "
                "page in Python, queued behind the server's 4 threads on 2 CPUs",
            )
    _export(ctx)
    _explain(ctx, cases)


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


def _explain(ctx, cases) -> None:
    tenant = ctx.tenant
    results = []
    for label, params in cases:
        statements = _page_statements(tenant, params)
        estimated = any(kind == "estimate" for kind, _sql in statements)
        for kind, sql in statements:
            if kind == "estimate":
                continue  # EXPLAIN without ANALYZE: planning only, nothing to time
            if kind == "bounded count" and estimated:
                kind = "bounded count (over 10,000: shown as an estimate)"
            with scope(tenant=tenant):
                results.append(lib.explain(f"{label}: {kind}", sql))

    ctx.section(
        f"{TITLE}: EXPLAIN (ANALYZE, BUFFERS), warm cache; bounded count + page queries",
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
