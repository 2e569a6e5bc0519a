"""A PostgreSQL sink for the batching consumer: effects, tracking records and positions in one transaction.

A domain service that reacts to other services' events gives `Inbox` a handler; each new event is handled
on the batch's connection, so whatever the handler writes (its own tables, outbox rows) commits together
with the record that the event was processed and with the consumer positions the batch covers.

Fenced (see consumer.py): the batch's positions rows are locked first, and a partition's events are handled
only when the batch's span starts at the stored position; otherwise the stored one is answered. A handler
that raises rolls the whole batch back.

The positions refer to the broker epoch recorded beside them (broker_watch.py). A partition whose log is
new (another epoch, or a log that ends before its position) is read from its beginning again: its position
is forgotten, and the processed-event records keep what was handled from taking effect twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping

import asyncpg
from aiokafka import TopicPartition

from heyzack_shared.batches import FROM_THE_BEGINNING, Batch, Refused
from heyzack_shared.db import locked_broker_epoch, record_broker_epoch, recorded_broker_epoch
from heyzack_shared.envelope import Envelope
from heyzack_shared.outbox import Connection
from heyzack_shared.transient import StoreUnavailable

EventHandler = Callable[[Connection, Envelope], Awaitable[None]]


class Inbox:
    def __init__(self, pool: asyncpg.Pool, consumer: str, handle: EventHandler) -> None:
        self._pool = pool
        self._consumer = consumer
        self._handle = handle
        self._epoch_owner = f"inbox:{consumer}"

    async def broker_epoch(self) -> str | None:
        return await recorded_broker_epoch(self._pool, self._epoch_owner)

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        """Forget the positions of `partitions` (of every partition under another epoch), record `epoch`;
        the inbox has no readers to tell about a rebuild. Members of one group restart one at a time."""
        async with self._pool.acquire() as conn, conn.transaction():
            if await locked_broker_epoch(conn, self._epoch_owner) != epoch:
                await conn.execute("DELETE FROM inbox_positions WHERE consumer = $1", self._consumer)
            await conn.executemany(
                "DELETE FROM inbox_positions WHERE consumer = $1 AND topic = $2 AND partition = $3",
                [(self._consumer, p.topic, p.partition) for p in partitions],
            )
            await record_broker_epoch(conn, self._epoch_owner, epoch)

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        rows = await self._pool.fetch(
            "SELECT topic, partition, next_offset FROM inbox_positions WHERE consumer = $1", self._consumer
        )
        stored = {TopicPartition(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        return {partition: stored[partition] for partition in partitions if partition in stored}

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        """Apply the batch now; the result is already settled."""
        try:
            conn = await self._pool.acquire()
        except Exception as error:  # e.g. a database not accepting connections: not the events' fault
            raise StoreUnavailable(f"no connection to the database: {error!r}") from error
        try:
            refused = await self._applied(conn, batch)
        finally:
            await self._pool.release(conn)
        outcome: asyncio.Future[Refused] = asyncio.get_running_loop().create_future()
        outcome.set_result(refused)
        return outcome

    async def _applied(self, conn: Connection, batch: Batch) -> Refused:
        async with conn.transaction():
            refused = await self._fence(conn, batch)
            for delivery in batch.deliveries:
                if (delivery.topic, delivery.partition) in refused:  # a TopicPartition is that tuple
                    continue
                if await self._first_time(conn, delivery.event):
                    await self._handle(conn, delivery.event)
            await conn.executemany(
                "INSERT INTO inbox_positions (consumer, topic, partition, next_offset)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, topic, partition)"
                " DO UPDATE SET next_offset = EXCLUDED.next_offset",
                [
                    (self._consumer, p.topic, p.partition, span.end)
                    for p, span in batch.spans.items()
                    if p not in refused
                ],
            )
        return refused

    async def _fence(self, conn: Connection, batch: Batch) -> Refused:
        """The batch's partitions whose span does not start at the stored position, with that position (or,
        with none stored, that were not read from the log's beginning); the rows stay locked until the batch
        commits, so two members cannot both pass the fence."""
        rows = await conn.fetch(
            "SELECT topic, partition, next_offset FROM inbox_positions"
            " WHERE consumer = $1 AND topic = ANY($2::text[]) ORDER BY topic, partition FOR UPDATE",
            self._consumer,
            sorted({p.topic for p in batch.spans}),
        )
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        refused: Refused = {}
        for p, span in batch.spans.items():
            position = stored.get((p.topic, p.partition))
            if position is None and not span.from_beginning:
                refused[p] = FROM_THE_BEGINNING
            elif position is not None and position != span.start:
                refused[p] = position
        return refused

    async def _first_time(self, conn: Connection, event: Envelope) -> bool:
        recorded = await conn.fetchval(
            "INSERT INTO inbox_processed (consumer, event_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            self._consumer,
            event.event_id,
        )
        return bool(recorded)
