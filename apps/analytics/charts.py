"""A panel's chart, laid out for templates/analytics/_chart.html: server-rendered SVG (bar,
hbar, funnel) or an HTML heat-map table (cohort). Geometry only; the numbers are the panel's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from apps.analytics.panels import Panel

# The SVG's own width: the stylesheet never draws it wider (text stays at its set size), only
# narrower in a narrow panel. Text is 13 units: about 11.5px in the two-column layout.
WIDTH = 560
LABEL_CHARS = 40  # longer axis labels are shortened (the full one is in the bar's <title>)
CHAR_W = 7.0  # the mean width of a 13px label character, for the label column
VALUE_W = 84  # room right of a bar for its value ("100%", "15.4 days")


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
    legend: list[tuple[int, str]] = field(default_factory=list)  # (heat step, its range)


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
    """Horizontal bars, the label column as wide as the longest (shortened) label needs."""
    row_h, gap = 26, 10
    longest = max((len(_short(label)) for label, _v in panel.series), default=0)
    label_w = min(max(80, round(longest * CHAR_W) + 14), 300)
    chars = max(8, int((label_w - 14) / CHAR_W))
    plot_w = WIDTH - label_w - VALUE_W
    peak = max((v for _l, v in panel.series), default=0) or 1
    chart = Chart(kind=panel.chart, height=len(panel.series) * (row_h + gap) + gap)
    for i, (label, value) in enumerate(panel.series):
        w = max(plot_w * value / peak, 2 if value else 0)
        x = label_w + (plot_w - w) / 2 if centred else label_w
        y = gap + i * (row_h + gap)
        chart.bars.append(
            Bar(
                label=label,
                short=_short(label, chars),
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


def _heat_columns(panel: Panel) -> set[int]:
    """The columns the heat map colours (and writes with the unit): of a percentage table,
    those whose header says "%" (a count beside them, such as the cohort's size, is a plain
    number); otherwise every column after the first."""
    every = set(range(1, len(panel.columns)))
    if panel.unit.strip() != "%":
        return every
    shares = {i for i in every if "%" in str(panel.columns[i])}
    return shares or every


def _cohort(panel: Panel) -> Chart:
    heated = _heat_columns(panel)
    numbers = [
        v
        for row in panel.rows
        for i, v in enumerate(row)
        if i in heated and isinstance(v, int | float)
    ]
    peak = 100.0 if panel.unit.strip() == "%" else float(max(numbers, default=0) or 1)
    chart = Chart(kind="cohort", head=[str(c) for c in panel.columns])

    def cell(i: int, value: Any) -> Cell:
        if i in heated:
            return Cell(text=number(value, panel.unit), heat=_heat(value, peak))
        return Cell(text=number(value))

    for row in panel.rows:
        cells = [Cell(text=str(row[0]))]
        cells += [cell(i, v) for i, v in enumerate(row) if i]
        chart.cells.append(cells)
    parts = [
        f"{row[0]}: " + ", ".join(c.text for c in cells[1:])
        for row, cells in zip(panel.rows, chart.cells, strict=True)
    ]
    chart.summary = _("%(title)s: %(values)s") % {"title": panel.title, "values": "; ".join(parts)}
    if panel.unit.strip() == "%":  # a share: the colour steps are fixed ranges (see _heat)
        chart.legend = [
            (0, _("under 20%")),
            (1, _("20–40%")),
            (2, _("40–60%")),
            (3, _("60–80%")),
            (4, _("80–100%")),
        ]
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
