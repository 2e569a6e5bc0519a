"""Sales from Kafka: approved installations and placed orders become revenue, tiers and earned credit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from heyzack_shared.contracts.commerce import OrderLine, OrderPlaced, OrderPlacedData
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.contracts.installations import (
    DeviceType,
    InstallationCreated,
    InstallationCreatedData,
    InstallationStatus,
    InstallationStatusChanged,
    InstallationStatusChangedData,
)
from heyzack_shared.envelope import Envelope
from heyzack_shared.testing import wait_until

Publish = Callable[..., Awaitable[None]]
Status = InstallationStatus
PARIS = ZoneInfo("Europe/Paris")


def _installation(partner: str, price_cents: int, at: datetime) -> list[Envelope]:
    """An installation created and taken through the workflow to CUSTOMER_APPROVED at `at`."""
    installation_id = f"ins_{uuid.uuid4().hex}"
    created = InstallationCreated.new(
        partner_id=partner,
        aggregate_id=installation_id,
        aggregate_version=1,
        occurred_at=at - timedelta(hours=3),
        data=InstallationCreatedData(
            installation_id=installation_id,
            customer_id="cus_1",
            device_type=DeviceType.CAMERA,
            products=[],
            price_cents=price_cents,
            scheduled_for=at,
        ),
    )
    steps = [(Status.SCHEDULED, Status.IN_PROGRESS), (Status.IN_PROGRESS, Status.WORK_COMPLETED)]
    steps.append((Status.WORK_COMPLETED, Status.CUSTOMER_APPROVED))
    changes = [
        InstallationStatusChanged.new(
            partner_id=partner,
            aggregate_id=installation_id,
            aggregate_version=version,
            occurred_at=at - timedelta(hours=3 - version + 1) if version < 4 else at,
            data=InstallationStatusChangedData(
                installation_id=installation_id, from_status=before, to_status=after
            ),
        )
        for version, (before, after) in enumerate(steps, start=2)
    ]
    return [created, *changes]


def _order(partner: str, lines: list[tuple[int, int, SaleSource]], at: datetime) -> OrderPlaced:
    order_id = f"ord_{uuid.uuid4().hex}"
    order_lines = [
        OrderLine(
            sku=f"SKU-{n}",
            name="Camera",
            category="camera",
            quantity=quantity,
            unit_price_cents=unit_price,
            unit_cost_cents=unit_price // 2,
            source=source,
        )
        for n, (quantity, unit_price, source) in enumerate(lines)
    ]
    return OrderPlaced.new(
        partner_id=partner,
        aggregate_id=order_id,
        aggregate_version=1,
        occurred_at=at,
        data=OrderPlacedData(
            order_id=order_id,
            customer_id=None,
            installation_id=None,
            lines=order_lines,
            total_cents=sum(q * p for q, p, _ in lines),
            due_at=at + timedelta(days=30),
        ),
    )


async def _credits(client: httpx.AsyncClient, auth: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/v1/credits", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _shows(client: httpx.AsyncClient, auth: dict[str, str], **expected: Any) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def arrived() -> bool:
        seen.update(await _credits(client, auth))
        return all(seen[name] == value for name, value in expected.items())

    try:
        await wait_until(arrived, timeout=30)
    except AssertionError:
        raise AssertionError(f"expected {expected}, last seen {seen}") from None
    return seen


async def test_approved_installations_and_orders_earn_commission_once(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, publish: Publish, pool: asyncpg.Pool
) -> None:
    now = datetime.now(UTC)
    installation = _installation(partner, 600_000, now)
    order = _order(
        partner, [(2, 300_000, SaleSource.PRODUCT_SALES), (1, 100_000, SaleSource.SERVICE_FEES)], now
    )
    await publish(*installation, order)
    # 6,000 € → Silver, 2% = 12,000; +6,000 € line at Silver = 12,000; +1,000 € line = 2,000
    body = await _shows(client, auth, monthly_revenue_cents=1_300_000, balance_cents=26_000, tier="Silver")
    # the two topics are not ordered with each other; the order's lines are, and the totals agree either way
    sale_ids = [e["sale_id"] for e in body["ledger"]]
    assert sorted(sale_ids) == sorted(
        [f"{order.data.order_id}:1", f"{order.data.order_id}:2", installation[0].aggregate_id]
    )
    assert sale_ids.index(f"{order.data.order_id}:2") < sale_ids.index(f"{order.data.order_id}:1")
    assert all(e["kind"] == "earned" for e in body["ledger"])

    another_approval = InstallationStatusChanged.new(
        partner_id=partner,
        aggregate_id=installation[0].aggregate_id,
        aggregate_version=5,
        data=installation[-1].data,
    )
    marker_installation = _installation(partner, 100_000, now)
    marker_order = _order(partner, [(1, 50_000, SaleSource.PRODUCT_SALES)], now)
    await publish(*installation, another_approval, order, *marker_installation, marker_order)
    await _shows(client, auth, monthly_revenue_cents=1_450_000, balance_cents=29_000)
    sales = await pool.fetchval("SELECT count(*) FROM sales WHERE partner_id = $1", partner)
    assert sales == 5


async def test_a_sale_of_last_month_is_not_in_this_months_revenue(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, publish: Publish, pool: asyncpg.Pool
) -> None:
    first_of_month = datetime.now(PARIS).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = first_of_month - timedelta(minutes=1)  # 23:59 on the last day, Paris time
    # one topic (commerce), one partition (the partner's): recorded in this order
    await publish(_order(partner, [(3, 500_000, SaleSource.PARTNER_REVENUE)], last_month))
    await publish(_order(partner, [(1, 100_000, SaleSource.PRODUCT_SALES)], last_month))
    await publish(_order(partner, [(1, 200_000, SaleSource.PRODUCT_SALES)], first_of_month))
    # last month: 15,000 € → Gold 3% = 45,000, then 1,000 € more at Gold = 3,000; this month: Bronze
    body = await _shows(client, auth, balance_cents=48_000, monthly_revenue_cents=200_000, tier="Bronze")
    assert [e["amount_cents"] for e in body["ledger"]] == [3_000, 45_000]
    previous = await pool.fetchrow(
        "SELECT total_cents, tier FROM monthly_revenue WHERE partner_id = $1 AND month = $2",
        partner,
        last_month.strftime("%Y-%m"),
    )
    assert previous is not None and tuple(previous) == (1_600_000, "Gold")


async def test_an_approval_seen_before_the_price_is_recorded_when_the_price_arrives(
    client: httpx.AsyncClient, auth: dict[str, str], partner: str, publish: Publish
) -> None:
    created, *changes = _installation(partner, 500_000, datetime.now(UTC))
    await publish(*changes)
    await publish(created)
    body = await _shows(client, auth, monthly_revenue_cents=500_000, balance_cents=10_000, tier="Silver")
    assert body["ledger"][0]["sale_id"] == created.aggregate_id
    assert body["ledger"][0]["occurred_at"] == changes[-1].occurred_at.isoformat().replace("+00:00", "Z")
