"""The session's servers really answer: PostgreSQL, Redis and a Kafka-protocol broker."""

from __future__ import annotations

import uuid

import asyncpg
import redis.asyncio as redis
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from heyzack_shared.contracts.topics import ALL_TOPICS
from heyzack_shared.kafka import create_topics, new_producer
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints, ensure_database


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def test_postgres_serves_a_new_database(infrastructure: Endpoints) -> None:
    name = unique("infra")
    await ensure_database(infrastructure, name)
    await ensure_database(infrastructure, name)

    connection = await asyncpg.connect(infrastructure.database_url(name))
    try:
        assert await connection.fetchval("SELECT current_database()") == name
        assert await connection.fetchval("SELECT 40 + 2") == 42
    finally:
        await connection.close()


async def test_redis_keeps_what_it_is_given(infrastructure: Endpoints) -> None:
    client = redis.from_url(infrastructure.redis_url)
    key = unique("infra")
    try:
        await client.set(key, "ok")
        assert await client.get(key) == b"ok"
    finally:
        await client.delete(key)
        await client.aclose()


async def test_contract_topics_exist_with_six_partitions(infrastructure: Endpoints) -> None:
    assert await partition_counts(infrastructure.kafka_bootstrap, ALL_TOPICS) == {
        topic: 6 for topic in ALL_TOPICS
    }


async def test_kafka_round_trip_on_a_topic_kept_forever(infrastructure: Endpoints) -> None:
    bootstrap = infrastructure.kafka_bootstrap
    topic = unique("test.infra")
    await create_topics(bootstrap, [topic], partitions=6)
    await create_topics(bootstrap, [topic], partitions=6)
    assert await partition_counts(bootstrap, [topic]) == {topic: 6}

    producer = new_producer(bootstrap)
    await producer.start()
    try:
        sent = await producer.send_and_wait(topic, b'{"hello": "kafka"}', key=b"partner-infra")
    finally:
        await producer.stop()

    received = await consume_one(bootstrap, TopicPartition(topic, sent.partition))
    assert (received.key, received.value) == (b"partner-infra", b'{"hello": "kafka"}')


async def partition_counts(bootstrap: str, topics: list[str] | tuple[str, ...]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return {topic["topic"]: len(topic["partitions"]) for topic in described}


async def consume_one(bootstrap: str, partition: TopicPartition) -> ConsumerRecord:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    received: list[ConsumerRecord] = []
    try:
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)

        async def got_one() -> bool:
            batches = await consumer.getmany(partition, timeout_ms=200)
            received.extend(batches.get(partition, []))
            return bool(received)

        await wait_until(got_one, timeout=15, message=f"nothing arrived on {partition}")
    finally:
        await consumer.stop()
    return received[0]
