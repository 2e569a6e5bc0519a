"""Report exports: one report snapshot (the `GET /v1/reports/{tab}` JSON) rendered to CSV, Excel or PDF.

Pure functions, no I/O: the endpoint builds the snapshot once and hands the same dict to the JSON response
or to one of `FORMATS`, so an export always shows exactly the figures of the JSON.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import quote

from kpi_projector.exports.csv_export import render_csv
from kpi_projector.exports.figures import Report
from kpi_projector.exports.pdf_export import render_pdf
from kpi_projector.exports.xlsx_export import render_xlsx

Renderer = Callable[..., bytes]


class ExportFormat(NamedTuple):
    media_type: str
    render: Renderer  # (report, partner_name: str | None = None) -> bytes


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("text/csv; charset=utf-8", render_csv),
    "xlsx": ExportFormat("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx),
    "pdf": ExportFormat("application/pdf", render_pdf),
}

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename(report: Report, fmt: str) -> str:
    """`heyzack-installations-report-2026-10-27_2026-11-25.pdf`: tab and range, safe on every OS."""
    rng: dict[str, Any] = dict(report.get("range") or {})
    tab = _safe(str(report.get("tab") or "")) or "report"
    span = "_".join(p for p in (_safe(str(rng.get(k) or "")) for k in ("start", "end")) if p)
    stem = f"heyzack-{tab}-report" + (f"-{span}" if span else "")
    return f"{stem}.{_safe(fmt)}"


def content_disposition(name: str) -> str:
    """`attachment; filename="..."`, plus RFC 6266 `filename*` when the name is not plain ASCII."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name)
    header = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _safe(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.").lower()


__all__ = [
    "FORMATS",
    "ExportFormat",
    "Renderer",
    "content_disposition",
    "filename",
    "render_csv",
    "render_pdf",
    "render_xlsx",
]
