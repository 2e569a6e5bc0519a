"""Dead letters as operators handle them: listed, shown, redriven once (optionally corrected), or discarded.

A letter's id is `<partition>@<offset>` in the dead-letter topic. What was done with a letter is recorded in
the operations database, in the transaction that also covers the redrive: the row is written first, the
original is published, then the transaction commits; a failed publish rolls the row back, and a second
redrive or discard of the same letter finds the row and is refused.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from heyzack_shared.contracts import RejectedEvent, parse_event, topics
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.db import create_pool, migrate

MIGRATIONS: Final = Path(__file__).parent / "migrations"
_QUIET_MS: Final = 500


class Refused(Exception):
    """The operator's request cannot be done; the message says why."""


@dataclass(frozen=True)
class Letter:
    id: str
    letter: DeadLetter
    action: str | None = None
    """`redriven` or `discarded` once an operator acted on it."""

    @property
    def partner_id(self) -> str | None:
        key = self.letter.source_key_base64
        return base64.b64decode(key).decode(errors="replace") if key is not None else None


@dataclass(frozen=True)
class LetterFilter:
    consumer: str | None = None
    reason: str | None = None
    """Letters whose reason contains this text."""
    source_topic: str | None = None
    partner_id: str | None = None
    since: datetime | None = None
    open_only: bool = False

    def admits(self, letter: Letter) -> bool:
        found = letter.letter
        return (
            (self.consumer is None or found.consumer == self.consumer)
            and (self.reason is None or self.reason in found.reason)
            and (self.source_topic is None or found.source_topic == self.source_topic)
            and (self.partner_id is None or letter.partner_id == self.partner_id)
            and (self.since is None or found.rejected_at >= self.since)
            and not (self.open_only and letter.action is not None)
        )


def letter_id(partition: int, offset: int) -> str:
    return f"{partition}@{offset}"


def parse_letter_id(identifier: str) -> tuple[int, int]:
    partition, at, offset = identifier.partition("@")
    if not (at and partition.isdigit() and offset.isdigit()):
        raise Refused(f"{identifier[:40]!r} is not a letter id (<partition>@<offset>, as `list` shows them)")
    return int(partition), int(offset)


async def read_letters(bootstrap: str) -> list[tuple[str, DeadLetter]]:
    """Every letter in the dead-letter topic, oldest first per partition."""
    async with _reading(bootstrap) as consumer:
        numbers = consumer.partitions_for_topic(topics.DEADLETTER) or set()
        partitions = [TopicPartition(topics.DEADLETTER, number) for number in sorted(numbers)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[tuple[str, DeadLetter]] = []
        while True:
            batch = await consumer.getmany(timeout_ms=_QUIET_MS)
            for partition, records in batch.items():
                found += [(letter_id(partition.partition, r.offset), _letter(r.value)) for r in records]
            reached = all([await consumer.position(p) >= end for p, end in ends.items()])
            if reached and not batch:  # the broker's end offsets can lag: read until a quiet poll too
                return found


async def read_letter(bootstrap: str, identifier: str) -> DeadLetter:
    partition, offset = parse_letter_id(identifier)
    async with _reading(bootstrap) as consumer:
        where = TopicPartition(topics.DEADLETTER, partition)
        if partition not in (consumer.partitions_for_topic(topics.DEADLETTER) or set()):
            raise Refused(f"no letter {identifier}: the dead-letter topic has no partition {partition}")
        consumer.assign([where])
        consumer.seek(where, offset)
        records = (await consumer.getmany(where, timeout_ms=2_000)).get(where, [])
        record = next((r for r in records if r.offset == offset), None)
        if record is None:
            raise Refused(f"no letter {identifier} in {topics.DEADLETTER}")
        return _letter(record.value)


@asynccontextmanager
async def _reading(bootstrap: str) -> AsyncIterator[AIOKafkaConsumer]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:  # stopped even when it never started (an unreachable broker)
        await consumer.start()
        yield consumer
    finally:
        await consumer.stop()


def _letter(value: bytes | None) -> DeadLetter:
    return DeadLetter.model_validate_json(value or b"{}")


class Actions:
    """What operators did with letters, in the operations database."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    @asynccontextmanager
    async def opened(cls, url: str) -> AsyncIterator[Actions]:
        pool = await create_pool(url, max_size=2)
        try:
            await migrate(pool, MIGRATIONS)
            yield cls(pool)
        finally:
            await pool.close()

    async def taken(self) -> dict[str, str]:
        rows = await self._pool.fetch("SELECT letter_id, action FROM dead_letter_actions")
        return {row["letter_id"]: row["action"] for row in rows}

    @asynccontextmanager
    async def recording(
        self,
        identifier: str,
        action: str,
        *,
        operator: str,
        reason: str | None = None,
        corrected: str | None = None,
    ) -> AsyncIterator[None]:
        """Records the action; it stays recorded only if the block succeeds. Refused if one was recorded."""
        async with self._pool.acquire() as conn, conn.transaction():
            recorded = await conn.fetchval(
                "INSERT INTO dead_letter_actions (letter_id, action, reason, corrected_sha256, operator)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
                identifier,
                action,
                reason,
                corrected,
                operator,
            )
            if not recorded:
                earlier = await conn.fetchrow(
                    "SELECT action, operator, acted_at FROM dead_letter_actions WHERE letter_id = $1",
                    identifier,
                )
                assert earlier is not None
                raise Refused(
                    f"letter {identifier} was already {earlier['action']} by {earlier['operator']}"
                    f" at {earlier['acted_at']:%Y-%m-%d %H:%M:%S %Z}"
                )
            yield

    async def record(self, identifier: str, action: str, *, operator: str, reason: str) -> None:
        async with self.recording(identifier, action, operator=operator, reason=reason):
            pass


def replacement(letter: DeadLetter, corrected: bytes | None) -> bytes:
    """What a redrive publishes: the original, or the operator's correction, which must be a valid event of
    the same partner (the letter's key), so that it lands where the original would have."""
    if corrected is None:
        if letter.original_size is not None:
            raise Refused(
                f"the letter keeps only the first {len(letter.original)} of {letter.original_size} bytes:"
                " redrive it with a correction (--corrected FILE)"
            )
        return letter.original
    try:
        event = parse_event(corrected)
    except RejectedEvent as rejected:
        raise Refused(f"the correction is not a valid event: {rejected.reason}") from None
    key = base64.b64decode(letter.source_key_base64) if letter.source_key_base64 else None
    if key is not None and event.key != key:
        raise Refused("the correction belongs to another partner than the letter's key")
    if event.topic != letter.source_topic:
        raise Refused(f"the correction is a {event.event_type}, which belongs on {event.topic}")
    return corrected


async def publish_again(bootstrap: str, letter: DeadLetter, value: bytes) -> None:
    key = base64.b64decode(letter.source_key_base64) if letter.source_key_base64 else None
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        await producer.start()
        await producer.send_and_wait(letter.source_topic, value, key=key)
    finally:
        await producer.stop()
