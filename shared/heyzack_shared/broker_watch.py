"""How a process notices that the broker no longer holds the logs it published to or read: the one place.

- **The topics are re-created first by us.** No client of ours has the broker create a topic (kafka.py);
  a watch creates each topic it watches, with the platform's partitions and `retention.ms=-1`, as soon as it
  finds it missing.
- **The broker's epoch.** The first record of `heyzack.broker-epoch.v1` is an id written by whichever
  process first found that topic missing or empty. A broker that lost its data (the embedded one, on every
  restart) lost that record too, and the next watch writes a new one. Outbox rows marked sent and consumer
  positions are recorded with the epoch they refer to: another epoch means they refer to logs that are gone.
  The epoch survives as long as the logs do, so a loss is noticed however late one looks.
- **A position beyond its partition's end** means that log was truncated or re-created. Exact even where
  the broker under-reports ends (the embedded one answers the base offset of its last record batch + 1): a
  position past the reported end is confirmed by fetching the record just before it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Collection, Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from heyzack_shared.contracts.topics import BROKER_EPOCH
from heyzack_shared.kafka import PARTITIONS, ensure_topics, new_producer

_log = logging.getLogger(__name__)
_MARKER = TopicPartition(BROKER_EPOCH, 0)
_CONFIRM_SECONDS = 1.0
"""How long a fetch may take to show the record before a position: past it, the record is not there."""


class BrokerWatch:
    """The topics a process needs, kept in existence, and the broker's epoch. Clients start on first use;
    every call raises KafkaError (or TimeoutError after `timeout` s) while no broker answers."""

    def __init__(
        self, bootstrap: str, topics: Iterable[str], *, partitions: int = PARTITIONS, timeout: float = 10.0
    ) -> None:
        self._bootstrap = bootstrap
        self._wanted = dict.fromkeys(topics, partitions) | {BROKER_EPOCH: 1}
        self._partitions = partitions
        self._timeout = timeout
        self._admin: AIOKafkaAdminClient | None = None
        self._reader: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def epoch(self) -> str:
        """Create whatever watched topic is missing, then read the broker's epoch (writing it if none)."""
        async with self._lock, asyncio.timeout(self._timeout):
            await self._ensure(self._wanted)
            return await self._read_epoch()

    async def ensure(self, topics: Collection[str]) -> None:
        """Create those of `topics` that are missing (the relay's, before it sends to them)."""
        async with self._lock, asyncio.timeout(self._timeout):
            await self._ensure(dict.fromkeys(topics, self._partitions))

    async def ends(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """Each partition's end offset as the broker reports it (the embedded broker's can be low)."""
        if not partitions:
            return {}
        async with self._lock, asyncio.timeout(self._timeout):
            reader = await self._started_reader()
            ends: dict[TopicPartition, int] = await reader.end_offsets(list(partitions))
            return ends

    async def beyond_end(self, positions: Mapping[TopicPartition, int]) -> set[TopicPartition]:
        """The partitions whose log ends before the given position: truncated, or re-created."""
        if not positions:
            return set()
        async with self._lock, asyncio.timeout(self._timeout):
            reader = await self._started_reader()
            ends = await reader.end_offsets(list(positions))
            past = {p: position for p, position in positions.items() if position > ends[p]}
            certain = {p for p in past if ends[p] == 0}
            unsure = {p: position for p, position in past.items() if p not in certain}
            return certain | await _without_record_before(reader, unsure)

    async def close(self) -> None:
        admin, self._admin = self._admin, None
        reader, self._reader = self._reader, None
        if admin is not None:
            await admin.close()
        if reader is not None:
            await reader.stop()

    async def _ensure(self, wanted: Mapping[str, int]) -> None:
        admin = await self._started_admin()
        for name in await ensure_topics(admin, wanted):
            _log.warning("created topic %s (%d partitions, kept forever): it was missing", name, wanted[name])

    async def _read_epoch(self) -> str:
        reader = await self._started_reader()
        if (await reader.end_offsets([_MARKER]))[_MARKER] == 0:
            await self._write_epoch()
        if reader.assignment() != {_MARKER}:  # (aiokafka logs every assignment)
            reader.assign([_MARKER])
        await reader.seek_to_beginning(_MARKER)
        while True:  # bounded by the caller's timeout
            fetched = await reader.getmany(_MARKER, timeout_ms=500)
            for record in fetched.get(_MARKER, []):
                return (record.value or b"").decode()

    async def _write_epoch(self) -> None:
        """Several processes may write at once: the first record is the epoch, whoever wrote it."""
        producer = new_producer(self._bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(BROKER_EPOCH, uuid.uuid4().hex.encode())
        finally:
            await producer.stop()

    async def _started_admin(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
            try:
                await admin.start()
            except BaseException:
                await admin.close()
                raise
            self._admin = admin
        return self._admin

    async def _started_reader(self) -> AIOKafkaConsumer:
        if self._reader is None:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                fetch_max_wait_ms=50,  # a fetch it no longer needs (after a new assignment) ends soon
            )
            try:
                await reader.start()
            except BaseException:
                await reader.stop()
                raise
            self._reader = reader
        return self._reader


async def _without_record_before(
    reader: AIOKafkaConsumer, positions: Mapping[TopicPartition, int]
) -> set[TopicPartition]:
    """Of `positions`, the partitions that hold no record at position - 1 (fetched from there, a log that
    reaches the position returns it at once; one that does not returns nothing, or, on a broker that resets
    an offset out of range, only records before it)."""
    if not positions:
        return set()
    reader.assign(list(positions))
    for partition, position in positions.items():
        reader.seek(partition, position - 1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _CONFIRM_SECONDS
    pending = set(positions)
    while pending and loop.time() < deadline:
        fetched = await reader.getmany(*pending, timeout_ms=200)
        pending -= {p for p, records in fetched.items() if any(r.offset >= positions[p] - 1 for r in records)}
    return pending
