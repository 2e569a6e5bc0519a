"""PDF export (reportlab platypus): title, partner, range and time zone, as_of, the summary with the
previous period and change, the tab's charts, then every series and table.
Money in €, rates in percent, null as "—"."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kpi_projector.exports.charts import Chart, charts
from kpi_projector.exports.figures import (
    Kind,
    Report,
    as_datetime,
    column_kinds,
    display,
    display_change,
    flatten,
    kind_of,
    label,
    range_text,
    report_title,
)

MARGIN = 18 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
NAVY = colors.HexColor("#1F3A5F")
_STYLES = getSampleStyleSheet()
TITLE = ParagraphStyle("ReportTitle", parent=_STYLES["Title"], alignment=0, textColor=NAVY, spaceAfter=4)
META = ParagraphStyle(
    "Meta", parent=_STYLES["Normal"], fontSize=9.5, leading=13, textColor=colors.HexColor("#333")
)
HEADING = ParagraphStyle("Section", parent=_STYLES["Heading2"], textColor=NAVY, spaceBefore=10, spaceAfter=4)
SUBHEADING = ParagraphStyle("Sub", parent=_STYLES["Heading4"], spaceBefore=6, spaceAfter=2)
CELL = ParagraphStyle("Cell", parent=_STYLES["Normal"], fontSize=7.5, leading=9)
NUMBER_CELL = ParagraphStyle("NumberCell", parent=CELL, alignment=TA_RIGHT)
HEADER_CELL = ParagraphStyle("HeaderCell", parent=CELL, fontName="Helvetica-Bold", textColor=colors.white)
NO_DATA = ParagraphStyle("NoData", parent=_STYLES["Italic"], fontSize=9, textColor=colors.grey)


def render_pdf(report: Report, partner_name: str | None = None) -> bytes:
    out = io.BytesIO()
    title = report_title(report)
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{title}, {range_text(report)}",
        author="HeyZack",
        subject=str(partner_name or report.get("partner_id") or ""),
    )
    story: list[Flowable] = [*_heading(report, title, partner_name), *_summary(report.get("summary") or {})]
    story += [CondPageBreak(80 * mm), Paragraph("Charts", HEADING)]
    story += [_chart(chart) for chart in charts(report)] or [Paragraph("No charts for this tab.", NO_DATA)]
    for group in ("series", "tables"):
        for name, rows in (report.get(group) or {}).items():
            story += [CondPageBreak(40 * mm), Paragraph(label(name), HEADING), _table(rows)]
    footer = f"{title} · {report.get('partner_id', '')} · {range_text(report)}"
    doc.build(story, onFirstPage=_footer(footer), onLaterPages=_footer(footer))
    return out.getvalue()


def _heading(report: Report, title: str, partner_name: str | None) -> list[Flowable]:
    rng = report.get("range") or {}
    previous = report.get("previous_range") or {}
    partner_id = report.get("partner_id") or "—"
    partner = f"{_esc(partner_name)} ({_esc(partner_id)})" if partner_name else _esc(partner_id)
    as_of = as_datetime(report.get("as_of"))
    as_of_text = as_of.strftime("%Y-%m-%d %H:%M UTC") if as_of else _esc(report.get("as_of") or "—")
    lines = [
        f"<b>Partner:</b> {partner}",
        f"<b>Range:</b> {_esc(range_text(report))} · <b>Time zone:</b> {_esc(rng.get('timezone') or '—')}",
        f"<b>Previous period:</b> {_esc(previous.get('start') or '—')} to {_esc(previous.get('end') or '—')}",
        f"<b>As of:</b> {as_of_text}",
    ]
    return [Paragraph(_esc(title), TITLE), *(Paragraph(line, META) for line in lines), Spacer(1, 4 * mm)]


def _summary(summary: Mapping[str, Mapping[str, Any]]) -> list[Flowable]:
    header = ["Figure", "Value", "Previous period", "Change"]
    rows = []
    for key, figure in summary.items():
        value, previous = figure.get("value"), figure.get("previous")
        kind = kind_of(key, [value, previous])
        rows.append(
            [label(key), display(value, kind), display(previous, kind), display_change(value, previous, kind)]
        )
    if not rows:
        return [Paragraph("Summary", HEADING), Paragraph("No figures in this report.", NO_DATA)]
    table = Table([header, *rows], colWidths=[0.4 * CONTENT_WIDTH] + [0.2 * CONTENT_WIDTH] * 3, repeatRows=1)
    table.setStyle(_grid_style(numeric_from=1, font_size=9.5))
    return [Paragraph("Summary", HEADING), table]


def _chart(chart: Chart) -> Flowable:
    body: Flowable = (
        chart.drawing if chart.drawing is not None else Paragraph("No data in this range.", NO_DATA)
    )
    return KeepTogether([Paragraph(_esc(chart.title), SUBHEADING), body, Spacer(1, 3 * mm)])


def _table(rows: Sequence[Mapping[str, Any]]) -> Flowable:
    # The radar draws skills; ids are noise next to a name.
    flat = [flatten({k: v for k, v in r.items() if k != "skills"}) for r in rows]
    kinds = column_kinds(flat)
    if "name" in kinds:
        kinds = {k: kind for k, kind in kinds.items() if not k.endswith("_id")}
    if not flat or not kinds:
        return Paragraph("No data in this range.", NO_DATA)
    header = [Paragraph(_esc(label(k)), HEADER_CELL) for k in kinds]
    body = [
        [
            Paragraph(_esc(display(r.get(k), kind)), NUMBER_CELL if kind.numeric else CELL)
            for k, kind in kinds.items()
        ]
        for r in flat
    ]
    widths = [2.0 if kind is Kind.TEXT else 1.0 for kind in kinds.values()]
    scale = CONTENT_WIDTH / sum(widths)
    table = Table([header, *body], colWidths=[w * scale for w in widths], repeatRows=1)
    table.setStyle(_grid_style(numeric_from=None, font_size=7.5))
    return table


def _grid_style(numeric_from: int | None, font_size: float) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), font_size),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#F2F5F9")]),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#C8D0DA")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    if numeric_from is not None:
        commands.append(("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"))
    return TableStyle(commands)


def _footer(text: str) -> Any:
    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 10 * mm, text)
        canvas.drawRightString(A4[0] - MARGIN, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def _esc(value: Any) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
