"""The Redis read-models against a real Redis: exactly-once effect, version order, positions, generations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import TopicPartition
from kpi_projector_testkit import Events, aggregate_fields, batch_of, switch_generation
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from heyzack_shared.batches import Batch
from kpi_projector import queries
from kpi_projector.keyspace import Keys
from kpi_projector.projections.vocabulary import PARTNER_CREDITS
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation

PARIS = ZoneInfo("Europe/Paris")
NOVEMBER = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
CARD_COUNTERS = (
    "customer",
    "installation",
    "installation:status:CUSTOMER_APPROVED",
    "handyman",
    "handyman:availability:AVAILABLE",
)


async def apply(store: ProjectionStore, *batches: Batch) -> None:
    for batch in batches:
        await store.apply(batch)
    await store.flush()


async def cards(read_models: ReadModels, partner_id: str) -> tuple[int, ...]:
    counters = await read_models.dashboard_counters(partner_id)
    return tuple(counters.get(name, 0) for name in CARD_COUNTERS)


@pytest.fixture
async def store(redis: Redis, namespace: str) -> ProjectionStore:
    return ProjectionStore(redis, await live_generation(redis, namespace), namespace)


@pytest.fixture
def read_models(redis: Redis, namespace: str) -> ReadModels:
    return ReadModels(redis, namespace)


async def test_the_four_cards_follow_the_events(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    await apply(
        store,
        batch_of(
            [
                events.customer("cust-1"),
                events.customer("cust-2"),
                events.customer("cust-2", version=2, active=False),  # inactive customers still count
                *events.approved_job("inst-1"),
                events.installation("inst-2"),
                events.status("inst-2", "SCHEDULED", "CANCELLED", version=2),  # cancelled ones too
                events.handyman("hm-1"),
                events.handyman("hm-2"),
                events.handyman("hm-2", "BUSY", version=2),
            ]
        ),
    )
    assert await cards(read_models, events.partner_id) == (2, 2, 1, 2, 1)
    counters = await read_models.dashboard_counters(events.partner_id)
    assert counters["installation:status:CANCELLED"] == 1
    assert counters["customer:active:false"] == 1


async def test_duplicates_and_redelivered_batches_change_nothing(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    job = events.approved_job("inst-1")
    first = batch_of([events.customer("cust-1"), *job, events.handyman("hm-1")])
    await apply(store, first)
    before = await cards(read_models, events.partner_id)

    duplicated = batch_of(
        [*job, *job, events.customer("cust-1")], first_offset=first.deliveries[-1].offset + 1
    )
    await apply(store, first, duplicated, first)  # redelivered after a crash, duplicates inside a batch

    assert before == (1, 1, 1, 1, 1)
    assert await cards(read_models, events.partner_id) == before


async def test_events_of_an_aggregate_arriving_out_of_order_resolve_by_version(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    created, started, done, approved = events.approved_job("inst-1")
    await apply(store, batch_of([approved]), batch_of([started, done]))
    assert await cards(read_models, events.partner_id) == (0, 1, 1, 0, 0)

    await apply(store, batch_of([created]))  # the late v1 adds what no later event set, and no older status
    assert await cards(read_models, events.partner_id) == (0, 1, 1, 0, 0)
    fields = await aggregate_fields(
        read_models, events.partner_id, "installation", "inst-1", ["status", "device_type"]
    )
    assert fields == {"status": "CUSTOMER_APPROVED", "device_type": "camera"}
    counters = await read_models.dashboard_counters(events.partner_id)
    assert counters.get("installation:status:SCHEDULED", 0) == 0


async def test_a_counted_field_moves_its_counter_whatever_the_arrival_order(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    registered = events.handyman("hm-1")
    busy = events.handyman("hm-1", "BUSY", version=2)
    available = events.handyman("hm-1", "AVAILABLE", version=3)
    off_duty = events.handyman("hm-1", "OFF_DUTY", version=4)

    await apply(store, batch_of([available]), batch_of([off_duty, registered]), batch_of([busy]))

    counters = await read_models.dashboard_counters(events.partner_id)
    assert counters["handyman"] == 1
    assert counters["handyman:availability:OFF_DUTY"] == 1
    assert counters.get("handyman:availability:AVAILABLE", 0) == 0
    assert counters.get("handyman:availability:BUSY", 0) == 0
    name = await aggregate_fields(
        read_models, events.partner_id, "handyman", "hm-1", ["name", "availability"]
    )
    assert name == {"name": "Bob", "availability": "OFF_DUTY"}


async def event_cards(read_models: ReadModels, partner_id: str, now: datetime) -> dict[str, Any]:
    """The three cards built from ratings and credits events, as the read API would serve them at `now`."""
    counters, partner = await read_models.dashboard_figures(
        partner_id, PARTNER_CREDITS, partner_id, queries.partner_fields(now, PARIS)
    )
    cards = queries.dashboard(partner_id, counters, partner=partner, now=now, zone=PARIS).cards
    return cards.model_dump(
        mode="json", include={"monthly_revenue", "customer_satisfaction", "available_credit"}
    )


async def test_duplicate_ratings_and_credit_events_change_no_figure(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    stream = [
        events.rating("rating-1", 5),
        events.rating("rating-2", 4),
        events.rating("rating-3", 4),
        events.revenue(1, 250_000),
        events.credit_earned(2, 5_000, 5_000),
        events.revenue(3, 750_049),
        events.credit_earned(4, 10_099, 15_099),
        events.credit_applied(5, 3_000, 12_099),
    ]
    first = batch_of(stream)
    await apply(store, first)
    before = await event_cards(read_models, events.partner_id, NOVEMBER)
    assert before["customer_satisfaction"]["display"] == "4.3/5"
    assert (before["customer_satisfaction"]["sum"], before["customer_satisfaction"]["count"]) == (13, 3)
    assert before["monthly_revenue"]["display"] == "€7,500"
    assert before["available_credit"]["display"] == "€120"

    await apply(store, first, batch_of([*reversed(stream), *stream], first_offset=len(stream)), first)

    assert await event_cards(read_models, events.partner_id, NOVEMBER) == before


async def test_an_older_credit_earned_arriving_after_a_newer_credit_applied_keeps_the_balance(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    earned, applied = events.credit_earned(1, 20_000, 20_000), events.credit_applied(2, 5_000, 15_000)
    await apply(store, batch_of([applied]), batch_of([earned], first_offset=1))

    credit = (await event_cards(read_models, events.partner_id, NOVEMBER))["available_credit"]
    assert credit == {"value_cents": 15_000, "currency": "EUR", "display": "€150", "can_use_credit": True}

    spent = events.credit_applied(3, 15_000, 0)
    await apply(store, batch_of([spent, earned], first_offset=2))
    credit = (await event_cards(read_models, events.partner_id, NOVEMBER))["available_credit"]
    assert (credit["value_cents"], credit["display"], credit["can_use_credit"]) == (0, "€0", False)


async def test_last_months_revenue_is_not_in_this_months_card(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    october = events.revenue(1, 900_000, month="2026-10")
    november = events.revenue(2, 120_000, month="2026-11")
    late_october = events.revenue(3, 950_000, month="2026-10")  # a sale recorded late for last month
    await apply(store, batch_of([november, late_october]), batch_of([october], first_offset=2))

    revenue = (await event_cards(read_models, events.partner_id, NOVEMBER))["monthly_revenue"]
    assert revenue == {"value_cents": 120_000, "currency": "EUR", "month": "2026-11", "display": "€1,200"}
    in_october = await event_cards(read_models, events.partner_id, NOVEMBER - timedelta(days=30))
    assert in_october["monthly_revenue"]["display"] == "€9,500"
    december = await event_cards(read_models, events.partner_id, datetime(2026, 11, 30, 23, tzinfo=UTC))
    assert (december["monthly_revenue"]["month"], december["monthly_revenue"]["value_cents"]) == (
        "2026-12",
        0,
    )


async def test_no_ratings_reads_as_not_available(read_models: ReadModels, events: Events) -> None:
    satisfaction = (await event_cards(read_models, events.partner_id, NOVEMBER))["customer_satisfaction"]
    assert (satisfaction["average"], satisfaction["display"], satisfaction["count"]) == (None, "N/A", 0)


async def test_partners_never_see_each_others_figures(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    other = Events(events.partner_id + "-other")
    await apply(
        store, batch_of([events.customer("cust-1"), other.customer("cust-1"), other.customer("cust-2")])
    )
    assert (await cards(read_models, events.partner_id))[0] == 1
    assert (await cards(read_models, other.partner_id))[0] == 2


async def test_positions_are_stored_with_their_batch_and_read_back(
    store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    partitions = [TopicPartition("test.installations", p) for p in (0, 1, 2)]
    assert await store.positions(partitions) == {}

    await apply(
        store,
        batch_of([events.customer("cust-1")], partition=0, first_offset=41),
        batch_of([events.customer("cust-2"), events.customer("cust-3")], partition=1, first_offset=7),
    )

    assert await store.positions(partitions) == {partitions[0]: 42, partitions[1]: 9}
    status = await read_models.status()
    assert status.positions == {partitions[0]: 42, partitions[1]: 9}
    assert status.events_handled == 3
    assert status.last_event_at == "2026-11-25T08:01:00.000000+00:00"


async def test_a_batch_that_fails_lands_nothing_and_leaves_its_positions(
    redis: Redis, store: ProjectionStore, read_models: ReadModels, events: Events, namespace: str
) -> None:
    partition = TopicPartition("test.installations", 0)
    await apply(store, batch_of([events.customer("cust-1")], first_offset=0))
    broken = ProjectionStore(redis, store.generation, namespace)
    other = Events(events.partner_id + "-broken")
    counters_key = Keys(namespace).partner(store.generation, other.partner_id, "kpi")
    await redis.set(counters_key, "not a hash")  # a write would fail: none may happen

    batch = batch_of([events.customer("cust-2"), other.customer("cust-1")], first_offset=1)
    await broken.apply(batch)
    with pytest.raises(ResponseError, match="WRONGTYPE"):
        await broken.flush()

    assert await store.positions([partition]) == {partition: 1}
    assert await cards(read_models, events.partner_id) == (1, 0, 0, 0, 0)
    await redis.delete(counters_key)
    await apply(broken, batch)
    assert await cards(read_models, events.partner_id) == (2, 0, 0, 0, 0)
    assert await store.positions([partition]) == {partition: 3}


async def test_reads_follow_the_generation_pointer(redis: Redis, namespace: str, events: Events) -> None:
    assert await live_generation(redis, namespace) == "g1"
    live = ProjectionStore(redis, "g1", namespace)
    rebuilt = ProjectionStore(redis, "g2", namespace)
    await apply(live, batch_of([events.customer("cust-1")]))
    await apply(rebuilt, batch_of([events.customer("cust-1"), events.customer("cust-2")]))
    read_models = ReadModels(redis, namespace)

    assert (await cards(read_models, events.partner_id))[0] == 1
    await switch_generation(redis, "g2", namespace)
    assert (await cards(read_models, events.partner_id))[0] == 2
    assert (await read_models.status()).generation == "g2"


async def test_a_redis_that_forgot_its_scripts_still_applies_every_batch(
    redis: Redis, store: ProjectionStore, read_models: ReadModels, events: Events
) -> None:
    await apply(store, batch_of([events.customer("cust-1")]))
    await redis.script_flush()  # as after a Redis restart

    await apply(store, batch_of([events.customer("cust-2")], first_offset=1))

    assert (await cards(read_models, events.partner_id))[0] == 2
