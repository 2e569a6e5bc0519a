"""The batching consumer loop: Kafka → typed events → a sink that applies them exactly once in effect.

Kafka delivers at least once. The sink applies a batch's effects together with the consumer position it
covers, in one atomic write of its own store; on (re)assignment the loop resumes from the positions the
sink stored, not from Kafka's committed offsets, so the store and its position can never disagree.
Messages that are not valid events go to the dead-letter topic before the batch is applied, so a
position never passes a message that went nowhere.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from prometheus_client import Counter, Gauge

from heyzack_shared.contracts import RejectedEvent, parse_event
from heyzack_shared.contracts.deadletter import DeadLetter
from heyzack_shared.envelope import Envelope
from heyzack_shared.kafka import new_producer
from heyzack_shared.service import stoppable

_log = logging.getLogger(__name__)
_handled = Counter(
    "heyzack_events_handled_total", "Messages handled (applied or dead-lettered)", ["consumer", "topic"]
)
_dead = Counter("heyzack_dead_letters_total", "Messages sent to the dead-letter topic", ["consumer"])
_lag = Gauge("heyzack_consumer_lag", "Messages behind the partition end", ["consumer", "topic", "partition"])


@dataclass(slots=True)
class Delivery:
    """An event and where it was read."""

    event: Envelope
    topic: str
    partition: int
    offset: int


@dataclass(slots=True)
class Batch:
    deliveries: list[Delivery] = field(default_factory=list)
    positions: dict[TopicPartition, int] = field(default_factory=dict)
    """Per partition, the offset of the next message to read once this batch is applied."""


class EventSink(Protocol):
    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """The stored next offset of each partition the sink has a position for."""
        ...

    async def apply(self, batch: Batch) -> None:
        """Apply the batch's effects and record `batch.positions`, atomically; duplicates are no-ops."""
        ...


@dataclass(frozen=True)
class ConsumerConfig:
    name: str
    bootstrap: str
    topics: Sequence[str]
    group_id: str
    max_records: int = 5000
    fetch_timeout_ms: int = 100
    restart_delay: float = 1.0


_STOP_TIMEOUT = 10.0


async def _stop(consumer: AIOKafkaConsumer) -> None:
    """Leave the group; bounded, because a broker that never answers a pending rebalance would otherwise
    hold shutdown (and the next restart) forever."""
    try:
        await asyncio.wait_for(consumer.stop(), _STOP_TIMEOUT)
    except TimeoutError:
        _log.warning("consumer did not stop within %.0fs; abandoning its connections", _STOP_TIMEOUT)


def consuming(config: ConsumerConfig, sink: EventSink) -> AbstractAsyncContextManager[None]:
    """Consume into `sink` while the block runs; on the way out, stop after the batch in hand (by a flag the
    loop checks between fetches: aiokafka can swallow a cancellation)."""
    return stoppable(
        lambda stop: _consume_forever(config, sink, stop),
        f"consumer {config.name}",
        timeout=_STOP_TIMEOUT + 5,
    )


async def _consume_forever(config: ConsumerConfig, sink: EventSink, stop: asyncio.Event) -> None:
    """Run a BatchConsumer until `stop` is set (or cancelled), starting again (with a fresh dead-letter
    producer) whenever the broker was unreachable; the loop resumes from the sink's stored positions."""
    while not stop.is_set():
        dead_letters = new_producer(config.bootstrap)
        try:
            await dead_letters.start()
            await BatchConsumer(config, sink, dead_letters, stop).run()
        except (KafkaError, OSError):
            _log.exception("consumer %s stopped; restarting in %.1fs", config.name, config.restart_delay)
        finally:
            await dead_letters.stop()
        await _pause(stop, config.restart_delay)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if asked to stop meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class BatchConsumer:
    def __init__(
        self,
        config: ConsumerConfig,
        sink: EventSink,
        dead_letters: AIOKafkaProducer,
        stop: asyncio.Event | None = None,
    ) -> None:
        self._config = config
        self._sink = sink
        self._dead_letters = dead_letters
        self._stop = stop or asyncio.Event()

    async def run(self) -> None:
        """Consume until stopped; after a failure, start again from the sink's stored positions."""
        while not self._stop.is_set():
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                _log.exception("consumer %s failed; restarting from stored positions", self._config.name)
                await _pause(self._stop, self._config.restart_delay)

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._config.bootstrap,
            group_id=self._config.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 * 1024 * 1024,
            fetch_max_bytes=64 * 1024 * 1024,
        )
        consumer.subscribe(list(self._config.topics), listener=_ResumeFromSink(consumer, self._sink))
        await consumer.start()
        try:
            while not self._stop.is_set():
                records = await consumer.getmany(
                    timeout_ms=self._config.fetch_timeout_ms, max_records=self._config.max_records
                )
                if records:
                    await self._handle(records)
                    self._observe_lag(consumer, records)
        finally:
            await _stop(consumer)

    async def _handle(self, records: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        batch = Batch()
        rejected: list[DeadLetter] = []
        for partition, messages in records.items():
            for message in messages:
                try:
                    event = parse_event(message.value)
                except RejectedEvent as rejection:
                    rejected.append(self._dead_letter(message, rejection.reason))
                    continue
                batch.deliveries.append(Delivery(event, message.topic, message.partition, message.offset))
            batch.positions[partition] = messages[-1].offset + 1
        await self._send_dead_letters(rejected)
        await self._sink.apply(batch)
        for partition, messages in records.items():
            _handled.labels(self._config.name, partition.topic).inc(len(messages))

    def _dead_letter(self, message: ConsumerRecord[bytes, bytes], reason: str) -> DeadLetter:
        return DeadLetter(
            reason=reason,
            consumer=self._config.name,
            source_topic=message.topic,
            source_partition=message.partition,
            source_offset=message.offset,
            source_key_base64=base64.b64encode(message.key).decode() if message.key else None,
            original_base64=base64.b64encode(message.value or b"").decode(),
            rejected_at=datetime.now(UTC),
        )

    async def _send_dead_letters(self, letters: list[DeadLetter]) -> None:
        deliveries = [
            await self._dead_letters.send(DeadLetter.topic, letter.model_dump_json().encode())
            for letter in letters
        ]
        for delivery, letter in zip(deliveries, letters, strict=True):
            await delivery
            _dead.labels(self._config.name).inc()
            _log.warning(
                "dead-lettered %s[%d]@%d: %s",
                letter.source_topic,
                letter.source_partition,
                letter.source_offset,
                letter.reason,
            )

    def _observe_lag(
        self, consumer: AIOKafkaConsumer, records: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> None:
        for partition, messages in records.items():
            end = consumer.highwater(partition)
            if end is not None:
                behind = max(0, end - messages[-1].offset - 1)
                _lag.labels(self._config.name, partition.topic, partition.partition).set(behind)


class _ResumeFromSink(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, consumer: AIOKafkaConsumer, sink: EventSink) -> None:
        self._consumer = consumer
        self._sink = sink

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        # Paused until the seeks are done: otherwise getmany may hand out records fetched from the
        # group's reset position while this listener still awaits the sink.
        self._consumer.pause(*assigned)
        try:
            stored = await self._sink.positions(assigned)
            for partition in assigned:
                if partition in stored:
                    self._consumer.seek(partition, stored[partition])
                else:
                    await self._consumer.seek_to_beginning(partition)
        finally:
            self._consumer.resume(*assigned)
