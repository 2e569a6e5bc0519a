"""The PostgreSQL inbox: effects, tracking records and positions commit together, on a real database."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import TopicPartition

from heyzack_shared.batches import FROM_THE_BEGINNING, Batch, Delivery, Span
from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts import topics
from heyzack_shared.db import SHARED_MIGRATIONS, create_pool, migrate
from heyzack_shared.envelope import Envelope
from heyzack_shared.inbox import Inbox
from heyzack_shared.outbox import Connection
from heyzack_stack.infra import Endpoints, ensure_database

PARTITION = TopicPartition(topics.INSTALLATIONS, 2)
OTHER = TopicPartition(topics.INSTALLATIONS, 3)


@pytest.fixture
async def pool(infrastructure: Endpoints) -> AsyncIterator[asyncpg.Pool]:
    name = f"inbox_{uuid.uuid4().hex[:12]}"
    await ensure_database(infrastructure, name)
    pool = await create_pool(infrastructure.database_url(name))
    await migrate(pool, SHARED_MIGRATIONS)
    await pool.execute("CREATE TABLE seen (event_id uuid NOT NULL)")
    yield pool
    await pool.close()


async def record_seen(conn: Connection, event: Envelope) -> None:
    await conn.execute("INSERT INTO seen (event_id) VALUES ($1)", event.event_id)


def _batch(events: list[Envelope], first_offset: int) -> Batch:
    deliveries = [
        Delivery(event, PARTITION.topic, PARTITION.partition, first_offset + n)
        for n, event in enumerate(events)
    ]
    return Batch(deliveries, {PARTITION: Span(first_offset, first_offset + len(events), from_beginning=True)})


def _events(count: int) -> list[Envelope]:
    return [
        inst.CustomerStatusChanged.new(
            partner_id="partner-a",
            aggregate_id="cus-1",
            aggregate_version=n + 2,
            data=inst.CustomerStatusChangedData(customer_id="cus-1", active=n % 2 == 0),
        )
        for n in range(count)
    ]


async def test_each_event_takes_effect_once_and_the_position_is_stored(pool: asyncpg.Pool) -> None:
    inbox = Inbox(pool, "test-consumer", record_seen)
    events = _events(3)
    assert await (await inbox.apply(_batch(events, 10))) == {}
    redelivered = await inbox.apply(_batch(events[1:], 11))  # a zombie, or a consumer that never sought
    assert await redelivered == {PARTITION: 13}, "the fence answers the stored position"
    assert await pool.fetchval("SELECT count(*) FROM seen") == 3
    assert await inbox.positions([PARTITION, TopicPartition(topics.RATINGS, 0)]) == {PARTITION: 13}
    assert await Inbox(pool, "another-consumer", record_seen).positions([PARTITION]) == {}


async def test_a_failing_handler_leaves_no_trace(pool: asyncpg.Pool) -> None:
    async def fail_on_second(conn: Connection, event: Envelope) -> None:
        await record_seen(conn, event)
        if await conn.fetchval("SELECT count(*) FROM seen") == 2:
            raise RuntimeError("handler failed")

    inbox = Inbox(pool, "test-consumer", fail_on_second)
    with pytest.raises(RuntimeError):
        await inbox.apply(_batch(_events(3), 0))
    assert await pool.fetchval("SELECT count(*) FROM seen") == 0
    assert await pool.fetchval("SELECT count(*) FROM inbox_processed") == 0
    assert await inbox.positions([PARTITION]) == {}


async def test_another_broker_epoch_forgets_every_position_and_the_replay_has_no_double_effect(
    pool: asyncpg.Pool,
) -> None:
    inbox = Inbox(pool, "test-consumer", record_seen)
    await inbox.restart("epoch-1", {})
    events = _events(2)
    await inbox.apply(_batch(events, 0))
    await inbox.apply(Batch([], {OTHER: Span(0, 5, from_beginning=True)}))
    assert await inbox.broker_epoch() == "epoch-1"

    await inbox.restart("epoch-2", {PARTITION: 2})  # the broker lost its logs: every position was in them
    assert await inbox.broker_epoch() == "epoch-2"
    assert await inbox.positions([PARTITION, OTHER]) == {}
    await inbox.apply(_batch(events, 0))  # the outboxes published again into the new logs
    assert await pool.fetchval("SELECT count(*) FROM seen") == 2
    assert await inbox.positions([PARTITION]) == {PARTITION: 2}


async def test_a_restart_under_the_same_epoch_forgets_only_the_partitions_given(pool: asyncpg.Pool) -> None:
    """A log found truncated or re-created: that partition alone is read again from its beginning."""
    inbox = Inbox(pool, "test-consumer", record_seen)
    await inbox.restart("epoch-1", {})
    await inbox.apply(Batch([], {PARTITION: Span(0, 7, True), OTHER: Span(0, 5, True)}))
    await inbox.restart("epoch-1", {PARTITION: 3})
    assert await inbox.positions([PARTITION, OTHER]) == {OTHER: 5}
    assert await Inbox(pool, "another-consumer", record_seen).broker_epoch() is None


async def test_without_a_stored_position_only_a_batch_read_from_the_beginning_applies(
    pool: asyncpg.Pool,
) -> None:
    """A position table that lost its rows must not let a batch from mid-log pass as the whole history."""
    inbox = Inbox(pool, "test-consumer", record_seen)
    events = _events(2)
    mid_log = Batch(_batch(events, 7).deliveries, {PARTITION: Span(7, 9)})
    assert await (await inbox.apply(mid_log)) == {PARTITION: FROM_THE_BEGINNING}
    assert await pool.fetchval("SELECT count(*) FROM seen") == 0
    assert await inbox.positions([PARTITION]) == {}
