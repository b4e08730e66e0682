"""The goals table at the top of `make bench`'s report (bench/run.py): the page ratios from
the HTTP rows and every figure a suite reports with `ctx.goal`. No database, no server."""

from dataclasses import dataclass

from bench.run import Context, goals_section


@dataclass
class _Result:
    rps: float


def _ctx(baseline_rps: float = 100.0) -> Context:
    ctx = Context(target=None, tenant=None, concurrency=8, warmup=0, duration=0, dataset_size="x")
    ctx.baseline = _Result(baseline_rps)
    return ctx


def _rows(text: str) -> dict[str, list[str]]:
    lines = text.splitlines()[3:]  # title, header, rule
    return {
        cells[0]: cells[1:]
        for cells in ([c.strip() for c in line.split("  ") if c.strip()] for line in lines)
    }


def test_page_ratios_come_from_the_http_rows_with_their_goal() -> None:
    ctx = _ctx()
    ctx.http_rows += [
        ("Onboarding", "console tab (12 actions)", "/t", None, _Result(45.0)),
        ("Onboarding", "portal journey (partner admin)", "/j", None, _Result(20.0)),
        ("Explorer", "first page", "/p", None, _Result(5.0)),  # no ratio goal
    ]
    rows = _rows(goals_section(ctx))
    assert rows["console Onboarding tab, req/s ÷ floor"][:3] == ["0.450", ">= 0.4", "met"]
    journey = rows["portal journey, req/s ÷ floor"]
    assert journey[:3] == ["0.200", ">= 0.4", "NOT met"]
    assert "template rendering" in journey[3]
    assert len(rows) == 2


def test_suite_goals_are_listed_with_what_stands_in_the_way_only_when_unmet() -> None:
    ctx = _ctx()
    ctx.goal("sweep (median)", "2222 ms", "<= 100 ms", False, why="index rewrites")
    ctx.goal("sweep ratio", "405x", ">= 50x", True, why="never shown")
    rows = _rows(goals_section(ctx))
    assert rows["sweep (median)"] == ["2222 ms", "<= 100 ms", "NOT met", "index rewrites"]
    assert rows["sweep ratio"] == ["405x", ">= 50x", "met"]


def test_a_broken_row_never_fails_the_report() -> None:
    ctx = _ctx()
    ctx.goals.append(("only two fields", "x"))
    assert goals_section(ctx).startswith("Goals: could not be tabled")
    assert goals_section(_ctx()) == "Goals: no suite that reports one ran"
