"""Excel export: a real workbook, one sheet per table (Summary, each series, each table, then Report).

Cells are typed: numbers as numbers, ISO days as date cells, `*_cents` converted to euros with a currency
format, rates as percentages. Each sheet has a bold, frozen header row and columns sized to their content.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from kpi_projector.exports.figures import (
    Kind,
    Report,
    as_date,
    as_datetime,
    change,
    column_kinds,
    flatten,
    kind_of,
    label,
    range_text,
    report_title,
)

EURO_FORMAT = "€#,##0.00"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_FORMATS = {
    Kind.MONEY: EURO_FORMAT,
    Kind.RATE: PERCENT_FORMAT,
    Kind.MINUTES: "#,##0.0",
    Kind.RATING: "0.0",
    Kind.NUMBER: "#,##0.##",
    Kind.DATE: DATE_FORMAT,
}
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(report: Report, partner_name: str | None = None) -> bytes:
    book = Workbook()
    names: set[str] = set()
    summary_sheet = book.active
    assert summary_sheet is not None  # a new Workbook always has one sheet
    summary_sheet.title = _sheet_name("Summary", names)
    _write_summary(summary_sheet, report.get("summary") or {})
    for group in ("series", "tables"):
        for name, rows in (report.get(group) or {}).items():
            _write_rows(book.create_sheet(_sheet_name(label(name), names)), [flatten(r) for r in rows])
    _write_about(book.create_sheet(_sheet_name("Report", names)), report, partner_name)
    book.properties.title = f"{report_title(report)} — {range_text(report)}"
    book.properties.creator = "HeyZack"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_summary(sheet: Worksheet, summary: Mapping[str, Mapping[str, Any]]) -> None:
    _header(sheet, ["Figure", "Value", "Previous period", "Change"])
    for key, figure in summary.items():
        value, previous = figure.get("value"), figure.get("previous")
        kind = kind_of(key, [value, previous])
        sheet.append([label(key), *(_typed(v, kind) for v in (value, previous, change(value, previous)))])
        for cell in sheet[sheet.max_row][1:]:
            cell.number_format = _FORMATS.get(kind, "General")
    _finish(sheet)


def _write_rows(sheet: Worksheet, rows: Sequence[Mapping[str, Any]]) -> None:
    kinds = column_kinds(rows)
    _header(sheet, [label(key) for key in kinds])
    for row in rows:
        sheet.append([_typed(row.get(key), kind) for key, kind in kinds.items()])
    for index, kind in enumerate(kinds.values(), start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            cell.number_format = _FORMATS.get(kind, "General")
    _finish(sheet)


def _write_about(sheet: Worksheet, report: Report, partner_name: str | None) -> None:
    rng = report.get("range") or {}
    previous = report.get("previous_range") or {}
    _header(sheet, ["Field", "Value"])
    rows: list[tuple[str, Any]] = [
        ("Report", report_title(report)),
        ("Partner", partner_name or report.get("partner_id")),
        ("Partner ID", report.get("partner_id")),
        ("Range preset", rng.get("preset")),
        ("Start", as_date(rng.get("start"))),
        ("End", as_date(rng.get("end"))),
        ("Time zone", rng.get("timezone")),
        ("Previous period start", as_date(previous.get("start"))),
        ("Previous period end", as_date(previous.get("end"))),
        ("As of (UTC)", _naive_utc(report.get("as_of"))),
    ]
    for field, value in rows:
        sheet.append([field, value])
        cell = sheet.cell(sheet.max_row, 2)
        if field.startswith("As of"):
            cell.number_format = DATETIME_FORMAT
        elif value is not None and not isinstance(value, str):
            cell.number_format = DATE_FORMAT
    _finish(sheet)


def _typed(value: Any, kind: Kind) -> Any:
    if value is None or value == "":
        return None
    if kind is Kind.MONEY and isinstance(value, int | float):
        return value / 100
    if kind is Kind.DATE:
        return as_date(value) or value
    if isinstance(value, str):
        # The input policy keeps control characters out of names; one recorded before it would still be
        # refused by Excel, so it is dropped here rather than fail the whole export.
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _naive_utc(value: Any) -> Any:
    moment = as_datetime(value)
    if moment is None or moment.tzinfo is None:
        return moment or value
    # Excel has no time zones; the contract's `as_of` is UTC, and the header says so.
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def _header(sheet: Worksheet, titles: Sequence[str]) -> None:
    sheet.append(list(titles))
    for cell in sheet[1]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = "A2"


def _finish(sheet: Worksheet) -> None:
    for index, column in enumerate(sheet.iter_cols(), start=1):
        width = max((_shown_width(cell.value) for cell in column), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)


def _shown_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, float):
        return len(f"{value:,.2f}") + 2
    return len(str(value))


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    base = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name
