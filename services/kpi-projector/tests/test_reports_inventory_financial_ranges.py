"""The inventory and financial tabs over a range across the October/November boundary, with its previous
period, end to end (Kafka → the projector → Redis → HTTP), every figure computed by hand.

Range 2026-10-29..11-04 (custom), previous period 10-22..10-28, whose own previous period is 10-15..10-21.
Paris is UTC+2 until 10-25 01:00 UTC and UTC+1 after; moments are UTC, "=" gives a Paris day other than the
UTC date (the events at the edges of the periods are all such moments).

| order | placed              | due   | lines: qty × price (unit cost)                | paid (Paris day)     |
| o5    | 08-20               | 09-01 | LOCK-02 lock 1 × 300 € (200 €)                | 100 € 10-05          |
| o1    | 10-21 22:30 = 10-22 | 10-25 | CAM-02 camera 1 × 150 € (90 €)                | 150 € 11-02          |
| o2    | 10-28 23:30 = 10-29 | 11-03 | HUB-01 network 2 × 80 € (50 €),               | 50 € 10-29, 50 € on  |
|       |                     |       | FEE-02 service (service_fees) 1 × 40 € (10 €) | 11-04 23:30 = 11-05  |
| o3    | 11-01               | 11-30 | CAM-02 camera 3 × 120 € (70 €)                | -                    |
| o4    | 11-04 23:30 = 11-05 | 11-20 | HUB-01 network 1 × 80 € (50 €)                | -                    |
Every line is a product sale but FEE-02's; an order's total is the sum of its lines.

Stock now: CAM-02 "Camera 2" 12 (v2 of 11-03, published before v1's 2), HUB-01 "Hub" 5 (low: ≤ 5).
Installations created (products): inst-c camera 10-24 (CAM-02 × 2), inst-a camera 10-30 (CAM-02 × 1),
inst-b network 10-28 23:30 = 10-29 (HUB-01 × 2, CAM-02 × 1), inst-d camera 11-04 23:30 = 11-05 (CAM-02 × 1).

Credits service (one version sequence; month = business month of the sale):
| v  | event                                       | moment              | month total (tier)        |
| 1  | sale-1 product_sales 300 €                  | 08-20               | 2026-08: 300 € (bronze)   |
| 2  | sale-2 product_sales 150 €                  | 10-21 22:30 = 10-22 | 2026-10: 150 € (bronze)   |
| 3  | credit adjustment 50 € (not a commission)   | 10-27               |                           |
| 4  | sale-4 product_sales 160 €                  | 10-28 23:30 = 10-29 | 2026-10: 310 € (bronze)   |
| 5  | sale-5 service_fees 40 €                    | 10-28 23:30 = 10-29 | 2026-10: 350 € (bronze)   |
| 6  | sale-6 partner_revenue 6,000 €              | 10-31 23:30 = 11-01 | 2026-11: 6,000 € (silver) |
| 7  | commission 120 € (2 % of sale-6)            | 10-31 23:30 = 11-01 |                           |
| 8  | sale-8 product_sales 360 € (published last) | 11-01               | 2026-11: 6,360 € (silver) |
| 9  | commission 7.20 € (2 % of sale-8)           | 11-01               |                           |
| 10 | sale-10 product_sales 80 €                  | 11-04 23:30 = 11-05 | 2026-11: 6,440 € (silver) |
| 11 | commission 1.60 € (2 % of sale-10)          | 11-04 23:30 = 11-05 |                           |
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import httpx
import pytest
from kpi_projector_testkit import REPORT_NOW, Events
from test_reports_api import figures, projector
from test_reports_inventory_financial import _event, _line

from heyzack_shared.contracts import commerce, credits, topics
from heyzack_shared.contracts import installations as inst
from heyzack_shared.envelope import Envelope
from heyzack_shared.kafka import new_producer
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from kpi_projector.settings import ProjectorSettings

Client = tuple[httpx.AsyncClient, dict[str, str]]
RANGE = {"range": "custom", "start": "2026-10-29", "end": "2026-11-04"}
PREVIOUS = {"range": "custom", "start": "2026-10-22", "end": "2026-10-28"}
EVERYTHING = {"range": "custom", "start": "2026-08-01", "end": "2026-11-25"}


def _utc(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _commerce(events: Events) -> list[Envelope]:
    def order(order_id: str, moment: datetime, due: datetime, *lines: commerce.OrderLine) -> Envelope:
        data = commerce.OrderPlacedData(
            order_id=order_id,
            customer_id=None,
            installation_id=None,
            lines=list(lines),
            total_cents=sum(line.quantity * line.unit_price_cents for line in lines),
            due_at=due,
        )
        return _event(events, commerce.OrderPlaced, order_id, 1, data, moment)

    def paid(order_id: str, version: int, amount: int, moment: datetime) -> Envelope:
        data = commerce.PaymentReceivedData(order_id=order_id, amount_cents=amount)
        return _event(events, commerce.PaymentReceived, order_id, version, data, moment)

    def stock(sku: str, name: str, category: str, version: int, on_hand: int, moment: datetime) -> Envelope:
        data = commerce.StockLevelChangedData(sku=sku, name=name, category=category, on_hand=on_hand)
        return _event(events, commerce.StockLevelChanged, sku, version, data, moment)

    o2 = order(
        "o2",
        _utc(10, 28, 23, 30),
        _utc(11, 3),
        _line("HUB-01", "network", 2, 8_000, 5_000, "product_sales"),
        _line("FEE-02", "service", 1, 4_000, 1_000, "service_fees"),
    )
    paid_o1 = paid("o1", 2, 15_000, _utc(11, 2, 10))
    return [
        order("o5", _utc(8, 20), _utc(9, 1), _line("LOCK-02", "lock", 1, 30_000, 20_000, "product_sales")),
        paid("o5", 2, 10_000, _utc(10, 5)),
        order(
            "o1",
            _utc(10, 21, 22, 30),
            _utc(10, 25),
            _line("CAM-02", "camera", 1, 15_000, 9_000, "product_sales"),
        ),
        paid_o1,
        o2,
        paid("o2", 2, 5_000, _utc(10, 29, 9)),
        o2,  # redelivered
        paid("o2", 3, 5_000, _utc(11, 4, 23, 30)),
        order(
            "o3", _utc(11, 1, 10), _utc(11, 30), _line("CAM-02", "camera", 3, 12_000, 7_000, "product_sales")
        ),
        paid_o1,  # redelivered
        order(
            "o4",
            _utc(11, 4, 23, 30),
            _utc(11, 20),
            _line("HUB-01", "network", 1, 8_000, 5_000, "product_sales"),
        ),
        stock("CAM-02", "Camera 2", "camera", 2, 12, _utc(11, 3)),
        stock("CAM-02", "Camera 2", "camera", 1, 2, _utc(10, 20)),  # older, arriving after the newer
        stock("HUB-01", "Hub", "network", 1, 5, _utc(10, 30)),
    ]


def _installations(events: Events) -> list[Envelope]:
    def created(installation_id: str, device: str, moment: datetime, *products: tuple[str, int]) -> Envelope:
        data = inst.InstallationCreatedData(
            installation_id=installation_id,
            customer_id="cust-1",
            device_type=inst.DeviceType(device),
            products=[inst.ProductLine(sku=sku, quantity=quantity) for sku, quantity in products],
            price_cents=10_000,
            scheduled_for=moment,
        )
        return _event(events, inst.InstallationCreated, installation_id, 1, data, moment)

    inst_a = created("inst-a", "camera", _utc(10, 30), ("CAM-02", 1))
    return [
        created("inst-c", "camera", _utc(10, 24), ("CAM-02", 2)),
        inst_a,
        created("inst-d", "camera", _utc(11, 4, 23, 30), ("CAM-02", 1)),
        inst_a,  # redelivered
        created("inst-b", "network", _utc(10, 28, 23, 30), ("HUB-01", 2), ("CAM-02", 1)),
    ]


def _credits(events: Events) -> list[Envelope]:
    def sale(
        version: int, source: str, amount: int, month: str, total: int, tier: str, moment: datetime
    ) -> Envelope:
        data = credits.RevenueRecordedData(
            sale_id=f"sale-{version}",
            source=credits.SaleSource(source),
            amount_cents=amount,
            month=month,
            month_total_cents=total,
            tier=tier,
        )
        return _event(events, credits.RevenueRecorded, events.partner_id, version, data, moment)

    def earned(
        version: int, amount: int, balance: int, moment: datetime, sale_version: int | None
    ) -> Envelope:
        data = credits.CreditEarnedData(
            entry_id=f"entry-{version}",
            amount_cents=amount,
            reason=credits.CreditReason.COMMISSION if sale_version else credits.CreditReason.ADJUSTMENT,
            sale_id=f"sale-{sale_version}" if sale_version else None,
            rate=0.02 if sale_version else 0.0,
            balance_after_cents=balance,
        )
        return _event(events, credits.CreditEarned, events.partner_id, version, data, moment)

    sale_6 = sale(6, "partner_revenue", 600_000, "2026-11", 600_000, "silver", _utc(10, 31, 23, 30))
    return [
        sale(1, "product_sales", 30_000, "2026-08", 30_000, "bronze", _utc(8, 20)),
        sale(2, "product_sales", 15_000, "2026-10", 15_000, "bronze", _utc(10, 21, 22, 30)),
        earned(3, 5_000, 5_000, _utc(10, 27, 10), None),
        sale(4, "product_sales", 16_000, "2026-10", 31_000, "bronze", _utc(10, 28, 23, 30)),
        sale(5, "service_fees", 4_000, "2026-10", 35_000, "bronze", _utc(10, 28, 23, 30)),
        sale_6,
        earned(7, 12_000, 17_000, _utc(10, 31, 23, 30), 6),
        earned(9, 720, 17_720, _utc(11, 1, 10), 8),
        sale(10, "product_sales", 8_000, "2026-11", 644_000, "silver", _utc(11, 4, 23, 30)),
        earned(11, 160, 17_880, _utc(11, 4, 23, 30), 10),
        sale_6,  # redelivered
        sale(8, "product_sales", 36_000, "2026-11", 636_000, "silver", _utc(11, 1, 10)),  # late, by version
    ]


@pytest.fixture
async def client(
    infrastructure: Endpoints, settings: ProjectorSettings, events: Events, token: Callable[..., str]
) -> AsyncIterator[Client]:
    published = [
        (topics.COMMERCE, _commerce(events)),
        (topics.INSTALLATIONS, _installations(events)),
        (topics.CREDITS, _credits(events)),
    ]
    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        for topic, batch in published:
            for event in batch:
                await producer.send_and_wait(topic, event.to_json(), key=events.partner_id.encode())
    finally:
        await producer.stop()
    headers = {"Authorization": f"Bearer {token(events.partner_id)}"}
    async with projector(settings, REPORT_NOW) as http:
        # The last event of each topic shows here (HUB-01's stock, inst-b, sale-8): one partner's events share
        # a partition per topic, so every event before it has been projected too. Over a range holding the
        # whole history, so that these figures do not depend on the business day of any event.
        async def everything_projected() -> bool:
            inventory = await http.get("/v1/reports/inventory", params=EVERYTHING, headers=headers)
            financial = await http.get("/v1/reports/financial", params=EVERYTHING, headers=headers)
            if inventory.status_code != 200 or financial.status_code != 200:
                return False
            tables = inventory.json()["tables"]
            return bool(
                any(row["sku"] == "HUB-01" for row in tables["stock"])
                and [row["installations"] for row in tables["usage_by_sku"]] == [4, 1]  # CAM-02: inst-a..d
                # sale-1 30000 + sale-2 15000 + sale-4 16000 + sale-8 36000 + sale-10 8000
                and financial.json()["summary"]["product_sales_cents"]["value"] == 105_000
            )

        await wait_until(everything_projected, timeout=30, message="the reports never showed the history")
        yield http, headers


def _values(body: dict[str, dict[str, dict[str, object]]], side: str) -> dict[str, object]:
    return {name: figure[side] for name, figure in body["summary"].items()}


async def test_inventory_over_a_month_boundary_and_its_previous_period(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/inventory", params=RANGE, headers=headers)).json()
    assert (body["range"]["start"], body["range"]["end"]) == ("2026-10-29", "2026-11-04")
    assert body["previous_range"] == {"start": "2026-10-22", "end": "2026-10-28"}
    assert body["summary"] == figures(
        orders=(2, 1),  # o2 (10-29 in Paris), o3 | o1 (10-22 in Paris); o4 is on 11-05
        units_sold=(6, 1),  # o2 2 + 1, o3 3 | o1 1
        skus_low_stock=(1, None),  # HUB-01 at 5; stock is current only
    )
    assert body["tables"] == {
        "stock": [
            {"sku": "HUB-01", "name": "Hub", "category": "network", "on_hand": 5, "low": True},
            {"sku": "CAM-02", "name": "Camera 2", "category": "camera", "on_hand": 12, "low": False},
        ],
        "units_by_sku": [
            {"sku": "CAM-02", "name": "Camera 2", "units": 3},  # o3
            {"sku": "HUB-01", "name": "Hub", "units": 2},  # o2
            {"sku": "FEE-02", "name": None, "units": 1},  # o2; no stock level, so no name
        ],
        "usage_by_device_type": [
            {"device_type": "camera", "installations": 1},  # inst-a (inst-d is on 11-05)
            {"device_type": "network", "installations": 1},  # inst-b (10-29 in Paris)
        ],
        "usage_by_sku": [
            {"sku": "CAM-02", "name": "Camera 2", "installations": 2, "units": 2},  # inst-a 1 + inst-b 1
            {"sku": "HUB-01", "name": "Hub", "installations": 1, "units": 2},  # inst-b
        ],
    }
    assert body["series"]["daily"] == [
        {"date": "2026-10-29", "orders": 1, "units": 3},
        {"date": "2026-10-30", "orders": 0, "units": 0},
        {"date": "2026-10-31", "orders": 0, "units": 0},
        {"date": "2026-11-01", "orders": 1, "units": 3},
        {"date": "2026-11-02", "orders": 0, "units": 0},
        {"date": "2026-11-03", "orders": 0, "units": 0},
        {"date": "2026-11-04", "orders": 0, "units": 0},
    ]

    before = (await http.get("/v1/reports/inventory", params=PREVIOUS, headers=headers)).json()
    assert _values(before, "value") == _values(body, "previous") | {"skus_low_stock": 1}
    assert _values(before, "previous") == {
        "orders": 0,
        "units_sold": 0,
        "skus_low_stock": None,
    }  # 10-15..10-21
    assert {
        name: before["tables"][name] for name in ("units_by_sku", "usage_by_device_type", "usage_by_sku")
    } == {
        "units_by_sku": [{"sku": "CAM-02", "name": "Camera 2", "units": 1}],  # o1
        "usage_by_device_type": [{"device_type": "camera", "installations": 1}],  # inst-c
        "usage_by_sku": [{"sku": "CAM-02", "name": "Camera 2", "installations": 1, "units": 2}],
    }


def _aging(current: int, days_1_30: int, days_31_60: int, days_61_90: int) -> list[dict[str, object]]:
    """Aging rows of one unpaid order per non-zero balance given (in cents); none is over 90 days late."""
    balances = {"current": current, "1-30": days_1_30, "31-60": days_31_60, "61-90": days_61_90, "over_90": 0}
    return [
        {"bucket": bucket, "orders": 1 if cents else 0, "unpaid_cents": cents}
        for bucket, cents in balances.items()
    ]


async def test_financial_over_a_month_boundary_and_its_previous_period(client: Client) -> None:
    http, headers = client
    body = (await http.get("/v1/reports/financial", params=RANGE, headers=headers)).json()
    assert body["previous_range"] == {"start": "2026-10-22", "end": "2026-10-28"}
    assert body["summary"] == figures(
        revenue_cents=(656_000, 15_000),  # 600000 + 52000 + 4000 | sale-2
        partner_revenue_cents=(600_000, 0),  # sale-6 (11-01 in Paris)
        product_sales_cents=(52_000, 15_000),  # sale-4 16000 + sale-8 36000 (sale-10 is on 11-05) | sale-2
        service_fees_cents=(4_000, 0),  # sale-5 (10-29 in Paris)
        margin_rate=(0.4286, 0.4),  # o2, o3: (56000 − 32000) / 56000 = 0.42857 | o1: (15000 − 9000) / 15000
        # as of 11-04: o3 36000 + o2 20000 − 5000 + o5 30000 − 10000 (o1 paid; o4 placed 11-05)
        # | as of 10-28: o1 15000 + o5 20000 (o2 placed 10-29 in Paris)
        unpaid_cents=(71_000, 35_000),
        commission_cents=(12_720, 0),  # entry-7 12000 + entry-9 720 | entry-3 is an adjustment
    )
    tables = body["tables"]
    assert tables["revenue_by_source"] == [
        {"source": "partner_revenue", "revenue_cents": 600_000},
        {"source": "product_sales", "revenue_cents": 52_000},
        {"source": "service_fees", "revenue_cents": 4_000},
    ]
    assert tables["margin_by_category"] == [
        {"category": "camera", "revenue_cents": 36_000, "cost_cents": 21_000, "margin_rate": 0.4167},  # 15/36
        {"category": "network", "revenue_cents": 16_000, "cost_cents": 10_000, "margin_rate": 0.375},
        {"category": "service", "revenue_cents": 4_000, "cost_cents": 1_000, "margin_rate": 0.75},
    ]
    # o3 due 11-30: current; o2 due 11-03: 1 day late; o5 due 09-01: 29 + 31 + 4 = 64 days late
    assert tables["aging"] == _aging(36_000, 15_000, 0, 20_000)
    assert tables["commission_by_month"] == [
        {
            "month": "2026-10",
            "revenue_cents": 20_000,  # 10-29..10-31: sale-4 16000 + sale-5 4000
            "month_total_cents": 35_000,  # v5's
            "tier": "bronze",
            "rate": None,  # no commission earned in October (entry-7's day is 11-01 in Paris)
            "commission_cents": 0,
        },
        {
            "month": "2026-11",
            "revenue_cents": 636_000,  # 11-01..11-04: sale-6 600000 + sale-8 36000
            "month_total_cents": 644_000,  # v10's, the latest version (sale-8's v8 was published after it)
            "tier": "silver",
            "rate": 0.02,
            "commission_cents": 12_720,
        },
    ]
    sources = ("partner_revenue_cents", "product_sales_cents", "service_fees_cents")
    daily = {day["date"]: tuple(day[source] for source in sources) for day in body["series"]["daily"]}
    assert daily == {
        "2026-10-29": (0, 16_000, 4_000),  # sale-4, sale-5
        "2026-10-30": (0, 0, 0),
        "2026-10-31": (0, 0, 0),
        "2026-11-01": (600_000, 36_000, 0),  # sale-6, sale-8
        "2026-11-02": (0, 0, 0),
        "2026-11-03": (0, 0, 0),
        "2026-11-04": (0, 0, 0),
    }

    before = (await http.get("/v1/reports/financial", params=PREVIOUS, headers=headers)).json()
    assert _values(before, "value") == _values(body, "previous")
    assert _values(before, "previous") == {  # 10-15..10-21: sale-2 and o1 are on 10-22 in Paris
        "revenue_cents": 0,
        "partner_revenue_cents": 0,
        "product_sales_cents": 0,
        "service_fees_cents": 0,
        "margin_rate": None,
        "unpaid_cents": 20_000,  # o5 30000 − 10000
        "commission_cents": 0,
    }
    # o1 due 10-25: 3 days late; o5 due 09-01: 29 + 28 = 57 days late
    assert before["tables"]["aging"] == _aging(0, 15_000, 20_000, 0)
    assert before["tables"]["margin_by_category"] == [
        {"category": "camera", "revenue_cents": 15_000, "cost_cents": 9_000, "margin_rate": 0.4}
    ]
    assert before["tables"]["commission_by_month"] == [
        {
            "month": "2026-10",
            "revenue_cents": 15_000,  # sale-2
            "month_total_cents": 35_000,
            "tier": "bronze",
            "rate": None,
            "commission_cents": 0,
        }
    ]
