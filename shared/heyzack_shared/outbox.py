"""The transactional outbox: events are written with the state change and relayed to Kafka afterwards.

Writers call `append` inside the transaction of their use case. One relay per service database
(leadership by advisory lock) publishes unsent rows in id order and marks a row sent only once the
broker acknowledged it. Selecting by `sent_at IS NULL`, never by "id greater than the last one seen",
is what keeps a row whose transaction commits late from being skipped.

The rows marked sent are recorded with the broker epoch they were sent under (broker_watch.py). When the
broker's epoch is another one, it no longer holds them (the embedded broker forgets everything when it
restarts): every row is published again, and consumers drop what they had already.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from asyncpg.pool import PoolConnectionProxy
from prometheus_client import Counter

from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.contracts.topics import ALL_TOPICS
from heyzack_shared.db import locked_broker_epoch, record_broker_epoch
from heyzack_shared.envelope import Envelope
from heyzack_shared.kafka import new_producer

CHANNEL = "heyzack_outbox"
_RELAY_LOCK = 7_211_002
_EPOCH_OWNER = "outbox"
_log = logging.getLogger(__name__)
_published = Counter("heyzack_outbox_published_total", "Events relayed from the outbox", ["topic"])
_republished = Counter(
    "heyzack_outbox_republished_total", "Events queued to be published again: the broker had lost them"
)


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


async def mark_all_unsent(db: asyncpg.Pool | Connection, since: datetime | None = None) -> int:
    """Queue a service's whole history (or what it emitted `since`) for publishing again: a broker that lost
    its topics, or an operator feeding a new consumer. Consumers deduplicate, so no figure changes."""
    status = await db.execute(
        "UPDATE outbox SET sent_at = NULL"
        " WHERE sent_at IS NOT NULL AND ($1::timestamptz IS NULL OR created_at >= $1)",
        since,
    )
    await db.execute(f"NOTIFY {CHANNEL}")
    return int(status.split()[-1])


async def unsent(db: asyncpg.Pool | Connection) -> int:
    count: int = await db.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
    return count


async def follow_broker(pool: asyncpg.Pool, epoch: str) -> int | None:
    """Record that the rows marked sent are on the broker of `epoch`. When they were recorded under another
    epoch (or none: a database from before epochs), that broker is gone with them: every row is queued again
    (returns how many), in the transaction that records the new epoch."""
    async with pool.acquire() as conn, conn.transaction():
        recorded = await locked_broker_epoch(conn, _EPOCH_OWNER)
        if recorded == epoch:
            return None
        queued = await mark_all_unsent(conn)
        await record_broker_epoch(conn, _EPOCH_OWNER, epoch)
    if recorded is None:
        if queued:
            _log.warning("no broker epoch recorded with the outbox: publishing all %d events again", queued)
    else:
        _republished.inc(queued)
        _log.error(
            "the broker's epoch is %s, not %s: it lost what this outbox published (a restart of a broker"
            " that keeps nothing, or another broker); publishing all %d events again",
            epoch,
            recorded,
            queued,
        )
    return queued


async def relay_forever(
    pool: asyncpg.Pool,
    kafka_bootstrap: str,
    stop: asyncio.Event,
    *,
    restart_delay: float = 2.0,
    check_interval: float = 2.0,
) -> None:
    """Relay until `stop` is set (checked between batches: aiokafka can swallow a cancellation). Commands
    are accepted while Kafka is unreachable: their events wait in the outbox, and the relay starts over
    with a fresh producer until the broker answers again. Every `check_interval` s it makes sure the
    broker still holds what was published (see `follow_broker`)."""
    watch = BrokerWatch(kafka_bootstrap, ALL_TOPICS)
    try:
        while not stop.is_set():
            producer = new_producer(kafka_bootstrap)
            try:
                await producer.start()
                await OutboxRelay(pool, producer, watch=watch, check_interval=check_interval).run(stop)
            except Exception:
                _log.exception("outbox relay stopped; restarting in %.1fs", restart_delay)
            finally:
                await producer.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), restart_delay)
    finally:
        await watch.close()


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        watch: BrokerWatch | None = None,
        check_interval: float = 2.0,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._watch = watch
        self._check_interval = check_interval
        self._checked_at: float | None = None
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
                if not conn.is_closed():  # PostgreSQL may have closed it (a restart): its lock went with it
                    await conn.remove_listener(CHANNEL, self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock($1)", _RELAY_LOCK)

    async def _publish_or_log(self) -> int:
        try:
            await self._follow_broker()
            return await self.publish_pending()
        except (KafkaError, asyncpg.PostgresError, OSError, TimeoutError):
            _log.exception("outbox relay could not publish; retrying in %.1fs", self._poll_interval)
            return 0

    async def _follow_broker(self) -> None:
        """Every `check_interval` s (first thing after a start): the topics exist, and the broker's epoch is
        the one the rows marked sent were sent under, else they are all queued again."""
        now = asyncio.get_running_loop().time()
        due = self._checked_at is None or now >= self._checked_at + self._check_interval
        if self._watch is not None and due:
            await follow_broker(self._pool, await self._watch.epoch())
            self._checked_at = now

    async def publish_pending(self) -> int:
        """Publish one batch of unsent rows; returns how many were acknowledged and marked sent."""
        rows = await self._pool.fetch(
            "SELECT id, topic, message_key, payload FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT $1",
            self._batch_size,
        )
        if rows and self._watch is not None:  # never leave a missing topic to the broker's defaults
            await self._watch.ensure({row["topic"] for row in rows})
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
