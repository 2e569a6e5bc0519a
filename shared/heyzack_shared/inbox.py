"""A PostgreSQL sink for the batching consumer: effects, tracking records and positions in one transaction.

A domain service that reacts to other services' events gives `Inbox` a handler; each new event is handled
on the batch's connection, so whatever the handler writes (its own tables, outbox rows) commits together
with the record that the event was processed and with the consumer positions the batch covers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

import asyncpg
from aiokafka import TopicPartition

from heyzack_shared.consumer import Batch
from heyzack_shared.envelope import Envelope
from heyzack_shared.outbox import Connection

EventHandler = Callable[[Connection, Envelope], Awaitable[None]]


async def forget_positions(pool: asyncpg.Pool) -> None:
    """Read every topic from its beginning again (a broker that lost its topics): the processed-event
    records keep what was already handled from taking effect twice."""
    await pool.execute("DELETE FROM inbox_positions")


class Inbox:
    def __init__(self, pool: asyncpg.Pool, consumer: str, handle: EventHandler) -> None:
        self._pool = pool
        self._consumer = consumer
        self._handle = handle

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        rows = await self._pool.fetch(
            "SELECT topic, partition, next_offset FROM inbox_positions WHERE consumer = $1", self._consumer
        )
        stored = {TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        return {partition: stored[partition] for partition in partitions if partition in stored}

    async def apply(self, batch: Batch) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            for delivery in batch.deliveries:
                if await self._first_time(conn, delivery.event):
                    await self._handle(conn, delivery.event)
            await conn.executemany(
                "INSERT INTO inbox_positions (consumer, topic, partition, next_offset)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, topic, partition)"
                " DO UPDATE SET next_offset = EXCLUDED.next_offset",
                [(self._consumer, p.topic, p.partition, offset) for p, offset in batch.positions.items()],
            )

    async def _first_time(self, conn: Connection, event: Envelope) -> bool:
        recorded = await conn.fetchval(
            "INSERT INTO inbox_processed (consumer, event_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            self._consumer,
            event.event_id,
        )
        return bool(recorded)
