"""What a consumer hands its sink: the events of one fetch, and per partition the span of offsets they cover.

A sink applies a partition's part of a batch only when its span starts exactly at the position the sink stored
for that partition (the offset fence), and stores the span's end with the effects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Protocol, TypeAlias

from aiokafka import ConsumerRecord, TopicPartition

from heyzack_shared.contracts import RejectedEvent, parse_event
from heyzack_shared.envelope import Envelope

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"
Refused: TypeAlias = dict[TopicPartition, int]
"""The partitions a sink did not apply (the batch did not start at their stored position), with those
positions."""


@dataclass(slots=True)
class Delivery:
    """An event and where it was read; `record` is the message as it came (for a dead letter)."""

    event: Envelope
    topic: str
    partition: int
    offset: int
    record: Record | None = None


@dataclass(frozen=True, slots=True)
class Span:
    """The offsets `[start, end)` of one partition that a batch covers; `from_beginning` when the consumer
    read them right after a seek to the log's beginning (only such a batch may start a partition of which the
    store has no position: anything else means the store lost what it had)."""

    start: int
    end: int
    from_beginning: bool = False


FROM_THE_BEGINNING: Final = -1
"""A sink's answer for a refused partition of which it has no position: read it from the log's beginning."""


@dataclass(slots=True)
class Batch:
    deliveries: list[Delivery] = field(default_factory=list)
    spans: dict[TopicPartition, Span] = field(default_factory=dict)

    @property
    def positions(self) -> dict[TopicPartition, int]:
        """Per partition, the offset to read next once this batch is applied."""
        return {partition: span.end for partition, span in self.spans.items()}

    def only(self, partitions: Collection[TopicPartition]) -> Batch:
        return Batch(
            [d for d in self.deliveries if TopicPartition(d.topic, d.partition) in partitions],
            {partition: span for partition, span in self.spans.items() if partition in partitions},
        )

    def without(self, partitions: Collection[TopicPartition]) -> Batch:
        return self.only([partition for partition in self.spans if partition not in partitions])

    def halves(self) -> tuple[Batch, Batch]:
        """A one-partition batch of several events cut in two contiguous spans: each half can be fenced."""
        ((partition, span),) = self.spans.items()
        middle = len(self.deliveries) // 2
        cut = self.deliveries[middle].offset
        return (
            Batch(self.deliveries[:middle], {partition: Span(span.start, cut, span.from_beginning)}),
            Batch(self.deliveries[middle:], {partition: Span(cut, span.end)}),
        )

    def positions_only(self) -> Batch:
        """The same spans with no event: applying it only moves the positions past them."""
        return Batch([], dict(self.spans))


class EventSink(Protocol):
    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        """The stored next offset of each partition the sink has a position for."""
        ...

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        """Start applying the batch with its positions, atomically and fenced (fenced_batches.py);
        duplicates are no-ops. May return before the write lands: awaiting the result gives the refused
        partitions, or raises the write's error."""
        ...

    async def broker_epoch(self) -> str | None:
        """The broker epoch the stored positions refer to (broker_watch.py); None when none is recorded
        (a new store, or one that lost its data)."""
        ...

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        """The consumer reads `partitions` from their beginning again: forget their stored positions — and
        every stored position when `epoch` is not the recorded one, since those refer to the logs of a
        broker that no longer holds them — and record `epoch`. Each partition is being rebuilt until its
        position reaches the offset given (a store with readers tells them; 0: nothing to rebuild)."""
        ...


@dataclass(slots=True)
class Rejected:
    """A message that is not a valid event, and why."""

    record: Record
    reason: str


@dataclass(slots=True)
class Fetch:
    """What one fetch held: its events, the messages that are not events, and per partition the offsets of
    its first and last message."""

    deliveries: list[Delivery] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    offsets: dict[TopicPartition, tuple[int, int]] = field(default_factory=dict)

    def batch(self, spans: dict[TopicPartition, Span]) -> Batch:
        """The fetch's events of the partitions given a span, as one batch."""
        whole = Batch(self.deliveries, spans)
        return whole if len(spans) == len(self.offsets) else whole.only(spans)


def read_fetch(records: Iterable[Record]) -> Fetch:
    """Parse a fetch's messages (a fetch comes partition by partition)."""
    fetch = Fetch()
    deliveries, rejected, offsets = fetch.deliveries, fetch.rejected, fetch.offsets
    partition, first = TopicPartition("", -1), -1
    last = -1
    for record in records:
        topic, number, offset = record.topic, record.partition, record.offset
        if number != partition.partition or topic != partition.topic:
            if first >= 0:
                offsets[partition] = (first, last)
            partition, first = TopicPartition(topic, number), offset
        last = offset
        try:
            event = parse_event(record.value or b"")
        except RejectedEvent as rejection:
            rejected.append(Rejected(record, rejection.reason))
            continue
        deliveries.append(Delivery(event, topic, number, offset, record))
    if first >= 0:
        offsets[partition] = (first, last)
    return fetch
