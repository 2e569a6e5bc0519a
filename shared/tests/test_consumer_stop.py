"""The shared consumer loop stops when its block ends, wherever the loop happens to be."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Collection, Mapping

from aiokafka import TopicPartition

from heyzack_shared.batches import Batch, Refused
from heyzack_shared.consumer import ConsumerConfig, consuming
from heyzack_shared.contracts import topics
from heyzack_shared.testing import wait_until
from heyzack_stack.infra import Endpoints


class CountingSink:
    def __init__(self) -> None:
        self.consulted = 0
        """Times the consumer asked for positions or restarted partitions: on each assignment."""
        self.batches = 0
        self.epoch: str | None = None

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        self.consulted += 1
        return {}

    async def apply(self, batch: Batch) -> Awaitable[Refused]:
        self.batches += 1
        return asyncio.sleep(0, {})

    async def broker_epoch(self) -> str | None:
        return self.epoch

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        self.consulted += 1
        self.epoch = epoch


async def test_the_consumer_stops_whenever_its_block_ends(infrastructure: Endpoints) -> None:
    """Leaving at once (still connecting) and once partitions are assigned (fetching an idle topic): the
    loop is gone each time (aiokafka may swallow a cancellation, so the loop is stopped by a flag)."""
    for moment in ("connecting", "assigned"):
        sink = CountingSink()
        config = ConsumerConfig(
            name=f"stop-{moment}",
            bootstrap=infrastructure.kafka_bootstrap,
            topics=[topics.RATINGS],
            group_id=f"stop-{uuid.uuid4().hex[:8]}",
        )
        async with consuming(config, sink):
            if moment == "assigned":
                await wait_until(lambda sink=sink: sink.consulted > 0, timeout=60, message="assigned")
        loops = [task for task in asyncio.all_tasks() if task.get_name() == f"consumer {config.name}"]
        assert all(task.done() for task in loops), f"the consumer still runs after leaving while {moment}"
