"""The inventory and financial read-models against a real Redis: exactly-once under duplicates, redeliveries,
any order and any batching; the per-SKU installation facts; and the aging by hand (pure)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from kpi_projector_testkit import REPORT_NOW, Events, at, batch_of
from redis.asyncio import Redis
from test_reports_inventory_financial import history

from heyzack_shared.contracts import commerce
from heyzack_shared.contracts import installations as inst
from heyzack_shared.envelope import Envelope
from kpi_projector.projections.vocabulary import ALL_TIME, PARTNER_CREDITS
from kpi_projector.ranges import DateRange
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation
from kpi_projector.report_financial import aging, financial_report
from kpi_projector.report_inventory import inventory_report, stock_levels

ZONE = ZoneInfo("Europe/Paris")
NOVEMBER = DateRange(preset="month_to_date", start=date(2026, 11, 1), end=date(2026, 11, 25))


async def project(redis: Redis, namespace: str, *batches: Sequence[Envelope]) -> None:
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace, zone=ZONE)
    for events in batches:
        await store.apply(batch_of(events))
    await store.flush()


async def reports(redis: Redis, namespace: str, partner_id: str) -> tuple[object, object]:
    days = [*NOVEMBER.previous.dates(), *NOVEMBER.dates()]
    counters, buckets, (credits,) = await ReadModels(redis, namespace).report_inputs(
        partner_id, days, [ALL_TIME], [(PARTNER_CREDITS, partner_id)]
    )
    inventory = inventory_report(partner_id, counters, buckets[ALL_TIME], NOVEMBER, now=REPORT_NOW, zone=ZONE)
    financial = financial_report(
        partner_id, counters, buckets[ALL_TIME], credits, NOVEMBER, now=REPORT_NOW, zone=ZONE
    )
    return inventory.model_dump(), financial.model_dump()


async def test_any_order_duplicates_and_batching_give_the_same_reports(
    redis: Redis, namespace: str, events: Events
) -> None:
    ordered = [event for _, event in history(events)]
    await project(redis, namespace, ordered)
    expected = await reports(redis, namespace, events.partner_id)
    assert expected[1]["summary"]["unpaid_cents"] == {"value": 30_000, "previous": 20_000}  # type: ignore[index]

    for seed in range(3):
        partner = Events(f"{events.partner_id}-{seed}")
        mine = [event.model_copy(update={"partner_id": partner.partner_id}) for event in ordered]
        chosen = random.Random(seed)
        mixed = mine * 2
        chosen.shuffle(mixed)
        batches: list[Sequence[Envelope]] = []
        i = 0
        while i < len(mixed):
            size = chosen.randint(1, 5)
            batches.append(mixed[i : i + size])
            i += size
        await project(redis, namespace, *batches, mine)
        inventory, financial = await reports(redis, namespace, partner.partner_id)
        assert inventory["tables"] == expected[0]["tables"]  # type: ignore[index]
        assert inventory["summary"] == expected[0]["summary"]  # type: ignore[index]
        assert financial["summary"] == expected[1]["summary"]  # type: ignore[index]
        assert financial["tables"] == expected[1]["tables"]  # type: ignore[index]


async def test_installation_skus_and_a_renamed_product(redis: Redis, namespace: str, events: Events) -> None:
    created = events.installation("inst-9")
    many = created.model_copy(
        update={
            "data": created.data.model_copy(
                update={
                    "products": [
                        inst.ProductLine(sku="A", quantity=1),
                        inst.ProductLine(sku="B", quantity=2),
                        inst.ProductLine(sku="C", quantity=3),
                        inst.ProductLine(sku="A", quantity=4),
                    ]
                }
            )
        }
    )
    many = at(many, datetime(2026, 11, 3, 12, tzinfo=UTC))

    def stock(version: int, name: str, on_hand: int) -> Envelope:
        data = commerce.StockLevelChangedData(sku="A", name=name, category="lock", on_hand=on_hand)
        return commerce.StockLevelChanged.new(
            partner_id=events.partner_id, aggregate_id="A", aggregate_version=version, data=data
        )

    await project(redis, namespace, [stock(2, "Lock v2", 0), many], [many, stock(1, "Lock", 9)])
    inventory, _ = await reports(redis, namespace, events.partner_id)
    tables = inventory["tables"]  # type: ignore[index]
    assert tables["usage_by_sku"] == [
        {"sku": "A", "name": "Lock v2", "installations": 1, "units": 5},
        {"sku": "C", "name": None, "installations": 1, "units": 3},
        {"sku": "B", "name": None, "installations": 1, "units": 2},
    ]
    assert tables["stock"] == [{"sku": "A", "name": "Lock v2", "category": "lock", "on_hand": 0, "low": True}]


def test_aging_buckets_as_of_a_day() -> None:
    def order(order_id: str, placed: str, due: str) -> str:
        return f"fin:order:{order_id}:{placed}:{due}"

    ledger = {
        order("o:1", "2026-01-01", "2026-01-31"): 1_000,  # ids may hold ':'
        order("o2", "2026-03-01", "2026-03-02"): 2_000,
        order("o3", "2026-03-01", "2026-03-02"): 3_000,
        order("o4", "2026-06-01", "2026-06-30"): 4_000,
        order("o5", "2026-03-01", "2026-03-10"): 700,
        order("o6", "2026-05-01", "2026-05-20"): 800,
        order("o7", "2026-04-01", "2026-04-20"): 900,
        order("o8", "2026-06-02", "2026-06-03"): 10_000,  # placed after the day asked
        "fin:paid:o2:2026-03-05": 500,
        "fin:paid:o2:2026-07-01": 1_500,  # after the day asked: not counted
        "fin:paid:o3:2026-03-03": 3_500,  # overpaid: nothing unpaid
    }
    rows = {row.bucket: (row.orders, row.unpaid_cents) for row in aging(ledger, date(2026, 6, 1))}
    assert rows == {
        "current": (1, 4_000),  # o4: due 2026-06-30
        "1-30": (1, 800),  # o6: 12 days
        "31-60": (1, 900),  # o7: 42 days
        "61-90": (1, 700),  # o5: 83 days
        "over_90": (2, 2_500),  # o:1 (121 days) and o2 (91 days; 2000 − 500)
    }
    assert stock_levels({"inv:product:X:cat:Name: with colon": 1, "inv:on_hand:X": 6}, 5)[0].name == (
        "Name: with colon"
    )
