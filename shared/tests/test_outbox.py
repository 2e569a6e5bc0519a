"""The outbox against real PostgreSQL and a real Kafka-protocol broker."""

import asyncio
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from prometheus_client import REGISTRY

from heyzack_shared import outbox
from heyzack_shared.contracts import installations as inst
from heyzack_shared.contracts import parse_event, topics
from heyzack_shared.db import SHARED_MIGRATIONS, create_pool, migrate
from heyzack_shared.kafka import new_producer
from heyzack_shared.outbox import OutboxRelay
from heyzack_shared.service import stoppable
from heyzack_shared.testing import wait_until
from heyzack_shared.testing.published import PublishedUnder
from heyzack_stack.embedded import EmbeddedServer
from heyzack_stack.infra import Endpoints, ensure_database


def _customer(partner_id: str, number: int = 1) -> inst.CustomerRegistered:
    return inst.CustomerRegistered.new(
        partner_id=partner_id,
        aggregate_id=f"cus-{number}",
        aggregate_version=1,
        data=inst.CustomerRegisteredData(
            customer_id=f"cus-{number}", name=f"Customer {number}", email="c@example.com", active=True
        ),
    )


@pytest.fixture
async def database_url(infrastructure: Endpoints) -> str:
    name = f"outbox_{uuid.uuid4().hex[:12]}"
    await ensure_database(infrastructure, name)
    return infrastructure.database_url(name)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url)
    await migrate(pool, SHARED_MIGRATIONS)
    yield pool
    await pool.close()


@pytest.fixture
async def relay(pool: asyncpg.Pool, infrastructure: Endpoints) -> AsyncIterator[OutboxRelay]:
    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    relay = OutboxRelay(pool, producer, poll_interval=0.2)
    task = asyncio.create_task(relay.run())
    yield relay
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await producer.stop()


class Topic:
    """Reads one partner's events off the installations topic, from the beginning."""

    def __init__(self, bootstrap: str, partner_id: str) -> None:
        self.event_ids: list[uuid.UUID] = []
        self._published = PublishedUnder(bootstrap, topics.INSTALLATIONS, partner_id)

    async def __aenter__(self) -> "Topic":
        await self._published.__aenter__()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._published.__aexit__(None, None, None)

    async def read(self) -> list[uuid.UUID]:
        records = await self._published.read()
        self.event_ids.extend(parse_event(record.value).event_id for record in records[len(self.event_ids) :])
        return self.event_ids


async def _unsent(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    return count


async def test_a_rolled_back_transaction_emits_nothing(
    pool: asyncpg.Pool, relay: OutboxRelay, infrastructure: Endpoints
) -> None:
    partner = f"partner-{uuid.uuid4()}"
    rolled_back, committed = _customer(partner, 1), _customer(partner, 2)
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await outbox.append(conn, [rolled_back])
                raise RuntimeError("the use case failed after writing its event")
        async with conn.transaction():
            await outbox.append(conn, [committed])

    async with Topic(infrastructure.kafka_bootstrap, partner) as topic:
        await wait_until(lambda: _contains(topic, committed.event_id), message="committed event")
        assert rolled_back.event_id not in topic.event_ids
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1


async def test_a_transaction_that_commits_late_is_still_published(
    pool: asyncpg.Pool, relay: OutboxRelay, infrastructure: Endpoints
) -> None:
    partner = f"partner-{uuid.uuid4()}"
    early, late = _customer(partner, 1), _customer(partner, 2)
    async with pool.acquire() as slow, pool.acquire() as fast:
        slow_tx = slow.transaction()
        await slow_tx.start()
        await outbox.append(slow, [early])  # takes the lower id, commits last
        async with fast.transaction():
            await outbox.append(fast, [late])
        async with Topic(infrastructure.kafka_bootstrap, partner) as topic:
            await wait_until(lambda: _contains(topic, late.event_id), message="later row published")
            await slow_tx.commit()
            await wait_until(lambda: _contains(topic, early.event_id), message="late commit published")
    early_id, late_id = await pool.fetchval("SELECT array_agg(id ORDER BY id) FROM outbox")
    assert early_id < late_id, "the late-committing row really had the lower id"
    assert await _unsent(pool) == 0


async def test_events_are_sent_only_once_acknowledged_and_in_order(
    pool: asyncpg.Pool, relay: OutboxRelay, infrastructure: Endpoints
) -> None:
    partner = f"partner-{uuid.uuid4()}"
    events = [_customer(partner, n) for n in range(50)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, events)
    async with Topic(infrastructure.kafka_bootstrap, partner) as topic:
        await wait_until(lambda: _has_all(topic, events), message="all 50 events published")
        assert topic.event_ids == [e.event_id for e in events], "one partner's events keep their order"
    await wait_until(lambda: _unsent_is(pool, 0), message="rows marked sent")


async def test_a_relay_killed_mid_batch_loses_nothing(
    pool: asyncpg.Pool, database_url: str, infrastructure: Endpoints
) -> None:
    partner = f"partner-{uuid.uuid4()}"
    events = [_customer(partner, n) for n in range(5000)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, events)
    relay_script = str(Path(__file__).with_name("relay_process.py"))
    doomed = await asyncio.create_subprocess_exec(
        sys.executable, relay_script, database_url, infrastructure.kafka_bootstrap
    )
    try:
        await wait_until(lambda: _unsent_below(pool, len(events)), timeout=30, message="relay started")
    finally:
        doomed.send_signal(signal.SIGKILL)
        await doomed.wait()
    assert await _unsent(pool) > 0, "the relay was killed before it finished"

    producer = new_producer(infrastructure.kafka_bootstrap)
    await producer.start()
    try:
        while await OutboxRelay(pool, producer).publish_pending():
            pass
    finally:
        await producer.stop()
    assert await _unsent(pool) == 0
    async with Topic(infrastructure.kafka_bootstrap, partner) as topic:
        await wait_until(lambda: _has_all(topic, events), timeout=30, message="every event published")


async def test_mark_all_unsent_queues_the_history_again(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, [_customer("partner-x", n) for n in range(3)])
    await pool.execute("UPDATE outbox SET sent_at = now()")
    assert await outbox.mark_all_unsent(pool) == 3
    assert await _unsent(pool) == 3


async def test_a_broker_that_lost_its_topics_gets_the_whole_outbox_again(
    pool: asyncpg.Pool, own_broker: EmbeddedServer
) -> None:
    """The embedded broker restarted empty while the relay idles: the relay sees another broker epoch,
    and every row it had marked sent is published again, into topics it re-created."""
    bootstrap, partner = own_broker.server.url, f"partner-{uuid.uuid4()}"
    events = [_customer(partner, n) for n in range(20)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.append(conn, events)
    before = REGISTRY.get_sample_value("heyzack_outbox_republished_total") or 0.0

    def relay(stop: asyncio.Event) -> Coroutine[Any, Any, None]:
        return outbox.relay_forever(pool, bootstrap, stop, restart_delay=0.2, check_interval=0.2)

    async with stoppable(relay, "test-relay", timeout=10):
        async with Topic(bootstrap, partner) as topic:
            await wait_until(lambda: _has_all(topic, events), timeout=30, message="published once")
        first_epoch = await _epoch(pool)
        await own_broker.restart()
        await wait_until(lambda: _republished_since(pool, first_epoch), timeout=30, message="republished")
        async with Topic(bootstrap, partner) as topic:
            await wait_until(lambda: _has_all(topic, events), timeout=30, message="every event again")
            assert sorted(topic.event_ids) == sorted(e.event_id for e in events), "each of them once"
    assert REGISTRY.get_sample_value("heyzack_outbox_republished_total") == before + len(events)


async def _epoch(pool: asyncpg.Pool) -> str:
    epoch: str = await pool.fetchval("SELECT epoch FROM broker_epochs WHERE owner = 'outbox'")
    return epoch


async def _republished_since(pool: asyncpg.Pool, epoch: str) -> bool:
    return await _epoch(pool) != epoch and await _unsent(pool) == 0


async def _contains(topic: Topic, event_id: uuid.UUID) -> bool:
    return event_id in await topic.read()


async def _has_all(topic: Topic, events: list[inst.CustomerRegistered]) -> bool:
    return {e.event_id for e in events} <= set(await topic.read())


async def _unsent_is(pool: asyncpg.Pool, expected: int) -> bool:
    return await _unsent(pool) == expected


async def _unsent_below(pool: asyncpg.Pool, total: int) -> bool:
    return await _unsent(pool) < total
