"""The transactional outbox: events are written with the state change and relayed to Kafka afterwards.

Writers call `append` inside the transaction of their use case. One relay per service database
(leadership by advisory lock) publishes unsent rows in id order and marks a row sent only once the
broker acknowledged it. Selecting by `sent_at IS NULL`, never by "id greater than the last one seen",
is what keeps a row whose transaction commits late from being skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter

from heyzack_shared.envelope import Envelope
from heyzack_shared.kafka import new_producer

CHANNEL = "heyzack_outbox"
_RELAY_LOCK = 7_211_002
_log = logging.getLogger(__name__)
_published = Counter("heyzack_outbox_published_total", "Events relayed from the outbox", ["topic"])


Connection = asyncpg.Connection | PoolConnectionProxy


async def append(conn: Connection, events: Iterable[Envelope]) -> None:
    """Record events in the caller's transaction; the relay is woken when it commits."""
    rows = [(e.event_id, e.topic, e.key, e.to_json(), e.aggregate_id, e.aggregate_version) for e in events]
    await conn.executemany(
        "INSERT INTO outbox (event_id, topic, message_key, payload, aggregate_id, aggregate_version)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        rows,
    )
    await conn.execute(f"NOTIFY {CHANNEL}")


async def mark_all_unsent(pool: asyncpg.Pool) -> int:
    """Queue a service's whole history for publishing again (a broker that lost its topics)."""
    status = await pool.execute("UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL")
    return int(status.split()[-1])


async def relay_forever(
    pool: asyncpg.Pool, kafka_bootstrap: str, stop: asyncio.Event, *, restart_delay: float = 2.0
) -> None:
    """Relay until `stop` is set (checked between batches: aiokafka can swallow a cancellation). Commands
    are accepted while Kafka is unreachable: their events wait in the outbox, and the relay starts over
    with a fresh producer until the broker answers again."""
    while not stop.is_set():
        producer = new_producer(kafka_bootstrap)
        try:
            await producer.start()
            await OutboxRelay(pool, producer).run(stop)
        except (KafkaError, OSError):
            _log.exception("outbox relay stopped; restarting in %.1fs", restart_delay)
        finally:
            await producer.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), restart_delay)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Relay until `stop` is set (or cancelled). Waits for leadership first: extra replicas stand by."""
        stop = stop or asyncio.Event()
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _RELAY_LOCK)
            await conn.add_listener(CHANNEL, self._on_notify)
            try:
                while not stop.is_set():
                    if await self._publish_or_log() < self._batch_size:
                        await self._idle(stop)
            finally:
                await conn.remove_listener(CHANNEL, self._on_notify)
                await conn.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)

    async def _publish_or_log(self) -> int:
        try:
            return await self.publish_pending()
        except (KafkaError, asyncpg.PostgresError, OSError):
            _log.exception("outbox relay could not publish; retrying in %.1fs", self._poll_interval)
            return 0

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were acknowledged and marked sent."""
        rows = await self._pool.fetch(
            "SELECT id, topic, message_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            self._batch_size,
        )
        acknowledged = await self._send_in_order(rows)
        if acknowledged:
            await self._pool.execute(
                "UPDATE outbox SET sent_at = now() WHERE id = ANY($1::bigint[])", acknowledged
            )
        return len(acknowledged)

    async def _send_in_order(self, rows: Sequence[asyncpg.Record]) -> list[int]:
        """Send all, then keep the acknowledged prefix: a failed row and those after it are retried."""
        pending = [
            await self._producer.send(row["topic"], row["payload"], key=row["message_key"]) for row in rows
        ]
        acknowledged: list[int] = []
        for row, delivery in zip(rows, pending, strict=True):
            try:
                await delivery
            except KafkaError:
                _log.exception("broker refused outbox row %s; retrying from there", row["id"])
                break
            acknowledged.append(row["id"])
            _published.labels(row["topic"]).inc()
        return acknowledged

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until a new row is announced, the poll interval has passed, or the relay is asked to stop."""
        waits = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(waits, timeout=self._poll_interval, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                wait.cancel()
        self._wake.clear()
