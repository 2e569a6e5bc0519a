"""The projector's consume path on real servers: the offset fence against a consumer that never sought, a
failed batch never skipped, a Redis outage waited out, and the revoke hook waiting for the batch in flight."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Collection, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker
from kpi_projector_testkit import Events, snapshot
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from running_projector import publish

from heyzack_shared.batches import Batch, Refused
from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.contracts import topics
from heyzack_shared.dead_letters import DeadLetters
from heyzack_shared.fenced_batches import FencedBatches
from heyzack_shared.kafka import create_topics
from heyzack_shared.testing import wait_until
from heyzack_stack import embedded
from heyzack_stack.infra import Endpoints
from heyzack_stack.ports import free_port
from heyzack_stack.processes import ChildProcess
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation


@pytest.fixture
async def topic(infrastructure: Endpoints) -> str:
    """A topic of the test's own: no other test's events (some of them poison) on it."""
    name = f"test.consume-path.{uuid.uuid4().hex[:8]}"
    await create_topics(infrastructure.kafka_bootstrap, [name], partitions=6)
    return name


def config(infrastructure: Endpoints, name: str, topic: str) -> ConsumerConfig:
    return ConsumerConfig(
        name=name,
        bootstrap=infrastructure.kafka_bootstrap,
        topics=[topic],
        group_id=f"{name}-{uuid.uuid4().hex[:8]}",
        max_records=50,
    )


def metric(name: str, consumer: str) -> float:
    return sum(
        sample.value
        for family in REGISTRY.collect()
        for sample in family.samples
        if sample.name == name and sample.labels.get("consumer") == consumer
    )


async def customers_of(redis: Redis, namespace: str, partner_id: str) -> int:
    return (await ReadModels(redis, namespace).dashboard_counters(partner_id)).get("customer", 0)


def reaches(store: ProjectionStore, topic: str, sent: list[tuple[int, int]]) -> Any:
    """True once the store's positions cover every published (partition, offset)."""
    ends: dict[TopicPartition, int] = {}
    for partition, offset in sent:
        tp = TopicPartition(topic, partition)
        ends[tp] = max(ends.get(tp, 0), offset + 1)

    async def check() -> bool:
        stored = await store.positions(ends)
        return all(stored.get(tp, 0) >= end for tp, end in ends.items())

    return check


class NeverSought:
    """The store as a consumer sees it that never sought to the stored positions (it reads from the start)."""

    def __init__(self, store: ProjectionStore) -> None:
        self.store = store
        self.refused: set[TopicPartition] = set()

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        return {}

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        landing = await self.store.apply(batch)
        return asyncio.ensure_future(self._noted(landing))

    async def broker_epoch(self) -> str | None:
        return await self.store.broker_epoch()

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        pass  # it never sought: it does not forget the store's positions either

    async def _noted(self, landing: Awaitable[Refused]) -> Refused:
        refused = await landing
        self.refused.update(refused)
        return refused


async def test_a_consumer_that_never_sought_changes_nothing_and_then_follows(
    infrastructure: Endpoints, topic: str, redis: Redis, namespace: str, events: Events
) -> None:
    """Without the fence it would apply the topic again from its start: events counted twice in the
    progress, positions written back, each a difference in the snapshot."""
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    history = [events.customer(f"c{n}") for n in range(5)]
    sent = await publish(infrastructure.kafka_bootstrap, topic, events.partner_id, history)
    async with consuming(config(infrastructure, "fenced", topic), store):
        await wait_until(reaches(store, topic, sent), timeout=60)
    before = await snapshot(redis, namespace)

    zombie = NeverSought(store)
    partition = TopicPartition(topic, sent[0][0])
    async with consuming(config(infrastructure, "never-sought", topic), zombie):
        await wait_until(lambda: partition in zombie.refused, timeout=60, message="the fence never refused")
        assert await snapshot(redis, namespace) == before
        more = await publish(
            infrastructure.kafka_bootstrap, topic, events.partner_id, [events.customer("c5")]
        )
        await wait_until(
            reaches(store, topic, more), timeout=60, message="after the seek, new events never came"
        )
    assert await customers_of(redis, namespace, events.partner_id) == 6


async def test_a_store_that_lost_its_data_is_rebuilt_from_the_topics(
    infrastructure: Endpoints, topic: str, redis: Redis, namespace: str, events: Events
) -> None:
    """Every key of the store gone while the projector runs (as after a flush, or a restart of a Redis
    without persistence): without the check, the next events would land on an empty store and the figures
    would show them alone."""
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    history = [events.customer(f"c{n}") for n in range(5)]
    sent = await publish(infrastructure.kafka_bootstrap, topic, events.partner_id, history)
    async with consuming(config(infrastructure, "lost-store", topic), store):
        await wait_until(reaches(store, topic, sent), timeout=60)
        await redis.delete(*[key async for key in redis.scan_iter(f"{namespace}:*")])
        later = [events.customer(f"c{n}") for n in range(5, 7)]
        sent = await publish(infrastructure.kafka_bootstrap, topic, events.partner_id, later)
        await wait_until(reaches(store, topic, sent), timeout=60, message="never caught up after the loss")
        assert await customers_of(redis, namespace, events.partner_id) == 7
        assert (await ReadModels(redis, namespace).status()).events_handled == 7


class FailsOnce:
    """The store, except that the first batch with events fails (nothing applied) with `error`."""

    def __init__(self, store: ProjectionStore, error: Exception) -> None:
        self.store = store
        self.error: Exception | None = error

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        return await self.store.positions(partitions)

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        if self.error is not None and batch.deliveries:
            error, self.error = self.error, None
            return asyncio.ensure_future(_raise(error))
        return await self.store.apply(batch)

    async def broker_epoch(self) -> str | None:
        return await self.store.broker_epoch()

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        await self.store.restart(epoch, partitions)


async def _raise(error: Exception) -> Refused:
    raise error


@pytest.mark.parametrize(
    ("error", "retries"),
    [(RuntimeError("injected"), 0), (RedisConnectionError("injected"), 1)],
    ids=["isolated-then-applied", "retried"],
)
async def test_a_batch_whose_apply_failed_is_never_skipped(
    infrastructure: Endpoints,
    topic: str,
    redis: Redis,
    namespace: str,
    events: Events,
    error: Exception,
    retries: int,
) -> None:
    """FastStream swallows a handler's error and fetches on: a failed batch must be applied anyway — split
    until its parts apply (nothing is dead-lettered when every part applies), or retried when transient."""
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    name = f"fails-once-{uuid.uuid4().hex[:6]}"
    history = [events.customer(f"c{n}") for n in range(8)]
    sent = await publish(infrastructure.kafka_bootstrap, topic, events.partner_id, history)
    async with consuming(config(infrastructure, name, topic), FailsOnce(store, error)):
        await wait_until(reaches(store, topic, sent), timeout=60)
    assert await customers_of(redis, namespace, events.partner_id) == 8
    assert metric("heyzack_dead_letters_total", name) == 0
    assert metric("heyzack_consumer_retries_total", name) == retries
    assert 0 < metric("heyzack_consumer_seconds_since_applied", name) < 60  # one partition: one partner


@contextlib.asynccontextmanager
async def redis_server(folder: Path, port: int) -> AsyncIterator[ChildProcess]:
    child = embedded.redis_server(folder, port, log_path=folder / f"redis-{port}.log")
    try:
        yield child
    finally:
        await child.stop()


async def answers(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except RedisConnectionError:
        return False


async def test_a_redis_outage_is_waited_out_and_loses_nothing(
    infrastructure: Endpoints, topic: str, tmp_path: Path, events: Events
) -> None:
    """Redis shut down (its data saved) while events arrive, then started again: the consumer retries with
    backoff, dead-letters nothing, and every event counts once."""
    port, name, namespace = free_port(), f"outage-{uuid.uuid4().hex[:6]}", "outage"
    redis = Redis(port=port, decode_responses=True)
    try:
        async with redis_server(tmp_path, port):
            await wait_until(lambda: answers(redis), timeout=30)
            store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
            first = [events.customer(f"c{n}") for n in range(3)]
            sent = await publish(infrastructure.kafka_bootstrap, topic, events.partner_id, first)
            async with consuming(config(infrastructure, name, topic), store):
                await wait_until(reaches(store, topic, sent), timeout=60)
                with contextlib.suppress(RedisConnectionError):
                    await redis.shutdown(save=True)
                during = [events.customer(f"c{n}") for n in range(3, 9)]
                sent = await publish(infrastructure.kafka_bootstrap, topic, events.partner_id, during)
                await wait_until(lambda: metric("heyzack_consumer_retries_total", name) >= 2, timeout=30)
                async with redis_server(tmp_path, port):
                    await wait_until(
                        reaches(store, topic, sent), timeout=60, message="never caught up after the outage"
                    )
                    assert await customers_of(redis, namespace, events.partner_id) == 9
                    assert (await ReadModels(redis, namespace).status()).events_handled >= 9
    finally:
        await redis.aclose()
    assert metric("heyzack_dead_letters_total", name) == 0


class Landing:
    """A sink whose writes land when the test says so."""

    def __init__(self) -> None:
        self.outcome: asyncio.Future[Refused] | None = None

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        return {}

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        self.outcome = asyncio.get_running_loop().create_future()
        return self.outcome

    async def broker_epoch(self) -> str | None:
        return None

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        pass


async def test_the_revoke_hook_waits_for_the_batch_in_flight(events: Events) -> None:
    """Partitions given up while a batch is still landing would let the next owner read positions the
    batch is about to move; the hook returns only once it has landed."""
    sink, partition, stop = Landing(), TopicPartition(topics.INSTALLATIONS, 0), asyncio.Event()
    letters, watch = DeadLetters(KafkaBroker("127.0.0.1:1"), "revoke", stop), BrokerWatch("127.0.0.1:1", [])
    handler = FencedBatches("revoke", sink, letters, stop, watch)
    await handler.handle([_record(events, partition, offset=0)])
    revoking = asyncio.create_task(handler.revoked([partition]))
    returned_early, _ = await asyncio.wait([revoking], timeout=0.1)
    assert not returned_early
    assert sink.outcome is not None
    sink.outcome.set_result({})
    await asyncio.wait_for(revoking, timeout=5)


def _record(events: Events, partition: TopicPartition, offset: int) -> Any:
    value = events.customer("c1").to_json()
    return ConsumerRecord(
        topic=partition.topic,
        partition=partition.partition,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=events.partner_id.encode(),
        value=value,
        checksum=None,
        serialized_key_size=len(events.partner_id),
        serialized_value_size=len(value),
        headers=(),
    )
