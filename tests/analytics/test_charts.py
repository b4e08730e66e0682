"""How panels are drawn (apps/analytics/charts.py): rendering only, the numbers are the panel's."""

from __future__ import annotations

from django.template.loader import render_to_string

from apps.analytics.charts import WIDTH, chart_for
from apps.analytics.panels import Panel


def _cohorts() -> Panel:
    return Panel(
        key="activation_cohorts",
        title="Activation by enrollment cohort",
        description="",
        columns=["Enrollment month", "Partners", "Activated by day 30 (%)", "Day 60 (%)"],
        rows=[["2026-08", 7, 42.9, 71.4], ["2026-09", 4, 0.0, "—"]],
        chart="cohort",
        unit="%",
    )


def test_a_cohorts_size_is_a_count_beside_its_coloured_shares():
    chart = chart_for(_cohorts())
    assert chart is not None
    first, second = chart.cells
    assert [(c.text, c.heat) for c in first[1:]] == [("7", None), ("42.9%", 2), ("71.4%", 3)]
    assert [(c.text, c.heat) for c in second[1:]] == [("4", None), ("0%", 0), ("—", None)]
    assert chart.summary.endswith("2026-08: 7, 42.9%, 71.4%; 2026-09: 4, 0%, —")


def test_a_share_heat_map_has_a_legend_of_its_colour_steps():
    html = render_to_string("analytics/_chart.html", {"chart": chart_for(_cohorts())})
    assert 'class="analytics-heat__key heat-0">under 20%' in html
    assert 'class="analytics-heat__key heat-4">80–100%' in html
    counts = Panel(
        key="c",
        title="Counts",
        description="",
        columns=["Month", "Deals"],
        rows=[["2026-08", 3]],
        chart="cohort",
    )
    chart = chart_for(counts)
    assert chart is not None
    assert chart.legend == []  # colours of a count are relative: no fixed ranges to name


def test_horizontal_bar_labels_get_the_room_they_need():
    short = Panel(
        key="s",
        title="Short",
        description="",
        columns=["Type", "Rate"],
        rows=[["MSP", 50.0]],
        chart="hbar",
        series=[("MSP", 50.0)],
        unit="%",
    )
    label = "Managed Service Provider: certification"
    long = Panel(
        key="l",
        title="Long",
        description="",
        columns=["Type", "Days"],
        rows=[[label, 26.1]],
        chart="hbar",
        series=[(label, 26.1)],
    )
    short_chart, long_chart = chart_for(short), chart_for(long)
    assert short_chart is not None and long_chart is not None
    assert long_chart.bars[0].short == label  # written whole
    assert long_chart.bars[0].x > short_chart.bars[0].x  # a wider label column
    for chart in (short_chart, long_chart):
        bar = chart.bars[0]
        assert bar.x + bar.width + 70 <= WIDTH  # the value fits right of the longest bar
