"""The broker watch on real brokers: topics come back with the platform's shape (never the broker's
defaults), the epoch names one life of the broker, and a position beyond a log's end is found exactly even
where the embedded broker under-reports ends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.kafka import PARTITIONS, create_topics, new_producer
from heyzack_shared.testing.topics import topic_shapes
from heyzack_stack.embedded import EmbeddedServer
from heyzack_stack.infra import Endpoints


@pytest.fixture
async def watch_of(own_broker: EmbeddedServer) -> AsyncIterator[BrokerWatch]:
    watch = BrokerWatch(own_broker.server.url, ["test.watched"])
    yield watch
    await watch.close()


async def test_no_client_of_ours_makes_the_broker_create_a_topic(own_broker: EmbeddedServer) -> None:
    """Asked for a missing topic's ends, aiokafka would have the embedded broker create it with 4
    partitions: ours ask with topic creation off, and the topic stays missing."""
    reader = AIOKafkaConsumer(bootstrap_servers=own_broker.server.url)
    await reader.start()
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.end_offsets([TopicPartition("test.asked", 0)]), 2)
    finally:
        await reader.stop()
    assert "test.asked" not in await topic_shapes(own_broker.server.url)


async def test_a_restarted_broker_gets_the_topics_back_whole_and_a_new_epoch(
    own_broker: EmbeddedServer, watch_of: BrokerWatch
) -> None:
    other_process = BrokerWatch(own_broker.server.url, ["test.watched"])
    try:
        first = await watch_of.epoch()
        assert await other_process.epoch() == first, "every process reads the same epoch"
        assert await watch_of.epoch() == first, "the epoch lasts as long as the broker's data"

        await own_broker.restart()
        await asyncio.wait_for(other_process.epoch(), 30)  # the first to look re-creates
        second = await watch_of.epoch()
        assert second != first
        assert await other_process.epoch() == second
    finally:
        await other_process.close()
    found = await topic_shapes(own_broker.server.url)
    assert found["test.watched"] == (PARTITIONS, "-1")
    assert found["heyzack.broker-epoch.v1"] == (1, "-1")


async def test_a_position_beyond_its_log_is_found_exactly(infrastructure: Endpoints) -> None:
    """Ten records sent as one batch: the embedded broker reports the end as 1 (the batch's base offset
    + 1), yet a position at 10 is the log's true end and must not be taken for one beyond it."""
    topic = f"test.beyond.{uuid.uuid4().hex[:8]}"
    await create_topics(infrastructure.kafka_bootstrap, [topic])
    full, empty = TopicPartition(topic, 0), TopicPartition(topic, 1)
    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        sending = [await producer.send(topic, b"x", partition=0) for _ in range(10)]
        await asyncio.gather(*sending)
    finally:
        await producer.stop()
    watch = BrokerWatch(infrastructure.kafka_bootstrap, [topic])
    try:
        assert (await watch.ends([full]))[full] < 10, "the broker under-reports (else this proves less)"
        assert await watch.beyond_end({full: 10, empty: 0}) == set()
        assert await watch.beyond_end({full: 4}) == set()
        assert await watch.beyond_end({full: 11, empty: 3}) == {full, empty}
    finally:
        await watch.close()
