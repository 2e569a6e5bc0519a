"""Where a consumer resumes each partition it is given: the position its sink stored, unless that position
belongs to a log the broker no longer holds. The policy, for every consumer:

- **Another broker epoch** (broker_watch.py) than the one recorded with the positions: the broker lost its
  data (the embedded one, on every restart) and every log is new. Every stored position is void; every
  partition is read from its beginning.
- **A stored position beyond its partition's end**: that log was truncated or re-created. It is read from
  its beginning.
- **No position at all** (a new store, or one that lost its data): read from the beginning.

A partition read from its beginning is being rebuilt until its position reaches the end it had then, or the
position the consumer had reached in it when the store lost its data: the sink keeps that target for its
readers. A new log and a truncated one are reported as errors (logged, and counted in
`heyzack_consumer_new_logs_total`): on a broker that keeps its data they are an operator's or a disaster's
doing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping

from aiokafka import TopicPartition

from heyzack_shared import consumer_metrics as metrics
from heyzack_shared.batches import EventSink
from heyzack_shared.broker_watch import BrokerWatch

_log = logging.getLogger(__name__)


class Resumption:
    def __init__(
        self, consumer: str, sink: EventSink, watch: BrokerWatch, *, log_check_interval: float = 30.0
    ) -> None:
        self._consumer = consumer
        self._sink = sink
        self._watch = watch
        self._log_check_interval = log_check_interval
        self._logs_checked_at: float | None = None
        self.epoch: str | None = None
        """The broker epoch of the last assignment."""

    async def resume(
        self, partitions: Collection[TopicPartition], had: Mapping[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        """The stored positions of `partitions` that are still good; every other one is restarted in the
        sink, to be read from its beginning. `had`: where the consumer was reading each partition."""
        epoch = await self._watch.epoch()
        recorded = await self._sink.broker_epoch()
        stored = await self._sink.positions(partitions) if recorded == epoch else {}
        truncated = await self._watch.beyond_end(stored)
        self._logs_checked_at = asyncio.get_running_loop().time()
        self._report(partitions, recorded, epoch, truncated)
        kept = {p: position for p, position in stored.items() if p not in truncated}
        fresh = [p for p in partitions if p not in kept]
        if fresh or recorded != epoch:
            same_log = recorded in (None, epoch)
            reached = {p: had[p] for p in fresh if same_log and p in had and p not in truncated}
            await self._restart(epoch, fresh, reached)
        self.epoch = epoch
        return kept

    async def start_over(self, partition: TopicPartition, had: int | None) -> None:
        """The sink has no position for a partition the consumer was reading at `had`: it lost its data."""
        epoch = self.epoch or await self._watch.epoch()
        await self._restart(epoch, [partition], {} if had is None else {partition: had})

    async def changed(self, assignment: Collection[TopicPartition]) -> bool:
        """Whether the broker's epoch, or the one the sink records, is not the one of the last assignment (a
        broker, or a store, that lost its data while the consumer had nothing to read); and, every
        `log_check_interval` s, whether a stored position of `assignment` lies beyond its log's end (a topic
        re-created or truncated under a running consumer, which would otherwise skip the new log up to its
        old position without a word)."""
        epoch = await self._watch.epoch()
        if epoch != self.epoch or await self._sink.broker_epoch() != epoch:
            return True
        now = asyncio.get_running_loop().time()
        if self._logs_checked_at is not None and now < self._logs_checked_at + self._log_check_interval:
            return False
        self._logs_checked_at = now
        return bool(await self._watch.beyond_end(await self._sink.positions(assignment)))

    async def _restart(
        self, epoch: str, partitions: Collection[TopicPartition], had: Mapping[TopicPartition, int]
    ) -> None:
        ends = await self._watch.ends(partitions)
        await self._sink.restart(epoch, {p: max(ends[p], had.get(p, 0)) for p in partitions})

    def _report(
        self,
        partitions: Collection[TopicPartition],
        recorded: str | None,
        epoch: str,
        truncated: Collection[TopicPartition],
    ) -> None:
        if recorded is not None and recorded != epoch:
            _log.error(
                "consumer %s: the broker's epoch is %s, not %s: its logs are new (it lost its data, or is"
                " another broker); reading every partition from its beginning",
                self._consumer,
                epoch,
                recorded,
            )
            for partition in partitions:
                metrics.new_logs.labels(self._consumer, partition.topic, "broker").inc()
        elif recorded is None:
            _log.warning(
                "consumer %s: its store records no broker epoch (a new store, or one that lost its data):"
                " reading every partition it has no position for from its beginning",
                self._consumer,
            )
        for partition in truncated:
            _log.error(
                "consumer %s: %s ends before its stored position: the log was truncated or re-created;"
                " reading it from its beginning",
                self._consumer,
                partition,
            )
            metrics.new_logs.labels(self._consumer, partition.topic, "truncated").inc()
