"""Exports of one report snapshot, parsed back: csv, openpyxl and pypdf must find the JSON's figures."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import openpyxl
import pypdf
import pytest

from kpi_projector.exports import FORMATS, content_disposition, filename
from kpi_projector.exports.figures import display, kind_of, label

SKILLS = ("smart_lock", "camera", "thermostat", "network", "alarm", "lighting")
PARTNER_NAME = "Acme Smart Homes"


def _days(start: dt.date, n: int) -> list[str]:
    return [(start + dt.timedelta(days=i)).isoformat() for i in range(n)]


def _base(tab: str) -> dict[str, Any]:
    return {
        "tab": tab,
        "partner_id": "partner-acme",
        "as_of": "2026-11-25T09:30:02Z",
        "range": {
            "preset": "last_30_days",
            "start": "2026-10-27",
            "end": "2026-11-25",
            "timezone": "Europe/Paris",
        },
        "previous_range": {"start": "2026-09-27", "end": "2026-10-26"},
    }


def installations_report() -> dict[str, Any]:
    days = _days(dt.date(2026, 10, 27), 30)
    return _base("installations") | {
        "summary": {
            "created": {"value": 40, "previous": 31},
            "approved": {"value": 29, "previous": 22},
            "completion_rate": {"value": 0.725, "previous": 0.7097},
            "avg_job_duration_minutes": {"value": 134.5, "previous": None},
            "pending_backlog": {"value": 7, "previous": 5},
        },
        "series": {
            "daily": [
                {"date": d, "created": (i * 7) % 4, "approved": (i * 5) % 3} for i, d in enumerate(days)
            ]
        },
        "tables": {
            "by_device_type": [
                {"device_type": "camera", "created": 9, "approved": 7},
                {"device_type": "smart_lock", "created": 12, "approved": 10},
                {"device_type": "thermostat", "created": 8, "approved": 5},
                {"device_type": "alarm", "created": 11, "approved": 7},
            ]
        },
    }


def handymen_report() -> dict[str, Any]:
    people = [
        ("hm-1", "Léa Martin", 12, 4.8, 35.0, ["KNX", "Alarm pro"], 1_845_000, (5, 4, 3, 4, 5, 2)),
        ("hm-2", "Karim Benali", 9, 4.25, 52.5, ["Network+"], 1_210_050, (3, 5, 4, 5, 2, 3)),
        ("hm-3", "Sofia Rossi", 0, None, None, [], 0, (1, 2, 5, 1, 0, 4)),
    ]
    rows = [
        {
            "handyman_id": hid,
            "name": name,
            "approved": approved,
            "average_rating": rating,
            "avg_response_minutes": response,
            "certifications": certs,
            "revenue_cents": revenue,
            "skills": dict(zip(SKILLS, levels, strict=True)),
        }
        for hid, name, approved, rating, response, certs, revenue, levels in people
    ]
    return _base("handymen") | {
        "summary": {
            "handymen": {"value": 3, "previous": 3},
            "approved": {"value": 21, "previous": 18},
            "average_rating": {"value": 4.6, "previous": 4.4},
            "avg_response_minutes": {"value": 42.9, "previous": 47.0},
            "revenue_cents": {"value": 3_055_050, "previous": 2_410_000},
        },
        "series": {},
        "tables": {"handymen": rows},
    }


def satisfaction_report() -> dict[str, Any]:
    weeks = [(dt.date(2026, 10, 26) + dt.timedelta(weeks=i)).isoformat() for i in range(5)]
    return _base("satisfaction") | {
        "summary": {
            "nps": {"value": 42.9, "previous": 35.0},
            "average_rating": {"value": 4.3, "previous": 4.1},
            "ratings": {"value": 27, "previous": 19},
            "survey_response_rate": {"value": 0.6, "previous": 0.55},
            "issue_resolution_rate": {"value": None, "previous": 0.8},
        },
        "series": {
            "nps_weekly": [
                {"date": w, "nps": n, "answers": a}
                for w, n, a in zip(weeks, (30, 45, 50, 40, 50), (5, 6, 4, 5, 4), strict=True)
            ],
            "sentiment_weekly": [
                {"date": w, "positive": p, "neutral": n, "negative": g}
                for w, p, n, g in zip(weeks, (4, 6, 5, 3, 6), (1, 0, 2, 1, 0), (0, 1, 0, 1, 0), strict=True)
            ],
        },
        "tables": {
            "rating_by_device_type": [
                {"device_type": "camera", "average_rating": 4.5, "ratings": 8},
                {"device_type": "alarm", "average_rating": 3.9, "ratings": 7},
            ]
        },
    }


REPORTS = {
    "installations": installations_report,
    "handymen": handymen_report,
    "satisfaction": satisfaction_report,
}


@pytest.fixture(params=list(REPORTS))
def report(request: pytest.FixtureRequest) -> dict[str, Any]:
    return REPORTS[request.param]()


def _csv_sections(data: bytes) -> dict[str, list[dict[str, str]]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM spreadsheet programs need for UTF-8
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sections: dict[str, list[dict[str, str]]] = {}
    blocks: list[list[list[str]]] = [[]]
    for line in lines:
        if line:
            blocks[-1].append(line)
        else:
            blocks.append([])
    for title, header, *rows in blocks:
        sections[title[0]] = [dict(zip(header, row, strict=True)) for row in rows]
    return sections


def _flat_csv_row(row: dict[str, Any]) -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": str(v) for k, v in value.items()})
        elif isinstance(value, list):
            flat[key] = "; ".join(value)
        else:
            flat[key] = "" if value is None else str(value)
    return flat


def test_csv_has_every_figure_and_every_row(report: dict[str, Any]) -> None:
    sections = _csv_sections(FORMATS["csv"].render(report, PARTNER_NAME))

    about = {row["field"]: row["value"] for row in sections["Report"]}
    assert about["partner_name"] == PARTNER_NAME
    assert (about["start"], about["end"], about["timezone"]) == ("2026-10-27", "2026-11-25", "Europe/Paris")
    summary = {row["figure"]: row for row in sections["Summary"]}
    assert list(summary) == list(report["summary"])
    for key, figure in report["summary"].items():
        for column in ("value", "previous"):
            expected = figure[column]
            assert summary[key][column] == ("" if expected is None else str(expected))
    assert summary.get("revenue_cents", {"unit": "cents"})["unit"] == "cents"
    for group, title in (("series", "Series"), ("tables", "Table")):
        for name, rows in report[group].items():
            assert sections[f"{title}: {name}"] == [_flat_csv_row(r) for r in rows]


def test_csv_change_is_value_minus_previous_in_the_figures_unit() -> None:
    sections = _csv_sections(FORMATS["csv"].render(installations_report()))
    summary = {row["figure"]: row for row in sections["Summary"]}
    assert summary["created"]["change"] == "9"
    assert float(summary["completion_rate"]["change"]) == pytest.approx(0.725 - 0.7097)
    assert summary["avg_job_duration_minutes"]["change"] == ""


def test_xlsx_is_a_typed_workbook(report: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(io.BytesIO(FORMATS["xlsx"].render(report, PARTNER_NAME)))

    expected = [
        "Summary",
        *(label(n) for n in report["series"]),
        *(label(n) for n in report["tables"]),
        "Report",
    ]
    assert book.sheetnames == expected
    for sheet in book.worksheets:
        assert len(sheet.title) <= 31
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
    summary = book["Summary"]
    for row, (key, figure) in zip(summary.iter_rows(min_row=2), report["summary"].items(), strict=True):
        name, value, previous, _change = row
        assert name.value == label(key)
        kind = kind_of(key, [figure["value"], figure["previous"]])
        for cell, raw in ((value, figure["value"]), (previous, figure["previous"])):
            if raw is None:
                assert cell.value is None
                continue
            assert isinstance(cell.value, int | float)
            if key.endswith("_cents"):
                assert cell.value == pytest.approx(raw / 100)
                assert cell.number_format == "€#,##0.00"
            else:
                assert cell.value == pytest.approx(raw)
            if key.endswith("_rate"):
                assert "%" in cell.number_format
        assert kind.numeric
    about = {r[0].value: r[1].value for r in book["Report"].iter_rows(min_row=2)}
    assert about["Partner"] == PARTNER_NAME
    assert about["Start"] == dt.datetime(2026, 10, 27)
    assert about["As of (UTC)"] == dt.datetime(2026, 11, 25, 9, 30, 2)


def test_xlsx_dates_are_date_cells_and_money_is_euros() -> None:
    book = openpyxl.load_workbook(io.BytesIO(FORMATS["xlsx"].render(installations_report())))
    daily = book[label("daily")]
    first = [c.value for c in daily[2]]
    assert first[0] == dt.datetime(2026, 10, 27)
    assert daily["A2"].is_date
    assert all(isinstance(v, int) for v in first[1:])
    assert daily.max_row == 31

    handymen = openpyxl.load_workbook(io.BytesIO(FORMATS["xlsx"].render(handymen_report())))[
        label("handymen")
    ]
    header = [c.value for c in handymen[1]]
    lea = dict(zip(header, (c for c in handymen[2]), strict=True))
    assert lea["Revenue"].value == pytest.approx(18_450.00)
    assert lea["Revenue"].number_format == "€#,##0.00"
    assert lea["Skills: Smart lock"].value == 5
    assert lea["Certifications"].value == "KNX; Alarm pro"


def test_xlsx_sheet_names_are_valid_and_unique() -> None:
    report = installations_report()
    report["tables"] = {
        "installations_per_device_type_and_sku_in_range": [{"sku": "CAM-1", "created": 1}],
        "installations_per_device_type_and_sku_in_range_v2": [{"sku": "CAM-2", "created": 2}],
        "daily": [{"sku": "X", "created": 3}],
    }
    names = openpyxl.load_workbook(io.BytesIO(FORMATS["xlsx"].render(report))).sheetnames
    assert all(len(n) <= 31 for n in names)
    assert len({n.lower() for n in names}) == len(names)


def _pdf(report: dict[str, Any], partner_name: str | None = PARTNER_NAME) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(FORMATS["pdf"].render(report, partner_name)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, " ".join(text.split())


def _path_operators(reader: pypdf.PdfReader) -> int:
    count = 0
    for page in reader.pages:
        content = page.get_contents()
        assert content is not None
        ops = pypdf.generic.ContentStream(content, reader).operations
        count += sum(1 for _operands, op in ops if op in (b"l", b"m", b"re", b"c"))
    return count


def test_pdf_shows_title_partner_range_and_every_figure(report: dict[str, Any]) -> None:
    reader, text = _pdf(report)

    assert len(reader.pages) >= 1
    assert f"HeyZack {report['tab']} report" in text
    assert PARTNER_NAME in text and "partner-acme" in text
    assert "2026-10-27 to 2026-11-25" in text and "Europe/Paris" in text
    assert "2026-11-25 09:30 UTC" in text
    for key, figure in report["summary"].items():
        kind = kind_of(key, [figure["value"], figure["previous"]])
        assert label(key) in text
        assert display(figure["value"], kind) in text
        assert display(figure["previous"], kind) in text


def test_pdf_draws_the_tabs_charts() -> None:
    cases = {
        "installations": (installations_report(), ["Daily trend", "By device type"]),
        "handymen": (handymen_report(), ["skill levels", "Léa Martin"]),
        "satisfaction": (satisfaction_report(), ["NPS trend", "Weekly sentiment", "Positive", "Negative"]),
    }
    for report, titles in cases.values():
        reader, text = _pdf(report)
        for title in titles:
            assert title in text
        assert "No data in this range" not in text
        assert _path_operators(reader) > 100


def test_pdf_formats_money_rates_and_nulls() -> None:
    _reader, text = _pdf(handymen_report())
    assert "€30,551" in text and "€18,450" in text  # whole euros, half up, thousands separator
    assert "4.3" in text  # 4.25 stars, half up
    _reader, text = _pdf(satisfaction_report())
    assert "60.0%" in text and "+5.0 pp" in text and "—" in text


def test_pdf_of_an_empty_range_says_so() -> None:
    report = installations_report()
    report["series"] = {"daily": []}
    report["tables"] = {"by_device_type": []}
    report["summary"] = {k: {"value": None, "previous": None} for k in report["summary"]}
    reader, text = _pdf(report, partner_name=None)
    assert len(reader.pages) >= 1
    assert "No data in this range" in text
    assert "partner-acme" in text


def test_filename_names_tab_and_range() -> None:
    report = installations_report()
    assert filename(report, "pdf") == "heyzack-installations-report-2026-10-27_2026-11-25.pdf"
    assert filename(handymen_report(), "xlsx") == "heyzack-handymen-report-2026-10-27_2026-11-25.xlsx"
    hostile = report | {"tab": '../Evil "tab"', "range": {"start": "2026-01-01", "end": "2026-01-31"}}
    assert filename(hostile, "csv") == "heyzack-evil-tab-report-2026-01-01_2026-01-31.csv"


def test_content_disposition_is_an_attachment_with_a_quoted_filename() -> None:
    name = "heyzack-installations-report-2026-10-27_2026-11-25.pdf"
    assert content_disposition(name) == f'attachment; filename="{name}"'
    fancy = content_disposition('rapport "été".csv')
    assert fancy.startswith('attachment; filename="rapport __t__.csv"; ')
    assert "filename*=UTF-8''rapport%20%22%C3%A9t%C3%A9%22.csv" in fancy


def test_formats_declare_their_media_types() -> None:
    assert FORMATS["csv"].media_type.startswith("text/csv")
    assert FORMATS["xlsx"].media_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert FORMATS["pdf"].media_type == "application/pdf"
    _media_type, render = FORMATS["pdf"]
    assert render(installations_report()).startswith(b"%PDF")


def test_pdf_draws_a_trend_with_weeks_without_answers() -> None:
    """Weeks without survey answers have no NPS (null): a gap in the line, and no line at all when no week
    has two points to join — while the answers per week (zeros) are still drawn."""
    for nps in ((None, None, None, None, None), (None, 40, None, None, None), (None, 40, 50, None, 10)):
        report = satisfaction_report()
        for week, value in zip(report["series"]["nps_weekly"], nps, strict=True):
            week["nps"] = value
            week["answers"] = 0 if value is None else 3
        reader, text = _pdf(report)
        assert "NPS trend" in text
        assert _path_operators(reader) > 50
