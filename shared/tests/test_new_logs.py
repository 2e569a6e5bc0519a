"""A PostgreSQL inbox whose stored position lies beyond its partition's end (the log was truncated or
re-created) reads that partition from its beginning, whether it finds out on assignment or while it runs; a
position at the true end is kept, even where the embedded broker reports a lower end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import REGISTRY

from heyzack_shared.batches import Batch, Span
from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.contracts import installations as inst
from heyzack_shared.db import SHARED_MIGRATIONS, create_pool, migrate
from heyzack_shared.envelope import Envelope
from heyzack_shared.inbox import Inbox
from heyzack_shared.kafka import create_topics, new_producer
from heyzack_shared.outbox import Connection
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.topics import topic_shapes
from heyzack_stack.infra import Endpoints, ensure_database


@pytest.fixture
async def pool(infrastructure: Endpoints) -> AsyncIterator[asyncpg.Pool]:
    name = f"newlogs_{uuid.uuid4().hex[:12]}"
    await ensure_database(infrastructure, name)
    pool = await create_pool(infrastructure.database_url(name))
    await migrate(pool, SHARED_MIGRATIONS)
    await pool.execute("CREATE TABLE seen (aggregate_id text NOT NULL)")
    yield pool
    await pool.close()


async def record_seen(conn: Connection, event: Envelope) -> None:
    await conn.execute("INSERT INTO seen (aggregate_id) VALUES ($1)", event.aggregate_id)


async def seen(pool: asyncpg.Pool) -> set[str]:
    return {row["aggregate_id"] for row in await pool.fetch("SELECT aggregate_id FROM seen")}


def customer(number: str) -> bytes:
    return inst.CustomerRegistered.new(
        partner_id="partner-newlogs",
        aggregate_id=number,
        aggregate_version=1,
        data=inst.CustomerRegisteredData(customer_id=number, name="C", email="c@example.com", active=True),
    ).to_json()


async def publish(bootstrap: str, partition: TopicPartition, numbers: list[str]) -> None:
    """Sent together: one record batch per partition."""
    producer = new_producer(bootstrap)
    await producer.start()
    try:
        sending = [
            await producer.send(partition.topic, customer(n), partition=partition.partition) for n in numbers
        ]
        await asyncio.gather(*sending)
    finally:
        await producer.stop()


def truncations(consumer: str, topic: str) -> float | None:
    labels = {"consumer": consumer, "topic": topic, "reason": "truncated"}
    return REGISTRY.get_sample_value("heyzack_consumer_new_logs_total", labels)


async def test_a_position_beyond_the_end_starts_its_partition_over(
    infrastructure: Endpoints, pool: asyncpg.Pool
) -> None:
    bootstrap, name = infrastructure.kafka_bootstrap, f"newlogs-{uuid.uuid4().hex[:8]}"
    topic = f"test.new-logs.{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [topic])
    recreated, whole = TopicPartition(topic, 0), TopicPartition(topic, 1)
    await publish(bootstrap, recreated, ["r1", "r2", "r3"])
    await publish(bootstrap, whole, [f"w{n}" for n in range(5)])
    watch = BrokerWatch(bootstrap, [topic])
    try:
        epoch = await watch.epoch()
        assert (await watch.ends([whole]))[whole] < 5, "the broker under-reports (else this proves less)"
    finally:
        await watch.close()
    inbox = Inbox(pool, name, record_seen)
    await inbox.restart(epoch, {})
    # As stored before the log was re-created: 1000 events in `recreated`; `whole` handled to its end.
    await inbox.apply(Batch([], {recreated: Span(0, 1000, True), whole: Span(0, 5, True)}))

    config = ConsumerConfig(name=name, bootstrap=bootstrap, topics=[topic], group_id=name, max_records=50)
    async with consuming(config, inbox):
        await wait_until(lambda: _seen_all(pool, {"r1", "r2", "r3"}), timeout=30, message="read again")
        await publish(bootstrap, whole, ["w5"])
        await wait_until(lambda: _seen_all(pool, {"w5"}), timeout=30, message="the kept one went on")
    assert await seen(pool) == {"r1", "r2", "r3", "w5"}, "`whole` resumed at its end, not its beginning"
    assert await inbox.positions([recreated, whole]) == {recreated: 3, whole: 6}
    assert truncations(name, topic) == 1


async def test_a_topic_re_created_under_a_running_consumer_is_read_again(
    infrastructure: Endpoints, pool: asyncpg.Pool
) -> None:
    """Deleted and created again while the consumer idles at offset 3: no rebalance needs to happen for the
    consumer to notice that its position lies beyond the new log's end."""
    bootstrap, name = infrastructure.kafka_bootstrap, f"recreated-{uuid.uuid4().hex[:8]}"
    topic = f"test.re-created.{uuid.uuid4().hex[:8]}"
    await create_topics(bootstrap, [topic])
    partition = TopicPartition(topic, 0)
    await publish(bootstrap, partition, ["a1", "a2", "a3"])
    inbox = Inbox(pool, name, record_seen)
    config = ConsumerConfig(
        name, bootstrap, [topic], name, max_records=50, check_interval=0.2, log_check_interval=0.5
    )
    async with consuming(config, inbox):
        await wait_until(lambda: _seen_all(pool, {"a1", "a2", "a3"}), timeout=30, message="first log")
        await delete_topic(bootstrap, topic)
        await wait_until(lambda: _exists(bootstrap, topic), timeout=30, message="the consumer re-creates it")
        await publish(bootstrap, partition, ["b1"])
        await wait_until(lambda: _seen_all(pool, {"b1"}), timeout=30, message="the new log was not read")
    assert await inbox.positions([partition]) == {partition: 1}
    assert truncations(name, topic) == 1


async def delete_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([topic])
    finally:
        await admin.close()


async def _exists(bootstrap: str, topic: str) -> bool:
    return topic in await topic_shapes(bootstrap)


async def _seen_all(pool: asyncpg.Pool, expected: set[str]) -> bool:
    return expected <= await seen(pool)
