"""`heyzack-commerce-sim`: plays the Shopify/ERP integration, publishing commerce events of one partner.

Publishes to `heyzack.commerce.v1` (key = the partner id): StockLevelChanged for each catalogue product, then
per order an OrderPlaced (product lines under `product_sales`, service lines under `service_fees`), the
payments received for it by the window's end and the stock levels it leaves. Aggregates are the order
(`order_id`) and the product (`sku`), each with versions 1, 2, 3, … from this run.

Deterministic: the same seed, partner and time window give the same events, event ids included, so publishing
twice is a redelivery that every consumer ignores. Order ids carry the seed, so runs with other seeds add new
orders; stock versions restart at 1 on every run (a real ERP would continue its own sequence).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from heyzack_shared.contracts import commerce
from heyzack_shared.contracts.credits import SaleSource
from heyzack_shared.envelope import Envelope, EventData
from heyzack_shared.kafka import new_producer

DEFAULT_BOOTSTRAP: Final = "127.0.0.1:9092"
PAYMENT_TERMS: Final = timedelta(days=30)
RESTOCK_BELOW: Final = 4
RESTOCK_QUANTITY: Final = 24


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    unit_price_cents: int
    unit_cost_cents: int
    source: SaleSource = SaleSource.PRODUCT_SALES


CATALOGUE: Final = (
    Product("HZ-LOCK-PRO", "HeyZack Smart Lock Pro", "smart_lock", 24_900, 14_200),
    Product("HZ-CAM-360", "HeyZack Camera 360", "camera", 17_900, 9_800),
    Product("HZ-THERMO-2", "HeyZack Thermostat 2", "thermostat", 21_900, 12_500),
    Product("HZ-MESH-3PK", "HeyZack Mesh Wi-Fi (3 pack)", "network", 29_900, 18_900),
    Product("HZ-ALARM-KIT", "HeyZack Alarm Kit", "alarm", 39_900, 23_000),
    Product("HZ-BULB-RGB", "HeyZack Smart Bulb RGB", "lighting", 2_900, 1_100),
)
SERVICE_PRODUCTS: Final = (
    Product("SVC-SETUP", "Remote setup and configuration", "service", 4_900, 1_500, SaleSource.SERVICE_FEES),
    Product("SVC-CARE-12", "HeyZack Care, 12 months", "service", 9_900, 2_000, SaleSource.SERVICE_FEES),
)


class _Stream:
    """Events of one partner with versions per aggregate and event ids drawn from the seeded generator."""

    def __init__(self, partner_id: str, rng: random.Random) -> None:
        self.partner_id, self.rng = partner_id, rng
        self.versions: dict[str, int] = {}
        self.events: list[Envelope] = []

    def add(self, event_type: type[Envelope], aggregate_id: str, data: EventData, at: datetime) -> None:
        version = self.versions[aggregate_id] = self.versions.get(aggregate_id, 0) + 1
        event = event_type.new(
            partner_id=self.partner_id,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            data=data,
            occurred_at=at,
        )
        event_id = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        self.events.append(event.model_copy(update={"event_id": event_id}))


def simulate(partner_id: str, *, orders: int, seed: int, until: datetime, days: int = 20) -> list[Envelope]:
    """The commerce events of `orders` orders placed over the `days` days before `until`, in time order."""
    rng = random.Random(f"{seed}:{partner_id}")
    stream = _Stream(partner_id, rng)
    first = until - timedelta(days=days)
    stock = {product.sku: rng.randint(12, 40) for product in CATALOGUE}
    for product in CATALOGUE:
        stream.add(commerce.StockLevelChanged, product.sku, _stock(product, stock[product.sku]), first)
    moments = sorted(first + timedelta(seconds=rng.randint(60, days * 86_400)) for _ in range(orders))
    payments: list[tuple[datetime, str, int]] = []
    for number, placed_at in enumerate(moments, start=1):
        order_id = f"SO-{seed}-{number:04d}"
        lines = _lines(rng)
        total = sum(line.quantity * line.unit_price_cents for line in lines)
        order = commerce.OrderPlacedData(
            order_id=order_id,
            customer_id=f"shopify-cust-{rng.randint(1, 40):03d}",
            installation_id=None,
            lines=lines,
            total_cents=total,
            due_at=placed_at + PAYMENT_TERMS,
        )
        stream.add(commerce.OrderPlaced, order_id, order, placed_at)
        for line in lines:
            if line.source is SaleSource.PRODUCT_SALES:
                product = next(p for p in CATALOGUE if p.sku == line.sku)
                stock[product.sku] -= line.quantity
                if stock[product.sku] < RESTOCK_BELOW:
                    stock[product.sku] += RESTOCK_QUANTITY
                stream.add(
                    commerce.StockLevelChanged, product.sku, _stock(product, stock[product.sku]), placed_at
                )
        payments.extend(_payments(rng, order_id, total, placed_at))
    # Payments join the stream in time order; an order's payments come after it, so its versions still grow.
    events_by_time = stream.events
    stream.events = []
    for paid_at, order_id, amount in sorted(payments):
        if paid_at > until:  # not received yet
            continue
        stream.add(
            commerce.PaymentReceived,
            order_id,
            commerce.PaymentReceivedData(order_id=order_id, amount_cents=amount),
            paid_at,
        )
    return sorted([*events_by_time, *stream.events], key=lambda event: event.occurred_at)


def _stock(product: Product, on_hand: int) -> commerce.StockLevelChangedData:
    return commerce.StockLevelChangedData(
        sku=product.sku, name=product.name, category=product.category, on_hand=on_hand
    )


def _lines(rng: random.Random) -> list[commerce.OrderLine]:
    products = rng.sample(CATALOGUE, rng.randint(1, 3))
    if rng.random() < 0.4:
        products.append(rng.choice(SERVICE_PRODUCTS))
    return [
        commerce.OrderLine(
            sku=product.sku,
            name=product.name,
            category=product.category,
            quantity=rng.randint(1, 4) if product.category == "lighting" else rng.randint(1, 2),
            unit_price_cents=product.unit_price_cents,
            unit_cost_cents=product.unit_cost_cents,
            source=product.source,
        )
        for product in products
    ]


def _payments(
    rng: random.Random, order_id: str, total: int, placed_at: datetime
) -> list[tuple[datetime, str, int]]:
    """Most orders are paid in full, some in two parts, some not yet (for the collection aging report)."""
    draw = rng.random()
    first_at = placed_at + timedelta(days=rng.randint(0, 20), minutes=rng.randint(1, 600))
    if draw < 0.6 or total < 2:
        return [(first_at, order_id, total)]
    if draw < 0.8:
        deposit = total // 2
        return [(first_at, order_id, deposit), (first_at + timedelta(days=14), order_id, total - deposit)]
    return []


async def publish(bootstrap: str, events: Sequence[Envelope]) -> None:
    """Publish the events to the commerce topic, keyed by partner, in order; return once all are acked."""
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        sent = [
            await producer.send(commerce.CommerceEvent.topic, event.to_json(), key=event.partner_id.encode())
            for event in events
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def publish_orders(
    bootstrap: str, partner_id: str, *, orders: int, seed: int, until: datetime | None = None, days: int = 20
) -> list[Envelope]:
    """Simulate and publish; the events published."""
    events = simulate(partner_id, orders=orders, seed=seed, until=until or datetime.now(UTC), days=days)
    await publish(bootstrap, events)
    return events


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="heyzack-commerce-sim", description=__doc__.splitlines()[0])
    parser.add_argument("--partner", default="partner-demo", help="partner id (default partner-demo)")
    parser.add_argument("--orders", "--count", type=int, default=25, help="orders to place (default 25)")
    parser.add_argument("--seed", type=int, default=1, help="random seed: same seed, same events (default 1)")
    parser.add_argument(
        "--bootstrap",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", DEFAULT_BOOTSTRAP),
        help=f"Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS, default {DEFAULT_BOOTSTRAP})",
    )
    parser.add_argument("--days", type=int, default=20, help="spread orders over this many days (default 20)")
    parser.add_argument(
        "--until",
        type=datetime.fromisoformat,
        help="the window's end, RFC 3339 with an offset (default now; fix it for identical reruns)",
    )
    arguments = parser.parse_args(argv)
    if arguments.orders < 0 or arguments.days < 1:
        parser.error("--orders must be ≥ 0 and --days ≥ 1")
    if arguments.until is not None and arguments.until.utcoffset() is None:
        parser.error("--until needs a UTC offset, e.g. 2026-11-25T12:00:00+01:00")
    events = asyncio.run(
        publish_orders(
            arguments.bootstrap,
            arguments.partner,
            orders=arguments.orders,
            seed=arguments.seed,
            until=arguments.until,
            days=arguments.days,
        )
    )
    counts: dict[str, int] = {}
    for event in events:
        counts[event.event_type] = counts.get(event.event_type, 0) + 1
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    print(f"heyzack-commerce-sim: published {summary} for {arguments.partner}", file=sys.stderr)
