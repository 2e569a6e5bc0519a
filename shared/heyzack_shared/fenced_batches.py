"""The handler of a consumer's FastStream batch subscriber, and its rebalance listener.

- **The offset fence**: every batch names, per partition, the span of offsets it covers; the sink applies a
  partition's part only when that span starts at its stored position and otherwise answers with the
  stored position, and the consumer seeks there. A zombie member, a consumer that never sought, a batch
  lost to an error, a redelivery: a seek back, never a double count or a gap.
- **Write-behind, one batch deep**: a sink may return before its write has landed; the batch's outcome is
  settled in the background (so a quiet topic does not leave it unsettled) and before the next batch is
  sent or partitions are given up, so the store works while the next fetch is parsed.
- **Poison isolation**: a message that is not a valid event is dead-lettered before its batch is sent. A
  batch that fails to apply is retried while the failure is transient (transient.py) and otherwise split
  until the failing record stands alone; that record is dead-lettered with the error, and its partition
  moves on.
- **New logs**: where a partition resumes, and when it starts over from its beginning, is resume.py's
  policy; a periodic `check` applies it to an idle consumer too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import IllegalStateError
from faststream.kafka.subscriber.usecase import BatchSubscriber

from heyzack_shared import consumer_metrics as metrics
from heyzack_shared.batches import (
    FROM_THE_BEGINNING,
    Batch,
    EventSink,
    Fetch,
    Record,
    Refused,
    Rejected,
    Span,
    read_fetch,
)
from heyzack_shared.broker_watch import BrokerWatch
from heyzack_shared.dead_letters import DeadLetters
from heyzack_shared.resume import Resumption
from heyzack_shared.transient import backoff, is_transient

_log = logging.getLogger(__name__)

STOP_TIMEOUT = 10.0
"""Seconds a stop, or a revoke, waits for the batch in flight."""


async def pause_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if asked to stop meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


class _Stopping(Exception):
    """The consumer is being stopped while waiting out a failure: leave the batch unapplied."""


@dataclass(slots=True)
class _InFlight:
    batch: Batch
    outcome: asyncio.Future[Refused]


class FencedBatches:
    """The subscriber's handler and rebalance listener: reads each fetch into a batch, has the sink apply it
    (fenced), and settles its outcome in the background — seeking back where it was refused, waiting out
    transient failures, isolating poison — before the next batch is sent.

    A batch's span of a partition runs from where the consumer was reading (a seek, or the end of the
    previous batch) to aiokafka's position after the fetch, so offsets the broker skips (transaction
    markers, compaction) are covered. A fetch whose records lie outside that span, or whose partition was
    sought meanwhile, was read before a seek: it is dropped, and read again from the new position.
    """

    def __init__(
        self,
        name: str,
        sink: EventSink,
        dead_letters: DeadLetters,
        stop: asyncio.Event,
        watch: BrokerWatch,
        *,
        log_check_interval: float = 30.0,
    ) -> None:
        self.subscriber: BatchSubscriber | None = None
        self.listener = _ResumeFromSink(self)
        self._name = name
        self._sink = sink
        self._dead_letters = dead_letters
        self._stop = stop
        self._watch = watch
        self._resumption = Resumption(name, sink, watch, log_check_interval=log_check_interval)
        self._reading_from: dict[TopicPartition, int] = {}
        """Per partition, where the consumer reads next: a seek, or the end of the last batch sent."""
        self._settling: asyncio.Task[None] | None = None

    async def handle(self, records: Sequence[Record]) -> None:
        fetch = read_fetch(records)
        spans, taken_from = await self._spans(fetch)
        try:
            await self._settled()
            for partition in [p for p in spans if self._reading_from.get(p) != taken_from[p]]:
                del spans[partition]  # sought while this fetch waited: read again from there
            batch = fetch.batch(spans)
            if fetch.rejected:
                await self._dead_letters.reject([r for r in fetch.rejected if _partition_of(r) in spans])
            await self._send(batch)
        except _Stopping:
            _log.info(
                "consumer %s stopped while a batch waited; it is read again on the next start", self._name
            )
        except Exception:
            # Never let FastStream swallow an error and fetch on past this batch: start again from the store.
            _log.exception("consumer %s failed on a batch; resuming from the stored positions", self._name)
            await self._resync()
        self._observe(fetch)

    async def _spans(
        self, fetch: Fetch
    ) -> tuple[dict[TopicPartition, Span], dict[TopicPartition, int | None]]:
        consumer = self._consumer()
        spans: dict[TopicPartition, Span] = {}
        taken_from: dict[TopicPartition, int | None] = {}
        for partition, (first, last) in fetch.offsets.items():
            start = taken_from[partition] = self._reading_from.get(partition)
            try:
                end = await _position(consumer, partition) if consumer is not None else last + 1
            except (IllegalStateError, TimeoutError):  # revoked, or being reset, since the fetch
                continue
            if last >= end:
                continue  # read before a seek back: aiokafka's position is behind these records now
            if start is None or start == FROM_THE_BEGINNING:
                spans[partition] = Span(first, end, from_beginning=start == FROM_THE_BEGINNING)
            elif start <= first:
                spans[partition] = Span(start, end)
        return spans, taken_from

    async def _send(self, batch: Batch) -> None:
        if not batch.spans:
            return
        for partition, span in batch.spans.items():
            self._reading_from[partition] = span.end
        try:
            outcome = asyncio.ensure_future(await self._sink.apply(batch))
        except Exception as error:
            await self._recover(batch, error)
            return
        self._settling = asyncio.create_task(self._settle(_InFlight(batch, outcome)))

    async def _settled(self) -> None:
        """Wait until the batch in flight has landed, or been recovered."""
        settling = self._settling
        if settling is not None:
            await settling
            if self._settling is settling:
                self._settling = None

    async def _settle(self, in_flight: _InFlight) -> None:
        """Collect a batch's outcome (in the background, so that a quiet topic does not leave it
        unsettled): seek back where it was refused; wait out or isolate what failed."""
        try:
            try:
                refused = await in_flight.outcome
            except Exception as error:
                await self._recover(in_flight.batch, error)
                return
            await self._applied(in_flight.batch, refused)
        except _Stopping:
            pass
        except Exception:
            _log.exception(
                "consumer %s failed to settle a batch; resuming from the stored positions", self._name
            )
            await self._resync()

    async def _recover(self, batch: Batch, error: Exception) -> None:
        if is_transient(error):
            await self._apply_now(batch, error)
        else:
            await self._isolate(batch, error)

    async def _apply_now(self, batch: Batch, failure: Exception | None = None) -> None:
        """Apply `batch` and wait for it, retrying transient failures with capped backoff (never
        dead-lettering them); split it when it fails otherwise."""
        attempt = 0
        while True:
            if failure is not None:
                metrics.retries.labels(self._name).inc()
                delay = backoff(attempt)
                _log.warning("consumer %s: %r; retrying in %.2fs", self._name, failure, delay)
                await pause_unless_stopped(self._stop, delay)
                if self._stop.is_set():
                    raise _Stopping
                attempt += 1
            try:
                refused = await (await self._sink.apply(batch))
            except Exception as error:
                if is_transient(error) or not batch.deliveries:  # nothing to isolate: the store's own failure
                    failure = error
                    continue
                await self._isolate(batch, error)
                return
            await self._applied(batch, refused)
            return

    async def _isolate(self, batch: Batch, error: Exception) -> None:
        """Split a failing batch partition by partition, then in halves, until the failing record stands
        alone; dead-letter it and move its partition past it. A part the fence refuses ends its partition's
        recovery: the consumer was sought back and reads it again."""
        reading = dict(self._reading_from)
        if len(batch.spans) > 1:
            for partition in list(batch.spans):
                if self._reading_from.get(partition) == reading.get(partition):
                    await self._apply_now(batch.only([partition]))
            return
        ((partition, _),) = batch.spans.items()
        if len(batch.deliveries) > 1:
            for half in batch.halves():
                if self._reading_from.get(partition) != reading.get(partition):
                    return
                await self._apply_now(half)
            return
        await self._dead_letters.failed(batch.deliveries[0], error)
        await self._apply_now(batch.positions_only())

    async def _applied(self, batch: Batch, refused: Refused) -> None:
        metrics.handled(self._name, batch, refused)
        for partition, position in refused.items():
            await self._seek(partition, position)

    async def _seek(self, partition: TopicPartition, position: int) -> None:
        consumer = self._consumer()
        if consumer is None or partition not in consumer.assignment():
            return
        if position == FROM_THE_BEGINNING:
            _log.warning(
                "consumer %s: the store has no position for %s (it lost its data?): reading it from the"
                " beginning",
                self._name,
                partition,
            )
            await self._resumption.start_over(partition, self._reading_from.get(partition))
            await consumer.seek_to_beginning(partition)
        else:
            _log.warning("consumer %s: %s resumes at its stored position %d", self._name, partition, position)
            consumer.seek(partition, position)
        self._reading_from[partition] = position

    def _consumer(self) -> AIOKafkaConsumer | None:
        return self.subscriber.consumer if self.subscriber is not None else None

    def _observe(self, fetch: Fetch) -> None:
        consumer = self._consumer()
        if consumer is not None:
            metrics.observe_lag(self._name, consumer, {p: last + 1 for p, (_, last) in fetch.offsets.items()})

    async def _resync(self) -> None:
        consumer = self._consumer()
        if consumer is not None:
            await self.assigned(consumer.assignment())

    async def check(self) -> None:
        """Every few seconds: resume again from the store when the broker, or the store, lost its data since
        the last assignment, or a log ends before its stored position (a consumer with nothing to read, or
        waiting beyond a log's end, would otherwise not notice)."""
        consumer = self._consumer()
        if consumer is None:
            return
        try:
            changed = await self._resumption.changed(consumer.assignment())
        except Exception as error:
            _log.warning("consumer %s could not check the broker and its store: %r", self._name, error)
            return
        if changed:
            await self._resync()

    async def assigned(self, partitions: Collection[TopicPartition]) -> None:
        """Resume each partition from its stored position (resume.py); paused before anything else, and
        until then."""
        consumer = self._consumer()
        if consumer is None or not partitions:
            return
        consumer.pause(*partitions)
        had = {p: self._reading_from.pop(p) for p in partitions if p in self._reading_from}
        attempt = 0
        while True:
            try:
                await self._wait_for_in_flight()
                stored = await self._resumption.resume(partitions, had)
                break
            except Exception as error:
                if self._stop.is_set():
                    return
                delay = backoff(attempt)
                attempt += 1
                _log.warning(
                    "consumer %s cannot read its positions (%r); retrying in %.2fs", self._name, error, delay
                )
                await pause_unless_stopped(self._stop, delay)
        for partition in partitions:
            if partition in stored:
                consumer.seek(partition, stored[partition])
                self._reading_from[partition] = stored[partition]
            else:
                await consumer.seek_to_beginning(partition)
                self._reading_from[partition] = FROM_THE_BEGINNING
        consumer.resume(*partitions)

    async def revoked(self, partitions: Collection[TopicPartition]) -> None:
        """Let the batch in flight land (or fail) before the partitions go to another member."""
        for partition in partitions:
            self._reading_from.pop(partition, None)
        await self._wait_for_in_flight()

    async def _wait_for_in_flight(self) -> None:
        settling = self._settling
        if settling is not None and settling is not asyncio.current_task():
            await asyncio.wait([settling], timeout=STOP_TIMEOUT)

    async def close(self) -> None:
        """On shutdown: the batch in flight lands or not; the stored positions say where to resume."""
        settling, self._settling = self._settling, None
        if settling is not None:
            settling.cancel()
            await asyncio.gather(settling, return_exceptions=True)
        await self._watch.close()


class _ResumeFromSink(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, handler: FencedBatches) -> None:
        self._handler = handler

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        await self._handler.revoked(revoked)

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        await self._handler.assigned(assigned)


async def _position(consumer: AIOKafkaConsumer, partition: TopicPartition) -> int:
    """aiokafka's position after the fetch: known at once, unless the partition was reset meanwhile (then
    the fetch is stale anyway, and is read again)."""
    position: int = await asyncio.wait_for(consumer.position(partition), 1.0)
    return position


def _partition_of(rejected: Rejected) -> TopicPartition:
    return TopicPartition(rejected.record.topic, rejected.record.partition)
