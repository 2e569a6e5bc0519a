"""The Redis read-models against a real Redis: exactly-once effect, version order, positions, generations."""

from __future__ import annotations

import pytest
from aiokafka import TopicPartition
from kpi_projector_testkit import Events, batch_of
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from heyzack_shared.consumer import Batch
from kpi_projector.read_models import Keys, ProjectionStore, ReadModels, live_generation, switch_generation

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
    fields = await read_models.aggregate(
        events.partner_id, "installation", "inst-1", ["status", "device_type"]
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
    name = await read_models.aggregate(events.partner_id, "handyman", "hm-1", ["name", "availability"])
    assert name == {"name": "Bob", "availability": "OFF_DUTY"}


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
    await apply(store, batch_of([events.customer("cust-1")]))
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
