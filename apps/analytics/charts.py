"""A panel's chart, laid out for templates/analytics/_chart.html: server-rendered SVG (bar,
hbar, funnel) or an HTML heat-map table (cohort). Geometry only; the numbers are the panel's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from apps.analytics.panels import Panel

WIDTH = 640
LABEL_CHARS = 26  # longer axis labels are shortened (the full one is in the bar's <title>)


def number(value: Any, unit: str = "") -> str:
    """A value as a chart or table shows it: whole numbers without decimals, one decimal
    otherwise, "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        text = f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        return str(value)
    return f"{text}{unit}"


def _short(label: str, chars: int = LABEL_CHARS) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


@dataclass
class Bar:
    label: str
    short: str
    value: str  # formatted, with its unit
    x: float
    y: float
    width: float
    height: float
    # Where the label and the value are written.
    label_x: float = 0.0
    label_y: float = 0.0
    value_x: float = 0.0
    value_y: float = 0.0


@dataclass
class Cell:
    text: str
    heat: int | None = None  # 0..4, the colour step (None: no value)


@dataclass
class Chart:
    kind: str
    width: int = WIDTH
    height: int = 0
    summary: str = ""
    bars: list[Bar] = field(default_factory=list)
    axis_y: float = 0.0
    # cohort: header and rows of cells
    head: list[str] = field(default_factory=list)
    cells: list[list[Cell]] = field(default_factory=list)


def _summary(panel: Panel) -> str:
    parts = [f"{label} {number(value, panel.unit)}" for label, value in panel.series]
    return _("%(title)s: %(values)s") % {"title": panel.title, "values": "; ".join(parts)}


def _bar(panel: Panel) -> Chart:
    top, bottom, left, right = 24, 36, 8, 8
    plot_h = 180
    n = len(panel.series)
    band = (WIDTH - left - right) / n
    peak = max((v for _l, v in panel.series), default=0) or 1
    chart = Chart(kind="bar", height=top + plot_h + bottom, axis_y=top + plot_h)
    chars = max(4, int(band / 7))
    for i, (label, value) in enumerate(panel.series):
        h = plot_h * value / peak
        x = left + i * band + band * 0.15
        w = band * 0.7
        y = top + plot_h - h
        chart.bars.append(
            Bar(
                label=label,
                short=_short(label, chars),
                value=number(value, panel.unit),
                x=round(x, 1),
                y=round(y, 1),
                width=round(w, 1),
                height=round(h, 1),
                label_x=round(x + w / 2, 1),
                label_y=top + plot_h + 18,
                value_x=round(x + w / 2, 1),
                value_y=round(y - 6, 1),
            )
        )
    return chart


def _hbar(panel: Panel, *, centred: bool = False) -> Chart:
    row_h, gap, label_w, value_w = 26, 10, 190, 70
    plot_w = WIDTH - label_w - value_w
    peak = max((v for _l, v in panel.series), default=0) or 1
    chart = Chart(kind=panel.chart, height=len(panel.series) * (row_h + gap) + gap)
    for i, (label, value) in enumerate(panel.series):
        w = max(plot_w * value / peak, 2 if value else 0)
        x = label_w + (plot_w - w) / 2 if centred else label_w
        y = gap + i * (row_h + gap)
        chart.bars.append(
            Bar(
                label=label,
                short=_short(label),
                value=number(value, panel.unit),
                x=round(x, 1),
                y=y,
                width=round(w, 1),
                height=row_h,
                label_x=label_w - 10,
                label_y=y + row_h / 2,
                value_x=round(x + w + 8, 1),
                value_y=y + row_h / 2,
            )
        )
    return chart


def _heat(value: Any, peak: float) -> int | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    share = value / peak if peak else 0
    return min(4, max(0, int(share * 5)))


def _cohort(panel: Panel) -> Chart:
    numbers = [v for row in panel.rows for v in row[1:] if isinstance(v, int | float)]
    peak = 100.0 if panel.unit.strip() == "%" else float(max(numbers, default=0) or 1)
    chart = Chart(kind="cohort", head=[str(c) for c in panel.columns])
    for row in panel.rows:
        cells = [Cell(text=str(row[0]))]
        cells += [Cell(text=number(v, panel.unit), heat=_heat(v, peak)) for v in row[1:]]
        chart.cells.append(cells)
    parts = [
        f"{row[0]}: " + ", ".join(number(v, panel.unit) for v in row[1:]) for row in panel.rows
    ]
    chart.summary = _("%(title)s: %(values)s") % {"title": panel.title, "values": "; ".join(parts)}
    return chart


def chart_for(panel: Panel) -> Chart | None:
    """The chart of a panel with numbers (None for an empty panel, or kind "none")."""
    if panel.is_empty or panel.chart == "none":
        return None
    if panel.chart == "cohort":
        return _cohort(panel)
    if not panel.series:
        return None
    if panel.chart == "bar":
        chart = _bar(panel)
    elif panel.chart == "funnel":
        chart = _hbar(panel, centred=True)
    else:
        chart = _hbar(panel)
    chart.summary = _summary(panel)
    return chart
