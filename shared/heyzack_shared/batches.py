"""What a consumer hands its sink: the events of one fetch, and per partition the span of offsets they cover.

A sink applies a partition's part of a batch only when its span starts exactly at the position the sink stored
for that partition (the offset fence), and stores the span's end with the effects.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

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
    """The offsets `[start, end)` of one partition that a batch covers."""

    start: int
    end: int

    @property
    def bounds(self) -> tuple[int, int]:
        return self.start, self.end


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
            Batch(self.deliveries[:middle], {partition: Span(span.start, cut)}),
            Batch(self.deliveries[middle:], {partition: Span(cut, span.end)}),
        )

    def positions_only(self) -> Batch:
        """The same spans with no event: applying it only moves the positions past them."""
        return Batch([], dict(self.spans))


@dataclass(slots=True)
class Rejected:
    """A message that is not a valid event, and why."""

    record: Record
    reason: str


def read_batch(
    records: Iterable[Record], reading_from: Mapping[TopicPartition, int]
) -> tuple[Batch, list[Rejected]]:
    """Parse a fetch. A partition's span starts where the consumer was reading from (`reading_from`), so
    offsets a broker skipped (transaction markers, compaction) are covered, or else at its first record."""
    batch, rejected = Batch(), []
    deliveries = batch.deliveries
    firsts: dict[TopicPartition, int] = {}
    lasts: dict[TopicPartition, int] = {}
    partition = TopicPartition("", -1)
    for record in records:
        topic, number, offset = record.topic, record.partition, record.offset
        if number != partition.partition or topic != partition.topic:  # a fetch comes partition by partition
            partition = TopicPartition(topic, number)
            firsts.setdefault(partition, offset)
        lasts[partition] = offset
        try:
            event = parse_event(record.value or b"")
        except RejectedEvent as rejection:
            rejected.append(Rejected(record, rejection.reason))
            continue
        deliveries.append(Delivery(event, topic, number, offset, record))
    for partition, first in firsts.items():
        start = reading_from.get(partition, first)
        batch.spans[partition] = Span(start if start <= first else first, lasts[partition] + 1)
    return batch, rejected
