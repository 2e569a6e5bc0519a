"""The inventory and financial tabs end to end: a fixed commerce + credits + installations history
published to Kafka (some events twice, one out of order) → the projector → Redis → HTTP, every figure
computed by hand.

Range `month_to_date` at 2026-11-25 (Paris): 2026-11-01..2026-11-25, previous period 2026-10-07..2026-10-31.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import openpyxl
import pytest
from kpi_projector_testkit import REPORT_NOW, Events, at
from test_reports_api import projector

from heyzack_shared.contracts import commerce, credits, topics
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.kafka import new_producer
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from kpi_projector.settings import ProjectorSettings

QUERY = "range=month_to_date"


def _utc(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def _event(
    events: Events, kind: type[Envelope], aggregate_id: str, version: int, data: EventData, moment: datetime
) -> Envelope:
    return kind.new(
        partner_id=events.partner_id,
        aggregate_id=aggregate_id,
        aggregate_version=version,
        data=data,
        occurred_at=moment,
    )


def _line(sku: str, category: str, quantity: int, price: int, cost: int, source: str) -> commerce.OrderLine:
    return commerce.OrderLine(
        sku=sku,
        name=sku.title(),
        category=category,
        quantity=quantity,
        unit_price_cents=price,
        unit_cost_cents=cost,
        source=credits.SaleSource(source),
    )


def history(events: Events) -> list[tuple[str, Envelope]]:
    def stock(sku: str, version: int, on_hand: int) -> Envelope:
        data = commerce.StockLevelChangedData(sku=sku, name=f"{sku} name", category="camera", on_hand=on_hand)
        return _event(events, commerce.StockLevelChanged, sku, version, data, _utc(11, 1 + version))

    def order(
        order_id: str, moment: datetime, due: datetime, total: int, *lines: commerce.OrderLine
    ) -> Envelope:
        data = commerce.OrderPlacedData(
            order_id=order_id,
            customer_id=None,
            installation_id=None,
            lines=list(lines),
            total_cents=total,
            due_at=due,
        )
        return _event(events, commerce.OrderPlaced, order_id, 1, data, moment)

    def paid(order_id: str, version: int, amount: int, moment: datetime) -> Envelope:
        data = commerce.PaymentReceivedData(order_id=order_id, amount_cents=amount)
        return _event(events, commerce.PaymentReceived, order_id, version, data, moment)

    def sale(
        version: int, source: str, amount: int, month_total: int, tier: str, moment: datetime
    ) -> Envelope:
        data = credits.RevenueRecordedData(
            sale_id=f"sale-{version}",
            source=credits.SaleSource(source),
            amount_cents=amount,
            month=moment.date().isoformat()[:7],
            month_total_cents=month_total,
            tier=tier,
        )
        return _event(events, credits.RevenueRecorded, events.partner_id, version, data, moment)

    earned = credits.CreditEarnedData(
        entry_id="entry-5",
        amount_cents=600,
        reason=credits.CreditReason.COMMISSION,
        sale_id="sale-4",
        rate=0.02,
        balance_after_cents=600,
    )
    cam_v1 = stock("CAM-01", 1, 10)
    pay_1 = paid("ord-1", 2, 10_000, _utc(11, 12))
    sale_2 = sale(2, "product_sales", 20_000, 20_000, "bronze", _utc(11, 10))
    commerce_events = [
        cam_v1,
        stock("CAM-01", 2, 3),
        stock("LOCK-01", 1, 8),
        cam_v1,  # redelivered after its newer version: changes nothing
        order(
            "ord-1",
            _utc(11, 10),
            _utc(11, 20),
            25_000,
            _line("CAM-01", "camera", 2, 10_000, 6_000, "product_sales"),
            _line("FEE-01", "service", 1, 5_000, 0, "service_fees"),
        ),
        order(
            "ord-2",
            _utc(10, 15),
            _utc(10, 20),
            20_000,
            _line("LOCK-01", "lock", 1, 20_000, 12_000, "product_sales"),
        ),
        pay_1,
        pay_1,
        paid("ord-2", 2, 5_000, _utc(11, 24)),
    ]
    credits_events = [
        sale(1, "product_sales", 20_000, 20_000, "bronze", _utc(10, 15)),
        sale_2,
        sale(3, "service_fees", 5_000, 25_000, "bronze", _utc(11, 10)),
        sale(4, "partner_revenue", 30_000, 55_000, "silver", _utc(11, 20)),
        _event(events, credits.CreditEarned, events.partner_id, 5, earned, _utc(11, 20)),
        sale_2,
    ]
    installation = at(events.installation("inst-1"), _utc(11, 5))
    return [
        *((topics.COMMERCE, event) for event in commerce_events),
        *((topics.CREDITS, event) for event in credits_events),
        (topics.INSTALLATIONS, installation),
        (topics.INSTALLATIONS, installation),
    ]


@pytest.fixture
async def client(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        for topic, event in history(events):
            await producer.send_and_wait(topic, event.to_json(), key=events.partner_id.encode())
    finally:
        await producer.stop()
    headers = {"Authorization": f"Bearer {token(events.partner_id)}"}
    async with projector(settings, REPORT_NOW) as http:

        async def everything_projected() -> bool:
            inventory = await http.get(f"/v1/reports/inventory?{QUERY}", headers=headers)
            financial = await http.get(f"/v1/reports/financial?{QUERY}", headers=headers)
            return bool(
                inventory.status_code == 200
                and financial.status_code == 200
                and inventory.json()["tables"]["usage_by_sku"]
                and financial.json()["summary"]["commission_cents"]["value"] == 600
                and financial.json()["summary"]["unpaid_cents"]["value"] == 30_000
                and inventory.json()["summary"]["units_sold"]["value"] == 3
            )

        await wait_until(everything_projected, timeout=30, message="the reports never showed the history")
        yield http, headers


def _figures(**pairs: tuple[object, object]) -> dict[str, dict[str, object]]:
    return {name: {"value": value, "previous": previous} for name, (value, previous) in pairs.items()}


async def test_inventory(client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, headers = client
    body = (await http.get(f"/v1/reports/inventory?{QUERY}", headers=headers)).json()
    assert body["range"]["start"] == "2026-11-01" and body["previous_range"]["end"] == "2026-10-31"
    assert body["summary"] == _figures(orders=(1, 1), units_sold=(3, 1), skus_low_stock=(1, None))
    assert body["tables"] == {
        "stock": [
            {"sku": "CAM-01", "name": "CAM-01 name", "category": "camera", "on_hand": 3, "low": True},
            {"sku": "LOCK-01", "name": "LOCK-01 name", "category": "camera", "on_hand": 8, "low": False},
        ],
        "units_by_sku": [
            {"sku": "CAM-01", "name": "CAM-01 name", "units": 2},
            {"sku": "FEE-01", "name": None, "units": 1},
        ],
        "usage_by_device_type": [{"device_type": "camera", "installations": 1}],
        "usage_by_sku": [{"sku": "CAM-01", "name": "CAM-01 name", "installations": 1, "units": 2}],
    }
    daily = {day["date"]: (day["orders"], day["units"]) for day in body["series"]["daily"]}
    assert daily["2026-11-10"] == (1, 3) and sum(orders for orders, _ in daily.values()) == 1


async def test_financial(client: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    http, headers = client
    body = (await http.get(f"/v1/reports/financial?{QUERY}", headers=headers)).json()
    assert body["summary"] == _figures(
        revenue_cents=(55_000, 20_000),
        partner_revenue_cents=(30_000, 0),
        product_sales_cents=(20_000, 20_000),
        service_fees_cents=(5_000, 0),
        margin_rate=(0.52, 0.4),  # (25000 − 12000) / 25000 | (20000 − 12000) / 20000
        unpaid_cents=(30_000, 20_000),  # ord-1 15000 + ord-2 15000 | ord-2 20000 (its payment came later)
        commission_cents=(600, 0),
    )
    tables = body["tables"]
    assert tables["revenue_by_source"] == [
        {"source": "partner_revenue", "revenue_cents": 30_000},
        {"source": "product_sales", "revenue_cents": 20_000},
        {"source": "service_fees", "revenue_cents": 5_000},
    ]
    assert tables["margin_by_category"] == [
        {"category": "camera", "revenue_cents": 20_000, "cost_cents": 12_000, "margin_rate": 0.4},
        {"category": "service", "revenue_cents": 5_000, "cost_cents": 0, "margin_rate": 1.0},
    ]
    assert tables["aging"] == [
        {"bucket": "current", "orders": 0, "unpaid_cents": 0},
        {"bucket": "1-30", "orders": 1, "unpaid_cents": 15_000},  # ord-1: due 11-20, 5 days late
        {"bucket": "31-60", "orders": 1, "unpaid_cents": 15_000},  # ord-2: due 10-20, 36 days late
        {"bucket": "61-90", "orders": 0, "unpaid_cents": 0},
        {"bucket": "over_90", "orders": 0, "unpaid_cents": 0},
    ]
    assert tables["commission_by_month"] == [
        {
            "month": "2026-11",
            "revenue_cents": 55_000,
            "month_total_cents": 55_000,
            "tier": "silver",
            "rate": 0.02,
            "commission_cents": 600,
        }
    ]


@pytest.mark.parametrize("tab", ["inventory", "financial"])
async def test_exports(client: tuple[httpx.AsyncClient, dict[str, str]], tab: str) -> None:
    http, headers = client
    report = (await http.get(f"/v1/reports/{tab}?{QUERY}", headers=headers)).json()
    files = {
        fmt: await http.get(f"/v1/reports/{tab}/export?format={fmt}&{QUERY}", headers=headers)
        for fmt in ("csv", "xlsx", "pdf")
    }
    for response in files.values():
        assert response.status_code == 200, response.text
        assert response.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(files["csv"].content.decode("utf-8-sig"))))
    summary = {row[0]: row for row in rows if row and row[0] in report["summary"]}
    for name, figure in report["summary"].items():
        expected = ["" if v is None else str(v) for v in (figure["value"], figure["previous"])]
        assert summary[name][3:5] == expected
    workbook = openpyxl.load_workbook(io.BytesIO(files["xlsx"].content))
    assert len(workbook.sheetnames) >= 2
