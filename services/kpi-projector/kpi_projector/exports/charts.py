"""The PDF's charts, drawn with reportlab.graphics from any tab's series and tables.

Every series gives a line chart per unit (counts, euros, percent, ...), a weekly positive/neutral/negative
series gives stacked bars, every table with a label column gives bar charts, and a table whose rows carry
`skills` gives the skill radar. A chart without data is returned as None ("no data in this range").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.spider import SpiderChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.units import mm

from kpi_projector.exports.figures import (
    SENTIMENT_COLUMNS,
    Kind,
    Report,
    as_date,
    column_kinds,
    flatten,
    label,
)

SKILLS = ("smart_lock", "camera", "thermostat", "network", "alarm", "lighting")
PALETTE = [colors.HexColor(c) for c in ("#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B")]
SENTIMENT_COLORS = [colors.HexColor(c) for c in ("#2CA02C", "#B0B0B0", "#D62728")]
WIDTH, HEIGHT = 170 * mm, 60 * mm
MAX_BARS = 15
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
MAX_RADAR_STRANDS = 6
_CHART_ORDER = [Kind.NUMBER, Kind.MONEY, Kind.RATE, Kind.RATING, Kind.MINUTES, Kind.DATE, Kind.TEXT]
_UNIT_TITLES = {
    Kind.MONEY: "€",
    Kind.RATE: "%",
    Kind.MINUTES: "minutes",
    Kind.RATING: "stars",
    Kind.NUMBER: "",
}


@dataclass(frozen=True)
class Chart:
    title: str
    drawing: Drawing | None  # None: nothing to draw in this range


def charts(report: Report) -> list[Chart]:
    found: list[Chart] = []
    for name, rows in (report.get("series") or {}).items():
        found.extend(_series_charts(name, [flatten(r) for r in rows]))
    for name, rows in (report.get("tables") or {}).items():
        found.extend(_table_charts(name, rows))
    return found


def _series_charts(name: str, rows: list[dict[str, Any]]) -> list[Chart]:
    kinds = column_kinds(rows)
    numeric = [k for k, kind in kinds.items() if kind.numeric]
    if not rows or not numeric:
        return [Chart(label(name), None)]
    categories = [_day_label(r.get("date", "")) for r in rows]
    if set(SENTIMENT_COLUMNS) <= set(numeric):
        data = [[_plotted(r.get(c), Kind.NUMBER) or 0 for r in rows] for c in SENTIMENT_COLUMNS]
        stacked = _bars(categories, data, list(SENTIMENT_COLUMNS), Kind.NUMBER, stacked=True)
        return [Chart(label(name), stacked)]
    groups = _by_kind(numeric, kinds)
    return [
        Chart(
            _titled(name, kind, cols, len(groups)),
            _lines(categories, [[_plotted(r.get(c), kind) for r in rows] for c in cols], cols, kind),
        )
        for kind, cols in groups
    ]


def _table_charts(name: str, rows: Sequence[Mapping[str, Any]]) -> list[Chart]:
    found: list[Chart] = []
    if any(isinstance(r.get("skills"), Mapping) for r in rows):
        found.append(Chart(f"{label(name)}: skill levels (0–5)", _radar(rows)))
    flat = [flatten({k: v for k, v in r.items() if k != "skills"}) for r in rows][:MAX_BARS]
    kinds = column_kinds(flat)
    label_key = next((k for k, kind in kinds.items() if kind is Kind.TEXT and not k.endswith("_id")), None)
    numeric = [k for k, kind in kinds.items() if kind.numeric and kind is not Kind.DATE]
    if not rows:
        return [*found, Chart(label(name), None)]
    if label_key is None or not numeric:
        return found
    categories = [_category(r.get(label_key)) for r in flat]
    groups = _by_kind(numeric, kinds)
    for kind, cols in groups:
        data = [[_plotted(r.get(c), kind) or 0 for r in flat] for c in cols]
        found.append(Chart(_titled(name, kind, cols, len(groups)), _bars(categories, data, cols, kind)))
    return found


def _by_kind(numeric: list[str], kinds: Mapping[str, Kind]) -> list[tuple[Kind, list[str]]]:
    ordered = sorted(numeric, key=lambda k: _CHART_ORDER.index(kinds[k]))
    return [(kind, list(cols)) for kind, cols in groupby(ordered, key=lambda k: kinds[k])]


def _titled(name: str, kind: Kind, cols: Sequence[str], groups: int) -> str:
    if groups == 1:
        return label(name)
    unit = _UNIT_TITLES.get(kind, "")
    what = ", ".join(label(c) for c in cols)
    return f"{label(name)}: {what}" + (f" ({unit})" if unit and "(" not in what else "")


def _plotted(value: Any, kind: Kind) -> float | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return value / 100 if kind is Kind.MONEY else value * 100 if kind is Kind.RATE else float(value)


def _category(value: Any) -> str:
    text = str(value or "—")
    return label(text) if _IDENTIFIER.fullmatch(text) else text


def _day_label(value: Any) -> str:
    day = as_date(value)
    return day.strftime("%d %b") if day else str(value)


def _thinned(categories: list[str], keep: int = 10) -> list[str]:
    step = max(1, math.ceil(len(categories) / keep))
    return [c if i % step == 0 else "" for i, c in enumerate(categories)]


def _axis_format(kind: Kind) -> Callable[[float], str]:
    if kind is Kind.MONEY:
        return lambda v: f"€{v:,.0f}"
    if kind is Kind.RATE:
        return lambda v: f"{v:.0f}%"
    return lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _lines(
    categories: list[str], data: list[list[float | None]], names: list[str], kind: Kind
) -> Drawing | None:
    # A line needs two points (reportlab refuses fewer): e.g. an NPS trend with one week of answers.
    drawn = [
        (line, name) for line, name in zip(data, names, strict=True) if sum(v is not None for v in line) >= 2
    ]
    if not drawn:
        return None
    data, names = [line for line, _ in drawn], [name for _, name in drawn]
    drawing = Drawing(WIDTH, HEIGHT)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 45, 30, int(WIDTH - 160), int(HEIGHT - 45)
    chart.data = [tuple(line) for line in data]
    chart.categoryAxis.categoryNames = _thinned(categories)
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(categories) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 8 else "n"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = _axis_format(kind)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E0E0E0")
    _zero_based(chart.valueAxis, data)
    for i in range(len(data)):
        chart.lines[i].strokeColor = PALETTE[i % len(PALETTE)]
        chart.lines[i].strokeWidth = 1.5
    drawing.add(chart)
    drawing.add(_legend(names, PALETTE, WIDTH - 105, HEIGHT - 12))
    return drawing


def _bars(
    categories: list[str], data: list[list[float]], names: list[str], kind: Kind, stacked: bool = False
) -> Drawing | None:
    if not categories or all(not v for series in data for v in series):
        return None
    drawing = Drawing(WIDTH, HEIGHT)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 45, 30, int(WIDTH - 160), int(HEIGHT - 45)
    chart.data = [tuple(series) for series in data]
    chart.categoryAxis.categoryNames = _thinned(categories, keep=16)
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(categories) > 6 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(categories) > 6 else "n"
    if stacked:
        chart.categoryAxis.style = "stacked"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = _axis_format(kind)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#E0E0E0")
    _zero_based(chart.valueAxis, data, stacked)
    palette = SENTIMENT_COLORS if stacked else PALETTE
    for i in range(len(data)):
        chart.bars[i].fillColor = palette[i % len(palette)]
        chart.bars[i].strokeColor = None
    drawing.add(chart)
    drawing.add(_legend(names, palette, WIDTH - 105, HEIGHT - 12))
    return drawing


def _zero_based(axis: Any, data: Sequence[Sequence[float | None]], stacked: bool = False) -> None:
    values = [v for series in data for v in series if v is not None]
    if stacked:
        values = [sum(v or 0 for v in column) for column in zip(*data, strict=True)]
    low = min([0.0, *values])
    high = max([0.0, *values])
    axis.valueMin = low
    axis.valueMax = high if high > low else low + 1
    if high <= 5 and low >= 0 and all(float(v).is_integer() for v in values):
        axis.valueStep = 1


def _radar(rows: Sequence[Mapping[str, Any]]) -> Drawing | None:
    rated = [r for r in rows if isinstance(r.get("skills"), Mapping) and r["skills"]][:MAX_RADAR_STRANDS]
    if not rated:
        return None
    drawing = Drawing(WIDTH, 85 * mm)
    chart = SpiderChart()
    chart.x, chart.y, chart.width, chart.height = 20, 15, int(85 * mm), int(85 * mm - 30)
    rings = [[level] * len(SKILLS) for level in range(1, 6)]  # fixed 0–5 scale, drawn as grid rings
    people = [[float(r["skills"].get(s) or 0) for s in SKILLS] for r in rated]
    chart.data = rings + people
    chart.labels = [label(s) for s in SKILLS]
    chart.spokeLabels.fontSize = 8
    chart.spokes.strokeColor = colors.HexColor("#B0B0B0")
    chart.spokes.strokeWidth = 0.5
    for i in range(len(rings)):
        chart.strands[i].strokeColor = colors.HexColor("#D0D0D0")
        chart.strands[i].fillColor = None
        chart.strands[i].strokeWidth = 0.5
    names = []
    for i, row in enumerate(rated):
        color = PALETTE[i % len(PALETTE)]
        strand = chart.strands[len(rings) + i]
        strand.strokeColor = color
        strand.fillColor = colors.Color(color.red, color.green, color.blue, alpha=0.12)
        strand.strokeWidth = 1.5
        names.append(str(row.get("name") or row.get("handyman_id") or f"#{i + 1}"))
    drawing.add(chart)
    drawing.add(_legend(names, PALETTE, 100 * mm, 85 * mm - 20))
    return drawing


def _legend(names: Sequence[str], palette: Sequence[colors.Color], x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = int(x), int(y)
    legend.alignment = "right"
    legend.fontSize = 8
    legend.dxTextSpace = 5
    legend.columnMaximum = 10
    legend.colorNamePairs = [(palette[i % len(palette)], label(n)) for i, n in enumerate(names)]
    return legend
