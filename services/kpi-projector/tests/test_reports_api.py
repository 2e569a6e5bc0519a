"""GET /v1/reports/{tab} end to end: a fixed history published to Kafka → the projector → Redis → HTTP, with
every figure computed by hand (see `kpi_projector_testkit.report_history`)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import httpx
import openpyxl
import pypdf
import pytest
from kpi_projector_testkit import REPORT_NOW, Events, report_history

from heyzack_shared.contracts import topics
from heyzack_shared.kafka import new_producer
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from kpi_projector.app import create_app
from kpi_projector.reports import REPORT_TABS, report_tabs
from kpi_projector.settings import ProjectorSettings


@asynccontextmanager
async def projector(settings: ProjectorSettings, now: datetime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    app.state.clock = lambda: now
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kpi-projector") as client:
            yield client


def figures(**pairs: tuple[Any, Any]) -> dict[str, dict[str, Any]]:
    return {name: {"value": value, "previous": previous} for name, (value, previous) in pairs.items()}


@pytest.fixture
async def client(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    history = report_history(events)
    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        for event in [*history, *history[:9]]:  # and some published twice: Kafka's at-least-once
            last = await producer.send_and_wait(
                topics.INSTALLATIONS, event.to_json(), key=events.partner_id.encode()
            )
    finally:
        await producer.stop()
    headers = {"Authorization": f"Bearer {token(events.partner_id)}"}
    operator = {"Authorization": f"Bearer {token(events.partner_id, 'ops')}"}
    async with projector(settings, REPORT_NOW) as http:

        async def everything_projected() -> bool:
            """The projector's position on the partition is past the last record published."""
            state = (await http.get("/v1/ops/projection", headers=operator)).json()
            return any(
                (p["topic"], p["partition"]) == (last.topic, last.partition) and p["position"] > last.offset
                for p in state["partitions"]
            )

        await wait_until(everything_projected, timeout=30, message="the report never showed the history")
        yield http, headers


async def test_installations_today(client: tuple[httpx.AsyncClient, dict[str, str]], events: Events) -> None:
    http, headers = client
    response = await http.get("/v1/reports/installations?range=today", headers=headers)
    assert response.status_code == 200
    body = response.json()
    # Whether the projector has caught up with the other tests' events on the shared topics yet: not ours.
    assert isinstance(body.pop("rebuilding"), bool)
    assert body == {
        "tab": "installations",
        "partner_id": events.partner_id,
        "as_of": "2026-11-25T10:00:00Z",
        "range": {"preset": "today", "start": "2026-11-25", "end": "2026-11-25", "timezone": "Europe/Paris"},
        "previous_range": {"start": "2026-11-24", "end": "2026-11-24"},
        "summary": figures(
            created=(2, 1),  # D, E | F
            approved=(1, 1),  # D | F
            completion_rate=(0.5, 1.0),
            avg_job_duration_minutes=(45.0, 120.0),  # D | F
            pending_backlog=(1, 0),  # E
        ),
        "series": {"daily": [{"date": "2026-11-25", "created": 2, "approved": 2}]},  # approved: D, F
        "tables": {
            "by_device_type": [
                {"device_type": "alarm", "created": 1, "approved": 1},
                {"device_type": "camera", "created": 1, "approved": 0},
            ]
        },
    }


async def test_installations_over_a_month_boundary(client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, headers = client
    response = await http.get(
        "/v1/reports/installations",
        params={"range": "custom", "start": "2026-10-30", "end": "2026-11-02"},
        headers=headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["range"] == {
        "preset": "custom",
        "start": "2026-10-30",
        "end": "2026-11-02",
        "timezone": "Europe/Paris",
    }
    assert body["previous_range"] == {"start": "2026-10-26", "end": "2026-10-29"}
    assert body["summary"] == figures(
        created=(3, 0),  # A, B, C | -
        approved=(1, 0),  # A
        completion_rate=(0.3333, None),
        avg_job_duration_minutes=(75.0, 30.0),  # A 90, B 60 | G 30
        pending_backlog=(1, 0),  # B (C is cancelled)
    )
    assert body["series"]["daily"] == [
        {"date": "2026-10-30", "created": 1, "approved": 0},
        {"date": "2026-10-31", "created": 1, "approved": 0},
        {"date": "2026-11-01", "created": 1, "approved": 0},
        {"date": "2026-11-02", "created": 0, "approved": 1},
    ]
    assert body["tables"]["by_device_type"] == [
        {"device_type": "camera", "created": 2, "approved": 1},
        {"device_type": "smart_lock", "created": 1, "approved": 0},
    ]


async def test_installations_last_30_days_and_its_previous_period(
    client: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/installations", headers=headers)).json()  # the default range
    assert body["range"]["preset"] == "last_30_days"
    assert (body["range"]["start"], body["range"]["end"]) == ("2026-10-27", "2026-11-25")
    assert body["previous_range"] == {"start": "2026-09-27", "end": "2026-10-26"}
    assert body["summary"] == figures(
        created=(6, 1),  # A-F | G
        approved=(3, 1),  # A, D, F | G
        completion_rate=(0.5, 1.0),
        avg_job_duration_minutes=(69.0, None),  # (30 + 90 + 60 + 120 + 45) / 5 | none completed
        pending_backlog=(2, 0),  # B, E
    )
    daily = body["series"]["daily"]
    assert len(daily) == 30 and daily[0]["date"] == "2026-10-27" and daily[-1]["date"] == "2026-11-25"
    assert sum(day["created"] for day in daily) == 6
    assert {day["date"]: day["approved"] for day in daily if day["approved"]} == {
        "2026-10-28": 1,
        "2026-11-02": 1,
        "2026-11-25": 2,
    }
    assert body["tables"]["by_device_type"] == [
        {"device_type": "camera", "created": 3, "approved": 1},
        {"device_type": "alarm", "created": 2, "approved": 2},
        {"device_type": "smart_lock", "created": 1, "approved": 0},
    ]
    # The previous period is a range of its own too: the same figures as its "previous" side.
    previous = (
        await http.get(
            "/v1/reports/installations",
            params={"range": "custom", "start": "2026-09-27", "end": "2026-10-26"},
            headers=headers,
        )
    ).json()
    assert {name: figure["value"] for name, figure in previous["summary"].items()} == {
        name: figure["previous"] for name, figure in body["summary"].items()
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("range=last_week", "unknown range"),
        ("range=custom&start=2026-11-02", "needs both start and end"),
        ("range=custom&start=2026-11-02&end=2026-11-01", "before start"),
        ("range=custom&start=2025-01-01&end=2026-02-05", "at most 400 days"),
        ("range=custom&start=2026-13-01&end=2026-12-05", "not a date"),
    ],
)
async def test_bad_ranges_are_422(
    settings: ProjectorSettings, token: Callable[..., str], events: Events, query: str, message: str
) -> None:
    async with projector(settings, REPORT_NOW) as http:
        response = await http.get(
            f"/v1/reports/installations?{query}",
            headers={"Authorization": f"Bearer {token(events.partner_id)}"},
        )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid" and message in error["message"]


async def test_every_registered_tab_is_listed_served_and_exported_and_no_other(
    settings: ProjectorSettings, token: Callable[..., str], events: Events
) -> None:
    headers = {"Authorization": f"Bearer {token(events.partner_id)}"}
    async with projector(settings, REPORT_NOW) as http:
        listed = await http.get("/v1/reports", headers=headers)
        tabs = {tab: await http.get(f"/v1/reports/{tab}", headers=headers) for tab in REPORT_TABS}
        exports = {
            tab: (await http.get(f"/v1/reports/{tab}/export?format=csv", headers=headers)).status_code
            for tab in REPORT_TABS
        }
        unknown = await http.get("/v1/reports/sales", headers=headers)
        unknown_export = await http.get("/v1/reports/sales/export?format=csv", headers=headers)
        anonymous = [
            (await http.get(path)).status_code
            for path in ("/v1/reports", "/v1/reports/installations", "/v1/reports/sales/export?format=csv")
        ]
    assert listed.status_code == 200 and listed.json() == report_tabs().model_dump(mode="json")
    assert [tab["name"] for tab in listed.json()["tabs"]] == list(REPORT_TABS)
    assert {tab: (response.status_code, response.json()["tab"]) for tab, response in tabs.items()} == {
        tab: (200, tab) for tab in REPORT_TABS
    }
    assert exports == dict.fromkeys(REPORT_TABS, 200)
    assert unknown.status_code == unknown_export.status_code == 404
    assert "no report tab 'sales'" in unknown.json()["error"]["message"]
    assert anonymous == [401, 401, 401]


async def test_a_partner_sees_only_its_own_figures(
    client: tuple[httpx.AsyncClient, dict[str, str]], token: Callable[..., str]
) -> None:
    http, _ = client
    other = {"Authorization": f"Bearer {token(f'partner-other-{uuid.uuid4().hex[:12]}')}"}
    body = (await http.get("/v1/reports/installations?range=last_90_days", headers=other)).json()
    assert body["summary"]["created"] == {"value": 0, "previous": 0}
    assert body["tables"]["by_device_type"] == []


async def test_exports_carry_the_figures_of_the_json_report(
    client: tuple[httpx.AsyncClient, dict[str, str]],
) -> None:
    http, headers = client
    query = "range=custom&start=2026-10-30&end=2026-11-02"
    report = (await http.get(f"/v1/reports/installations?{query}", headers=headers)).json()
    files = {
        fmt: await http.get(f"/v1/reports/installations/export?format={fmt}&{query}", headers=headers)
        for fmt in ("csv", "xlsx", "pdf")
    }
    for fmt, response in files.items():
        assert response.status_code == 200, response.text
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"2026-10-30_2026-11-02.{fmt}" in disposition

    rows = list(csv.reader(io.StringIO(files["csv"].content.decode("utf-8-sig"))))
    summary = {row[0]: row for row in rows if row and row[0] in report["summary"]}
    for name, figure in report["summary"].items():
        assert summary[name][3:5] == [_csv_text(figure["value"]), _csv_text(figure["previous"])]

    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx"].content))
    daily = list(workbook[workbook.sheetnames[1]].iter_rows(min_row=2, values_only=True))
    assert [(row[0].date().isoformat(), *row[1:]) for row in daily] == [
        (day["date"], day["created"], day["approved"]) for day in report["series"]["daily"]
    ]

    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(files["pdf"].content)).pages)
    assert "2026-10-30" in text and "2026-11-02" in text
    assert str(report["summary"]["created"]["value"]) in text

    bad = await http.get(f"/v1/reports/installations/export?format=docx&{query}", headers=headers)
    assert bad.status_code == 422


def _csv_text(value: Any) -> str:
    return "" if value is None else str(value)
