"""What every consumer reports on /metrics: events handled, dead letters by reason, retries, logs found new,
lag, how long ago each partition last had a batch applied, and whether it is stalled."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from heyzack_shared.batches import Batch

events_handled = Counter(
    "heyzack_events_handled_total", "Messages applied (or found to be duplicates)", ["consumer", "topic"]
)
dead_letters = Counter(
    "heyzack_dead_letters_total",
    "Messages sent to the dead-letter topic, by reason (malformed, unknown, missing, invalid, apply:<error>)",
    ["consumer", "reason"],
)
retries = Counter(
    "heyzack_consumer_retries_total", "Batches tried again after a transient failure", ["consumer"]
)
new_logs = Counter(
    "heyzack_consumer_new_logs_total",
    "Partitions read from their beginning again because their log is new: reason `broker` (the broker's"
    " epoch changed: it lost its data) or `truncated` (the log ends before the stored position)",
    ["consumer", "topic", "reason"],
)
lag = Gauge(
    "heyzack_consumer_lag",
    "Messages behind the partition's end (approximate)",
    ["consumer", "topic", "partition"],
)


STALLED_AFTER_SECONDS = 120.0
"""A partition behind its end with no batch applied for this long is stalled, not merely lagging."""

Key = tuple[str, str, int]


class PartitionProgress(Collector):
    """Per partition of each consumer, computed when scraped: seconds since a batch was last applied, and
    whether it is stalled (behind, and nothing applied for STALLED_AFTER_SECONDS: a store it waits for, a
    consumer that lost its partitions) rather than lagging while it works."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.applied_at: dict[Key, float] = {}
        self.behind: dict[Key, int] = {}
        self.behind_since: dict[Key, float] = {}

    def applied(self, key: Key) -> None:
        self.applied_at[key] = self.clock()

    def lag(self, key: Key, messages: int) -> None:
        if messages > 0 and self.behind.get(key, 0) == 0:
            self.behind_since[key] = self.clock()
        self.behind[key] = messages

    def stalled(self, key: Key) -> bool:
        if self.behind.get(key, 0) == 0:
            return False
        last = max(self.applied_at.get(key, 0.0), self.behind_since.get(key, 0.0))
        return self.clock() - last > STALLED_AFTER_SECONDS

    def collect(self) -> Iterator[Metric]:
        labels = ["consumer", "topic", "partition"]
        since = GaugeMetricFamily(
            "heyzack_consumer_seconds_since_applied",
            "Seconds since a batch of the partition was last applied",
            labels=labels,
        )
        stalled = GaugeMetricFamily(
            "heyzack_consumer_stalled",
            f"1 when the partition is behind and nothing was applied for {STALLED_AFTER_SECONDS:.0f} s",
            labels=labels,
        )
        now = self.clock()
        for key, at in list(self.applied_at.items()):
            since.add_metric([key[0], key[1], str(key[2])], now - at)
        for key in list(self.behind):
            stalled.add_metric([key[0], key[1], str(key[2])], 1.0 if self.stalled(key) else 0.0)
        yield since
        yield stalled


progress = PartitionProgress()
REGISTRY.register(progress)


def handled(consumer: str, batch: Batch, refused: dict[TopicPartition, int]) -> None:
    for partition, span in batch.spans.items():
        if partition not in refused:
            events_handled.labels(consumer, partition.topic).inc(span.end - span.start)
            progress.applied((consumer, partition.topic, partition.partition))


def observe_lag(consumer: str, kafka: AIOKafkaConsumer, positions: dict[TopicPartition, int]) -> None:
    """`positions`: per partition of a fetch, the offset after its last record."""
    for partition, position in positions.items():
        end = kafka.highwater(partition)
        if end is not None:
            behind = max(0, end - position)
            lag.labels(consumer, partition.topic, partition.partition).set(behind)
            progress.lag((consumer, partition.topic, partition.partition), behind)
