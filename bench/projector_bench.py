"""The projector's throughput next to the raw Kafka consume rate of the same events (`make bench`).

Starts the infrastructure (or uses the servers named by the environment), publishes a realistic installations
workload into a fresh topic, then measures, over the same messages:
  (a) aiokafka `getmany` alone, bytes in and nothing else;
  (b) the projector: the shared FastStream batch subscriber (`heyzack_shared.consumer`: parse, dead-letter
      check, offset fence) + `ProjectionStore` (merge, one Lua call per batch with exactly-once bookkeeping)
      into a fresh namespace, until the last event is applied;
and checks every partner's dashboard against the figures computed from the workload itself.
Rates exclude the first batch (consumer start-up and group join are not throughput).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Collection, Mapping
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import workload
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from heyzack_shared.batches import Batch, Refused
from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.contracts import parse_event
from heyzack_shared.kafka import create_topics
from heyzack_stack.infra import Endpoints, start_infrastructure
from kpi_projector import queries
from kpi_projector.app import tune_garbage_collector
from kpi_projector.projections import project_all
from kpi_projector.read_models import ProjectionStore, ReadModels
from kpi_projector.settings import ProjectorSettings

BATCH = ProjectorSettings.model_fields["batch_size"].default  # as the projector runs
PARTITIONS = 6


class _TimedSink:
    """The projector's store, timed; tells when every partition is applied up to its end offset."""

    def __init__(self, store: ProjectionStore, ends: dict[TopicPartition, int]) -> None:
        self.store, self.ends = store, ends
        self.reached: dict[TopicPartition, int] = {}
        self.applied = self.first_batch = 0
        self.first_done = self.last_done = self.apply_seconds = 0.0
        self.done = asyncio.Event()

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        return await self.store.positions(partitions)

    async def broker_epoch(self) -> str | None:
        return await self.store.broker_epoch()

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        await self.store.restart(epoch, partitions)

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        started = time.perf_counter()
        landing = await self.store.apply(batch)
        self.apply_seconds += time.perf_counter() - started
        return asyncio.ensure_future(self._landed(batch, landing))

    async def _landed(self, batch: Batch, landing: Awaitable[Refused]) -> Refused:
        refused = await landing
        self.reached.update((p, end) for p, end in batch.positions.items() if p not in refused)
        self.last_done = time.perf_counter()
        self.applied += len(batch.deliveries)
        if not self.first_batch:
            self.first_batch, self.first_done = self.applied, self.last_done
        if all(self.reached.get(p, 0) >= end for p, end in self.ends.items()):
            self.done.set()
        return refused


async def produce(
    bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]
) -> tuple[float, dict[TopicPartition, int]]:
    """The publishing rate, and each partition's end offset once everything is published."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1024 * 1024
    )
    await producer.start()
    try:
        started, ends = time.perf_counter(), {}
        for first in range(0, len(messages), 20_000):
            chunk = messages[first : first + 20_000]
            sent = [await producer.send(topic, value, key=key) for key, value in chunk]
            for metadata in await asyncio.gather(*sent):
                partition = TopicPartition(topic, metadata.partition)
                ends[partition] = max(ends.get(partition, 0), metadata.offset + 1)
        return len(messages) / (time.perf_counter() - started), ends
    finally:
        await producer.stop()


async def raw_consume(bootstrap: str, topic: str, total: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1024 * 1024,
        fetch_max_bytes=64 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        seen = first_batch = 0
        first_done = 0.0
        while seen < total:
            records = await consumer.getmany(timeout_ms=100, max_records=BATCH)
            seen += sum(len(messages) for messages in records.values())
            if seen and not first_batch:
                first_batch, first_done = seen, time.perf_counter()
        return (seen - first_batch) / (time.perf_counter() - first_done)
    finally:
        await consumer.stop()


async def project(
    endpoints: Endpoints, topic: str, ends: dict[TopicPartition, int], redis: Redis
) -> tuple[_TimedSink, str]:
    namespace = f"bench-{uuid.uuid4().hex[:8]}"
    sink = _TimedSink(ProjectionStore(redis, "g1", namespace), ends)
    config = ConsumerConfig(
        name="bench",
        bootstrap=endpoints.kafka_bootstrap,
        topics=[topic],
        group_id=namespace,
        max_records=BATCH,
    )
    try:
        async with consuming(config, sink):
            await asyncio.wait_for(sink.done.wait(), timeout=600)
    finally:
        await sink.store.close()
    return sink, namespace


async def check(redis: Redis, namespace: str, expected: dict[str, workload.Expected]) -> list[str]:
    read_models, wrong = ReadModels(redis, namespace), []
    for partner_id, figures in expected.items():
        counters = await read_models.dashboard_counters(partner_id)
        cards = queries.dashboard(partner_id, counters, now=datetime.now(UTC), zone=ZoneInfo("UTC")).cards
        got = (
            cards.total_customers.value,
            cards.active_installations.value,
            cards.completed_installations.value,
            cards.available_handymen.available,
            cards.available_handymen.total,
        )
        want = (
            figures.customers,
            figures.installations,
            figures.completed,
            figures.available,
            figures.handymen,
        )
        if got != want:
            wrong.append(f"{partner_id}: got {got}, expected {want}")
    return wrong


def cpu_rates(values: list[bytes]) -> tuple[float, float]:
    """Single-core rates, batch by batch as the consumer works, of parse_event and of project_all; no I/O."""
    parse_seconds = project_seconds = 0.0
    for first in range(0, len(values), BATCH):
        started = time.perf_counter()
        events = [parse_event(value) for value in values[first : first + BATCH]]
        parsed = time.perf_counter()
        project_all(events)
        parse_seconds += parsed - started
        project_seconds += time.perf_counter() - parsed
    return len(values) / parse_seconds, len(values) / project_seconds


async def main(target: int) -> int:
    print(f"building a workload of >= {target:,} events ...", flush=True)
    work = workload.build(target)
    messages = [(event.key, event.to_json()) for event in work.ordered()]
    work.events.clear()  # only bytes stay: a live heap as small as the projector's own
    total = len(messages)
    tune_garbage_collector()  # as the projector's main() does
    with tempfile.TemporaryDirectory(prefix="heyzack-bench-", ignore_cleanup_errors=True) as state_dir:
        async with start_infrastructure(Path(state_dir)) as endpoints:
            topic = f"bench.installations.{uuid.uuid4().hex[:8]}"
            await create_topics(endpoints.kafka_bootstrap, [topic], PARTITIONS)
            produce_rate, ends = await produce(endpoints.kafka_bootstrap, topic, messages)
            print(f"published {total:,} events ({len(work.expected)} partners) at {produce_rate:,.0f}/s")
            raw_rate = await raw_consume(endpoints.kafka_bootstrap, topic, total)
            redis = Redis.from_url(endpoints.redis_url, decode_responses=True)
            try:
                sink, namespace = await project(endpoints, topic, ends, redis)
                wrong = await check(redis, namespace, work.expected)
            finally:
                await redis.aclose()
    measured = total - sink.first_batch
    projector_rate = measured / (sink.last_done - sink.first_done)
    parse_rate, project_rate = cpu_rates([value for _, value in messages])
    window = sink.last_done - sink.first_done
    print(f"(a) raw aiokafka getmany:            {raw_rate:>10,.0f} events/s")
    print(f"(b) projector, Kafka -> Redis:       {projector_rate:>10,.0f} events/s   (target >= 50,000)")
    print(f"    ratio (b) / (a):                 {projector_rate / raw_rate:>10.2f}")
    print(
        f"    (b)'s time in store.apply:       {sink.apply_seconds / window:>10.0%}   (projection + sending)"
    )
    print(f"    events read twice (rebalances):  {sink.applied - total:>10,}")
    print(f"    one core, no I/O: parse_event    {parse_rate:>10,.0f} events/s")
    print(f"    one core, no I/O: project_all    {project_rate:>10,.0f} events/s")
    print("counters: " + ("all partners right" if not wrong else f"{len(wrong)} partners WRONG"))
    for line in wrong[:10]:
        print("  " + line)
    return 1 if wrong else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--events", type=int, default=200_000, help="at least this many events (default 200k)"
    )
    sys.exit(asyncio.run(main(parser.parse_args().events)))
