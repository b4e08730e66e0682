"""Benchmark runner. scripts/bench.sh provisions PostgreSQL, Redis and gunicorn and calls:

    python bench/run.py seed  --state FILE             # before the server starts
    python bench/run.py measure --state FILE --port N  # against the running server

Suites are modules in bench/ listed in SUITES (or BENCH_SUITES=explorer,...), run in order
against the same services. A suite may define `seed()` (its own rows, after the shared dataset
in bench/dataset.py) and must define `measure(ctx)`, which uses `ctx.http(...)` for load tests
(they land in the shared HTTP table, next to the /livez floor) and `ctx.section(...)`,
`ctx.note(...)`, `ctx.plan(...)` for anything else. Knobs: BENCH_CONCURRENCY (8),
BENCH_WARMUP (2 s), BENCH_DURATION (8 s per endpoint), BENCH_PARTNERS (100,000; see
bench/dataset.py).
"""

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUITES = ["explorer", "onboarding", "applications"]
SUITES += ["api"]  # GET /api/v1/partners (bench/api.py), before the import adds partners
SUITES += ["webhooks"]  # webhook fan-out to a local receiver (bench/webhooks.py)
# Last: it adds 10,000 partners the other suites would count.
SUITES += ["importing"]
# After the import: it builds 1M milestone rows on the dataset's own 100,000 partners.
SUITES += ["sweep"]
# After the sweep: enrollments, stage history and applications over the year on the same
# partners (it reuses the sweep's partner tracks when they exist).
SUITES += ["analytics"]
SUITES += ["profiles"]  # last: in-process profiles of the pages (bench/profiles.py)
SUITE_ALIASES = {"import": "importing"}  # BENCH_SUITES=import
BUSY_LOAD = 1.0  # 1-minute load average above which the report warns of noise
SLOW_P50_MS = 250  # HTTP endpoints with a slower median are listed under "Looks slow"


@dataclass
class Context:
    target: object
    tenant: object
    concurrency: int
    warmup: float
    duration: float
    dataset_size: str
    baseline: object = None
    http_rows: list = field(default_factory=list)
    sections: list = field(default_factory=list)
    plans: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    goals: list = field(default_factory=list)

    def goal(self, figure: str, value: str, goal: str, met: bool, *, why: str = "") -> None:
        """One row of the goals table printed at the top of the report: a figure of this
        run, its goal, whether it is met and, when it is not, what stands in the way."""
        self.goals.append((figure, value, goal, met, why))

    def http(self, suite: str, label: str, path: str, matches=None):
        from bench import lib

        lib.log(f"{suite}: {label}: GET {path} ({self.warmup:g}+{self.duration:g} s)")
        result = lib.load(
            self.target,
            path,
            concurrency=self.concurrency,
            warmup=self.warmup,
            duration=self.duration,
        )
        self.http_rows.append((suite, label, path, matches, result))
        if result.completed and result.percentile(50) > SLOW_P50_MS:
            self.note(
                f"{suite} / {label}: median {result.percentile(50):.0f} ms, "
                f"{result.rps:.1f} req/s at concurrency {self.concurrency}"
            )
        if result.failures:
            self.note(
                f"{suite} / {label}: {result.failures} failed requests "
                f"(statuses {dict(result.statuses)}, errors {dict(result.errors)})"
            )
        return result

    def section(self, title: str, text: str) -> None:
        self.sections.append((title, text))

    def note(self, text: str) -> None:
        self.notes.append(text)

    def plan(self, title: str, explain) -> None:
        self.plans.append((title, explain))

    def explains(self, suite: str, title: str, results) -> None:
        """A section tabling `results` (bench.lib.Explain), their full plans for the appendix,
        and a note for each sequential scan."""
        from bench import lib

        self.section(
            title,
            lib.table(
                ["query", "est. cost", "plan ms", "exec ms", "buffers", "scans"],
                [
                    [
                        r.label,
                        f"{r.cost:,.0f}",
                        lib.ms(r.planning_ms),
                        lib.ms(r.execution_ms),
                        r.buffers,
                        "; ".join(r.scans),
                    ]
                    for r in results
                ],
                align="lrrrll",
            ),
        )
        for r in results:
            self.plan(f"{suite} / {r.label}", r)
            if r.seq_scans:
                self.note(f"{suite} / {r.label}: {', '.join(r.seq_scans)}")


def _suites():
    names = os.environ.get("BENCH_SUITES", "").replace(",", " ").split() or SUITES
    names = [SUITE_ALIASES.get(name, name) for name in names]
    return [importlib.import_module(f"bench.{name}") for name in names]


def seed(state: Path) -> None:
    from bench import dataset, lib

    lib.log(f"seeding the shared dataset ({dataset.PARTNERS:,} partners)")
    info = dataset.seed()
    for suite in _suites():
        if hasattr(suite, "seed"):
            lib.log(f"seeding {suite.TITLE}")
            suite.seed()
    lib.log(
        f"seeded {info['partners']:,} partners, {info['domains']:,} domains in "
        f"{info['insert_s']:.1f} s (+ {info['vacuum_s']:.1f} s VACUUM ANALYZE)"
    )
    state.write_text(json.dumps(info))


def measure(state: Path, port: int, out: Path) -> None:
    from django.db import connection

    from bench import dataset, lib

    info = json.loads(state.read_text())
    target = lib.Target(port=port, hostname=dataset.HOSTNAME)
    lib.wait_ready(target)
    target.cookie = lib.sign_in(target, dataset.CAM_EMAIL, dataset.CAM_PASSWORD)
    lib.log(f"signed in as {dataset.CAM_EMAIL}")

    ctx = Context(
        target=target,
        tenant=dataset.tenant(),
        concurrency=int(os.environ.get("BENCH_CONCURRENCY", "8")),
        warmup=float(os.environ.get("BENCH_WARMUP", "2")),
        duration=float(os.environ.get("BENCH_DURATION", "8")),
        dataset_size=f"{info['partners']:,} partners",
    )
    load_before = os.getloadavg()
    started = time.monotonic()
    # The floor is /livez: the framework's own cost per request (middleware, routing, a JSON
    # answer). /healthz also opens a Redis connection and reads the heartbeats and the outbox
    # backlog, so it waits on I/O: a floor that slow would flatter every page's ratio.
    ctx.baseline = ctx.http("baseline", "/livez (floor)", "/livez")
    ctx.http("baseline", "/healthz", "/healthz")
    if ctx.baseline.failures or not ctx.baseline.completed:
        raise RuntimeError("/livez failed under load; see the notes")
    failed: list[str] = []
    for suite in _suites():
        # One suite's failure must not lose the others' figures: report it and go on.
        try:
            suite.measure(ctx)
        except Exception:
            name = suite.__name__.rsplit(".", 1)[-1]
            failed.append(name)
            ctx.notes.append(f"suite {name} FAILED:\n" + traceback.format_exc().rstrip())
            print(f"[bench] suite {name} failed:\n{traceback.format_exc()}", flush=True)

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    header = [
        "Onramp benchmarks "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {os.environ.get('BENCH_COMMIT', '?')}",
        f"machine:  {os.cpu_count()} CPUs; PostgreSQL {pg_version} (fsync off); Redis; "
        "gunicorn 2 workers x 2 threads; DEBUG=false",
        f"dataset:  tenant {dataset.SLUG} on {dataset.HOSTNAME}: {info['partners']:,} partners, "
        f"{info['domains']:,} domains, {info['cams']} CAMs "
        f"(inserted in {info['insert_s']:.1f} s, VACUUM ANALYZE {info['vacuum_s']:.1f} s)",
        f"load:     {ctx.concurrency} keep-alive connections, {ctx.warmup:g} s warm-up + "
        f"{ctx.duration:g} s measured per endpoint, signed in as {dataset.CAM_EMAIL}; "
        "clients (wrk for throughput, Python for latencies) on the same 2 CPUs",
        f"host:     1-minute load average {load_before[0]:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after the measurements",
    ]
    if load_before[0] > BUSY_LOAD:
        header.append(
            "WARNING:  the machine was busy before the benchmark started (other work shares "
            "the CPUs): expect lower and noisier numbers"
        )
    report = "\n".join(header) + "\n\n" + goals_section(ctx) + "\n\n" + _http_section(ctx)
    for title, text in ctx.sections:
        report += f"\n\n{title}\n{text}"
    report += "\n\nLooks slow\n" + (
        "\n".join(f"- {n}" for n in ctx.notes) if ctx.notes else "- nothing flagged"
    )
    report += f"\n\n(measured in {time.monotonic() - started:.0f} s)\n"

    plans = "\n\nQuery plans\n"
    for title, r in ctx.plans:
        plans += f"\n=== {title}\n{r.sql}\n\n{r.plan}\n"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report + plans)
    print("\n" + report + f"Full query plans: {out.relative_to(ROOT)}\n", flush=True)
    if failed:
        raise SystemExit(f"suites failed: {', '.join(failed)}")


# Pages whose req/s ÷ the floor (/livez) has a goal (issue 15), by their HTTP row label.
PAGE_GOALS = {
    "console tab": ("console Onboarding tab, req/s ÷ floor", 0.4),
    "portal home": ("portal home, req/s ÷ floor", 0.4),
    "portal journey": ("portal journey, req/s ÷ floor", 0.4),
}
PAGE_WHY = (
    "CPU per request in Python: ORM row building and template rendering (see the Profiles "
    "section for each page's top functions)"
)


def goals_section(ctx) -> str:
    """The goals table: the page ratios from the HTTP rows, then every figure a suite
    reported with `ctx.goal`. Never fails the report: a problem becomes a line of its own."""
    from bench import lib

    try:
        rows = []
        base = ctx.baseline.rps if ctx.baseline is not None else 0
        for _suite, label, _path, _matches, r in ctx.http_rows:
            for prefix, (figure, target) in PAGE_GOALS.items():
                if label.startswith(prefix) and base:
                    ratio = r.rps / base
                    met = ratio >= target
                    rows.append(
                        [figure, f"{ratio:.3f}", f">= {target:g}", _verdict(met)]
                        + ["" if met else PAGE_WHY]
                    )
        for figure, value, goal, met, why in ctx.goals:
            rows.append([figure, value, goal, _verdict(met), "" if met else why])
        if not rows:
            return "Goals: no suite that reports one ran"
        return "Goals (each figure from this run; details in the sections below)\n" + lib.table(
            ["figure", "this run", "goal", "verdict", "what stands in the way"],
            rows,
            align="lrlll",
        )
    except Exception as exc:  # noqa: BLE001 - the figures below still matter
        return f"Goals: could not be tabled ({exc!r})"


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _http_section(ctx) -> str:
    from bench import lib

    base = ctx.baseline.rps
    rows = []
    for suite, label, path, matches, r in ctx.http_rows:
        rows.append(
            [
                f"{suite}: {label}" if suite != "baseline" else label,
                path,
                "" if matches is None else f"{matches:,}",
                f"{r.rps:,.1f}",
                f"{r.rps / base:.3f}" if base else "-",
                f"{r.client_rps:,.1f}",
                lib.ms(r.percentile(50)),
                lib.ms(r.percentile(95)),
                lib.ms(r.percentile(99)),
                r.completed,
                r.failures,
                r.cpu.text() if r.cpu else "-",
                r.client_cpu.text() if r.client_cpu else "-",
            ]
        )
    source = "wrk" if ctx.baseline.wrk is not None else "Python client (wrk not installed)"
    title = (
        "HTTP endpoints (GET, Host: bench.localhost). req/s and x floor (÷ /livez): "
        f"{source}, 1 thread, {ctx.concurrency} connections, on the warm server; "
        "client req/s, percentiles, requests and failures: the Python client (latencies "
        "include queueing behind the 4 server threads; with few requests p99 is the slowest "
        "one). CPU: the host's user/system/idle % over each run (in brackets: the load "
        "generator's own share)\n"
    )
    return title + lib.table(
        [
            "endpoint",
            "path",
            "matches",
            "req/s",
            "x floor",
            "client req/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "requests",
            "failed",
            "CPU u/s/i (wrk)",
            "CPU u/s/i (client)",
        ],
        rows,
        align="llrrrrrrrrrrr",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["seed", "measure"])
    parser.add_argument("--state", type=Path, required=True, help="seed results (JSON)")
    parser.add_argument("--port", type=int, help="the gunicorn port on 127.0.0.1")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "latest.txt")
    args = parser.parse_args()

    # Import as the package `bench` from the repository root, not from bench/ itself.
    sys.path[0] = str(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    if args.step == "seed":
        seed(args.state)
    else:
        if not args.port:
            parser.error("measure needs --port")
        measure(args.state, args.port, args.out)


if __name__ == "__main__":
    main()
