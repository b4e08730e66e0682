"""Profiles: where a page's time goes, measured in the bench process (no HTTP, no
concurrency) through django.test.Client, signed in (force_login) as the bench CAM or the
onboarding suite's portal partner.

For each page (and /livez as the floor every request pays): WARMUP requests, then
REQUESTS unprofiled ones timed with time.process_time() (this process's CPU: Python, Django,
psycopg; PostgreSQL's own work is another process), REQUESTS with every SQL statement
timed, and REQUESTS under cProfile. The report has, per page, CPU ms per request, queries and
SQL ms; a table of the areas the issue asks about (middleware outside the view, the tenant
host lookup, session and user loading, the membership, context processors, template
rendering, URL reversing, SQL, our selectors), inclusive times from the profile; and the
heaviest functions by cumulative time below the request plumbing.

`CPU ms of /livez ÷ CPU ms of the page` is what the page's req/s ÷ /livez req/s would be
if the server were CPU-bound on Django alone: the figure the HTTP table measures under load.

Run on its own against an already seeded database (the same settings as the bench):
    BENCH_PARTNERS=2000 BENCH_SUITES=onboarding python bench/run.py seed --state /tmp/s.json
    BENCH_PARTNERS=2000 python bench/profiles.py [--requests 30] [--page tab]
or inside a smoke run: BENCH_SUITES=onboarding,profiles BENCH_PARTNERS=2000 ... scripts/bench.sh
Knob: BENCH_PROFILE_REQUESTS (30).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TITLE = "Profiles"
REQUESTS = int(os.environ.get("BENCH_PROFILE_REQUESTS", "30"))
WARMUP = 5
TOP = 15

# pstats keys are (filename, line, function name).
Func = tuple[str, int, str]


@dataclass
class Page:
    key: str
    label: str
    path: str
    email: str | None  # None: anonymous
    expect: bytes = b""
    # The statuses the page may answer with.
    statuses: tuple[int, ...] = (200,)


@dataclass
class Result:
    page: Page
    status: int
    cpu_ms: float
    wall_ms: float
    queries: float
    sql_ms: float
    profiled_ms: float = 0.0
    areas: list[tuple[str, float]] = field(default_factory=list)
    top: list[list[str]] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------


def seed() -> None:
    """The pages come from the onboarding suite's seed; run it when that suite is not in
    BENCH_SUITES (it is idempotent only in the sense that it is skipped once done)."""
    from django_scopes import scope

    from apps.onboarding.models import Pipeline
    from bench import dataset, onboarding

    tenant = dataset.tenant()
    with scope(tenant=tenant):
        done = Pipeline.objects.filter(tenant=tenant, name=onboarding.TAB_PIPELINE).exists()
    if not done:
        onboarding.seed()


def pages() -> list[Page]:
    from django.urls import reverse
    from django_scopes import scope

    from apps.partners.models import PartnerUser
    from bench import dataset, onboarding

    tenant = dataset.tenant()
    # The onboarding suite's partner (the one its portal user belongs to): other partners of
    # that type may be enrolled in the same pipeline by the suites that create partners.
    with scope(tenant=tenant):
        account_id = (
            PartnerUser.objects.filter(
                tenant=tenant, membership__user__email=onboarding.PORTAL_EMAIL
            )
            .values_list("account_id", flat=True)
            .get()
        )
    cam, partner = dataset.CAM_EMAIL, onboarding.PORTAL_EMAIL
    return [
        Page("healthz", "/livez (floor)", "/livez", None),
        Page(
            "tab",
            "console Onboarding tab",
            reverse("onboarding_console:tab", args=[account_id]),
            cam,
            b"Tax certificate",
        ),
        Page("home", "portal home", reverse("portal:home"), partner, b"Tax certificate"),
        Page(
            "journey",
            "portal journey",
            reverse("onboarding_portal:journey"),
            partner,
            b"Go live",
        ),
        Page("explorer", "Explorer first page", reverse("partners:explorer"), cam),
        Page("queue", "work queue", reverse("queue:list"), cam),
    ]


# ---------------------------------------------------------------------------
# Measuring one page
# ---------------------------------------------------------------------------


class _SQL:
    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, ctx: Any):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, ctx)
        finally:
            self.seconds += time.perf_counter() - t0
            self.count += 1


@contextmanager
def _sql() -> Iterator[_SQL]:
    from django.db import connection

    recorder = _SQL()
    with connection.execute_wrapper(recorder):
        yield recorder


def _client(page: Page) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench import dataset

    client = Client(HTTP_HOST=dataset.HOSTNAME)
    if page.email:
        client.force_login(get_user_model().objects.get(email=page.email))
    return client


def measure_page(page: Page, *, requests: int = REQUESTS) -> Result:
    client = _client(page)
    response = None
    for _ in range(WARMUP):
        response = client.get(page.path)
    assert response is not None
    if response.status_code not in page.statuses or page.expect not in response.content:
        raise RuntimeError(
            f"{TITLE}: GET {page.path} answered {response.status_code}"
            + (f" without {page.expect.decode()!r}" if response.status_code == 200 else "")
        )

    cpu0, wall0 = time.process_time(), time.perf_counter()
    for _ in range(requests):
        client.get(page.path)
    cpu = (time.process_time() - cpu0) / requests * 1000
    wall = (time.perf_counter() - wall0) / requests * 1000

    with _sql() as sql:
        for _ in range(requests):
            client.get(page.path)

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(requests):
        client.get(page.path)
    profile.disable()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]

    result = Result(
        page=page,
        status=response.status_code,
        cpu_ms=cpu,
        wall_ms=wall,
        queries=sql.count / requests,
        sql_ms=sql.seconds / requests * 1000,
    )
    result.profiled_ms = sum(row[2] for row in stats.values()) / requests * 1000
    result.areas = [(name, seconds / requests * 1000) for name, seconds in _areas(stats)]
    result.top = _top(stats, requests=requests, total=result.profiled_ms)
    return result


# ---------------------------------------------------------------------------
# Reading a profile
# ---------------------------------------------------------------------------


def _key(function: Any) -> Func:
    """The pstats key of a function object."""
    code = getattr(function, "__wrapped__", function).__code__
    return (code.co_filename, code.co_firstlineno, code.co_name)


def _cum(stats: dict, *functions: Any) -> float:
    """Cumulative seconds of `functions` (cProfile counts a recursive function's outermost
    calls only)."""
    return sum(stats[key][3] for key in map(_key, functions) if key in stats)


def _entering(stats: dict, inside: Callable[[Func], bool], *, callers_in: str = "") -> float:
    """Cumulative seconds of the functions for which `inside` holds that are called from
    functions outside that set in files whose path contains `callers_in` (entry points:
    a selector's helpers are not counted again; our selectors: callers_in="/apps/")."""
    total = 0.0
    for func, (_cc, _nc, _tt, ct, callers) in stats.items():
        if inside(func) and any(
            callers_in in caller[0].replace(os.sep, "/") and not inside(caller)
            for caller in callers
        ):
            total += ct
    return total


def _in_file(*suffixes: str) -> Callable[[Func], bool]:
    def inside(func: Func) -> bool:
        filename = func[0].replace(os.sep, "/")
        return "/apps/" in filename and filename.endswith(suffixes)

    return inside


def _selector(func: Func) -> bool:
    filename = func[0].replace(os.sep, "/")
    return "/apps/" in filename and (
        "/selectors/" in filename or filename.rsplit("/", 1)[-1].startswith("selectors")
    )


def _areas(stats: dict) -> list[tuple[str, float]]:
    from django.contrib import auth
    from django.contrib.sessions.backends.base import SessionBase
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.core.handlers.base import BaseHandler
    from django.db.backends.utils import CursorWrapper
    from django.db.models.sql.compiler import SQLCompiler
    from django.template.base import Template
    from django.urls import base as urls

    from apps.tenancy import selectors as tenancy

    total = sum(row[2] for row in stats.values())
    view = _cum(stats, BaseHandler._get_response)
    return [
        ("request (profiled)", total),
        ("middleware outside the view", total - view),
        (
            "  tenant host lookup",
            _cum(
                stats,
                getattr(
                    tenancy,
                    "tenant_for_host_cached_all_tenants",
                    tenancy.tenant_for_host_all_tenants,
                ),
            ),
        ),
        ("  session load", _cum(stats, SessionBase._get_session)),
        ("  session save", _cum(stats, SessionMiddleware.process_response)),
        ("  user load (incl. session)", _cum(stats, auth.get_user)),
        ("  membership", _cum(stats, tenancy.membership_get)),
        ("view (incl. its templates)", view),
        ("  template rendering", _cum(stats, Template.render)),
        ("    context processors", _entering(stats, _in_file("context_processors.py"))),
        ("    URL reversing", _cum(stats, urls.reverse)),
        ("  our selectors", _entering(stats, _selector, callers_in="/apps/")),
        (
            "SQL (execute, incl. DB wait)",
            _cum(stats, CursorWrapper._execute_with_wrappers),
        ),
        ("ORM (compile + rows to objects)", _cum(stats, SQLCompiler.execute_sql)),
    ]


# The call chains every request goes through (handler, middleware, template nodes, ORM
# internals): their cumulative time is the request's, or a generic share of it. The areas
# table accounts for them; the top list shows the functions below them.
PLUMBING = (
    "django/core/handlers/",
    "django/test/",
    "django/utils/deprecation.py",
    "django/middleware/",
    "django/views/decorators/",
    "django/shortcuts.py",
    "django/template/",
    "django/db/",
    "django_scopes/",
    "psycopg/",
    "allauth/account/middleware.py",
    "apps/tenancy/access.py",
    "apps/partners/access.py",
    "contextlib.py",
    "threading.py",
    "asgiref/",
    "<string>",
    "~",
)
GENERIC = {"__call__", "wrapper", "inner", "<listcomp>", "<genexpr>", "<dictcomp>"}


def _top(stats: dict, *, requests: int, total: float) -> list[list[str]]:
    rows = []
    for func, (_cc, nc, tt, ct, _callers) in stats.items():
        filename = func[0].replace(os.sep, "/")
        if any(p in filename for p in PLUMBING) or func[2] in GENERIC:
            continue
        rows.append((ct, tt, nc, func))
    rows.sort(key=lambda r: r[0], reverse=True)
    return [
        [
            _where(func),
            f"{nc / requests:g}",
            f"{ct / requests * 1000:.2f}",
            f"{tt / requests * 1000:.2f}",
        ]
        for ct, tt, nc, func in rows[:TOP]
    ]


def _where(func: Func) -> str:
    filename = func[0].replace(os.sep, "/")
    for marker in (
        "/site-packages/",
        "/work/main/",
        str(Path(__file__).resolve().parent.parent) + "/",
    ):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{func[1]} {func[2]}"


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def report(results: list[Result], *, requests: int) -> list[tuple[str, str]]:
    from bench import lib

    floor = next((r.cpu_ms for r in results if r.page.key == "healthz"), 0.0)
    summary = lib.table(
        ["page", "path", "status", "CPU ms", "wall ms", "queries", "SQL ms", "floor CPU ÷ CPU"],
        [
            [
                r.page.label,
                r.page.path,
                r.status,
                f"{r.cpu_ms:.2f}",
                f"{r.wall_ms:.2f}",
                f"{r.queries:g}",
                f"{r.sql_ms:.2f}",
                f"{floor / r.cpu_ms:.3f}" if r.cpu_ms else "-",
            ]
            for r in results
        ],
        align="llrrrrrr",
    )
    names = [name for name, _ in results[0].areas]
    areas = lib.table(
        ["area (ms per request, inclusive)", *[r.page.key for r in results]],
        [[name, *[f"{dict(r.areas)[name]:.2f}" for r in results]] for name in names],
        align="l" + "r" * len(results),
    )
    sections = [
        (
            f"{TITLE}: per page, in the bench process through django.test.Client "
            f"({WARMUP} warm-up requests, then {requests} timed, {requests} with SQL timed, "
            f"{requests} under cProfile; CPU = this process's CPU time, not PostgreSQL's)",
            summary,
        ),
        (
            f"{TITLE}: where the time goes (cProfile, wall ms per request; the profiler "
            "roughly doubles Python's time, so read the shares; rows overlap: SQL run by a "
            "selector inside a template counts in all three)",
            areas,
        ),
    ]
    for r in results:
        if r.page.key == "healthz":
            continue
        sections.append(
            (
                f"{TITLE}: {r.page.label}: the {TOP} heaviest functions by cumulative time "
                "(below the handler, middleware, template-node and ORM call chains)",
                lib.table(
                    ["function", "calls/req", "cum ms/req", "own ms/req"],
                    r.top,
                    align="lrrr",
                ),
            )
        )
    return sections


def run(*, requests: int = REQUESTS, only: str = "") -> list[tuple[str, str]]:
    from django_scopes import scopes_disabled

    from bench import lib

    results = []
    for page in pages():
        if only and page.key not in (only, "healthz"):
            continue
        lib.log(f"{TITLE}: {page.label}: GET {page.path} x {requests} (x 3 passes)")
        with scopes_disabled():  # the middleware opens the tenant's scope itself
            results.append(measure_page(page, requests=requests))
    return report(results, requests=requests)


def measure(ctx: Any) -> None:
    for title, text in run():
        ctx.section(title, text)


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Profile the pages in-process")
    parser.add_argument("--requests", type=int, default=REQUESTS)
    parser.add_argument("--page", default="", help="healthz, tab, home, journey, explorer, queue")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent.parent
    sys.path[0] = str(root)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    for title, text in run(requests=args.requests, only=args.page):
        print(f"\n{title}\n{text}")


if __name__ == "__main__":
    main()
