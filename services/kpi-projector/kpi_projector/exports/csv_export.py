"""CSV export: one section per table, each a title line, a header row and its rows, sections split by a
blank line. Values stay raw (cents in `*_cents` columns, rates as fractions, ISO dates) so nothing is
ambiguous; the summary section names each figure's unit."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from kpi_projector.exports.figures import Report, change, columns, flatten, kind_of, label


def render_csv(report: Report, partner_name: str | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    rng = report.get("range") or {}
    previous = report.get("previous_range") or {}
    about = {
        "tab": report.get("tab"),
        "partner_id": report.get("partner_id"),
        "partner_name": partner_name,
        "preset": rng.get("preset"),
        "start": rng.get("start"),
        "end": rng.get("end"),
        "timezone": rng.get("timezone"),
        "previous_start": previous.get("start"),
        "previous_end": previous.get("end"),
        "as_of": report.get("as_of"),
    }
    _section(writer, "Report", ["field", "value"], [[k, _cell(v)] for k, v in about.items()])
    summary: Mapping[str, Mapping[str, Any]] = report.get("summary") or {}
    _section(
        writer,
        "Summary",
        ["figure", "label", "unit", "value", "previous", "change"],
        [_summary_row(key, figure) for key, figure in summary.items()],
    )
    for group, title in (("series", "Series"), ("tables", "Table")):
        for name, rows in (report.get(group) or {}).items():
            flat = [flatten(row) for row in rows]
            header = columns(flat)
            _section(writer, f"{title}: {name}", header, [[_cell(r.get(k)) for k in header] for r in flat])
    # A BOM so that spreadsheet programs read the file as UTF-8 (partner names, "€" in labels).
    return out.getvalue().encode("utf-8-sig")


def _summary_row(key: str, figure: Mapping[str, Any]) -> list[str]:
    value, previous = figure.get("value"), figure.get("previous")
    unit = kind_of(key, [value, previous]).value
    return [key, label(key), unit, _cell(value), _cell(previous), _cell(change(value, previous))]


def _section(writer: Any, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if title != "Report":
        writer.writerow([])  # the blank line between sections
    writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
