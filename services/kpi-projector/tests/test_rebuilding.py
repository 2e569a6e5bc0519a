"""Readers are told when the figures are being rebuilt, and the projector rebuilds them by itself: after its
store lost its data (even with nothing new to read), and for a partition whose log ends before its stored
position."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping
from typing import Any

import httpx
import pytest
from aiokafka import TopicPartition
from kpi_projector_testkit import Events
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from running_projector import publish

from heyzack_shared.batches import Batch, Refused, Span
from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.kafka import create_topics
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints
from kpi_projector.app import create_app
from kpi_projector.read_models import ProjectionStore, ReadModels, live_generation
from kpi_projector.settings import ProjectorSettings, Role


class Gate:
    """The store, with batches held at a gate while it is shut (so a rebuild can be watched half-way)."""

    def __init__(self, store: ProjectionStore) -> None:
        self.store = store
        self.open = asyncio.Event()
        self.open.set()

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        return await self.store.positions(partitions)

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        await self.open.wait()
        return await self.store.apply(batch)

    async def broker_epoch(self) -> str | None:
        return await self.store.broker_epoch()

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        await self.store.restart(epoch, partitions)


@pytest.fixture
async def reads(settings: ProjectorSettings) -> AsyncIterator[httpx.AsyncClient]:
    """The read API alone (no consumer), as `PROJECTOR_ROLE=api` runs it."""
    app = create_app(settings.model_copy(update={"role": Role.API}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kpi-projector") as client:
            yield client


@pytest.fixture
async def topic(infrastructure: Endpoints) -> str:
    name = f"test.rebuilding.{uuid.uuid4().hex[:8]}"
    await create_topics(infrastructure.kafka_bootstrap, [name])
    return name


def consumer_of(infrastructure: Endpoints, topic: str) -> ConsumerConfig:
    name = f"rebuilding-{uuid.uuid4().hex[:8]}"
    return ConsumerConfig(
        name, infrastructure.kafka_bootstrap, [topic], name, max_records=50, check_interval=0.2
    )


def readiness(reads: httpx.AsyncClient, status: str) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return (await reads.get("/readyz")).json()["status"] == status

    return check


async def dashboard(reads: httpx.AsyncClient, token: str) -> Any:
    response = await reads.get("/v1/dashboard", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.json()


async def test_a_store_that_lost_its_data_says_so_until_it_is_rebuilt(
    infrastructure: Endpoints,
    topic: str,
    redis: Redis,
    namespace: str,
    events: Events,
    reads: httpx.AsyncClient,
    token: Callable[..., str],
) -> None:
    """Every key gone while the consumer idles: readers get 503 `rebuilding` and `rebuilding: true` on the
    dashboard (whose near-zero figures are not the partner's) until the figures are whole again."""
    partner_token = token(events.partner_id)
    await publish(
        infrastructure.kafka_bootstrap, topic, events.partner_id, [events.customer(f"c{n}") for n in range(5)]
    )
    gate = Gate(ProjectionStore(redis, await live_generation(redis, namespace), namespace))
    async with consuming(consumer_of(infrastructure, topic), gate):
        await wait_until(readiness(reads, "ready"), timeout=30, message="never ready")
        assert (await dashboard(reads, partner_token))["cards"]["total_customers"]["value"] == 5

        gate.open.clear()
        await redis.delete(*[key async for key in redis.scan_iter(f"{namespace}:*")])
        lost = await reads.get("/readyz")
        assert (lost.status_code, lost.json()["status"]) == (503, "rebuilding")
        assert (await dashboard(reads, partner_token))["rebuilding"] is True
        await wait_until(lambda: _partitions_left(reads), timeout=30, message="the consumer never restarted")
        assert (await reads.get("/readyz")).status_code == 503

        gate.open.set()
        await wait_until(readiness(reads, "ready"), timeout=30, message="never whole again")
    figures = await dashboard(reads, partner_token)
    assert (figures["rebuilding"], figures["cards"]["total_customers"]["value"]) == (False, 5)


async def _partitions_left(reads: httpx.AsyncClient) -> bool:
    body = (await reads.get("/readyz")).json()
    return bool(body.get("rebuilding", {}).get("projection", {}).get("partitions"))


async def test_positions_beyond_the_ends_are_read_again_from_the_beginning(
    infrastructure: Endpoints, topic: str, redis: Redis, namespace: str, events: Events
) -> None:
    """Positions stored for a log that was re-created since (shorter now): without the check the consumer
    would wait at offset 500 and the three customers would never count."""
    sent = await publish(
        infrastructure.kafka_bootstrap, topic, events.partner_id, [events.customer(f"c{n}") for n in range(3)]
    )
    partition = TopicPartition(topic, sent[0][0])
    store = ProjectionStore(redis, await live_generation(redis, namespace), namespace)
    watch = BrokerWatch(infrastructure.kafka_bootstrap, [topic])
    try:
        await store.restart(await watch.epoch(), {})
    finally:
        await watch.close()
    await (await store.apply(Batch([], {partition: Span(0, 500, from_beginning=True)})))
    config = consumer_of(infrastructure, topic)
    async with consuming(config, store):
        await wait_until(lambda: _position_is(store, partition, 3), timeout=30, message="never read again")
    counters = await ReadModels(redis, namespace).dashboard_counters(events.partner_id)
    assert counters.get("customer") == 3
    labels = {"consumer": config.name, "topic": topic, "reason": "truncated"}
    assert REGISTRY.get_sample_value("heyzack_consumer_new_logs_total", labels) == 1


async def _position_is(store: ProjectionStore, partition: TopicPartition, position: int) -> bool:
    return (await store.positions([partition])).get(partition) == position
