"""What every consumer reports on /metrics: events handled, dead letters by reason, retries, logs found new,
lag, and how long ago each partition last had a batch applied."""

from __future__ import annotations

import time
from collections.abc import Iterator

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


class _SinceApplied(Collector):
    """Seconds since a batch of each partition was last applied, computed when scraped."""

    def __init__(self) -> None:
        self.applied_at: dict[tuple[str, str, int], float] = {}

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "heyzack_consumer_seconds_since_applied",
            "Seconds since a batch of the partition was last applied",
            labels=["consumer", "topic", "partition"],
        )
        now = time.monotonic()
        for (consumer, topic, partition), at in list(self.applied_at.items()):
            family.add_metric([consumer, topic, str(partition)], now - at)
        yield family


_since_applied = _SinceApplied()
REGISTRY.register(_since_applied)


def handled(consumer: str, batch: Batch, refused: dict[TopicPartition, int]) -> None:
    now = time.monotonic()
    for partition, span in batch.spans.items():
        if partition not in refused:
            events_handled.labels(consumer, partition.topic).inc(span.end - span.start)
            _since_applied.applied_at[consumer, partition.topic, partition.partition] = now


def observe_lag(consumer: str, kafka: AIOKafkaConsumer, positions: dict[TopicPartition, int]) -> None:
    """`positions`: per partition of a fetch, the offset after its last record."""
    for partition, position in positions.items():
        end = kafka.highwater(partition)
        if end is not None:
            lag.labels(consumer, partition.topic, partition.partition).set(max(0, end - position))
