"""Where every consumer stands: the projector's live generation (and whether it rebuilds), and the ratings
and credits inboxes, partition by partition, with the lag the broker's end offsets give (an estimate)."""

from __future__ import annotations

from typing import Any

from aiokafka import TopicPartition
from pydantic import BaseModel
from redis.asyncio import Redis

from heyzack_shared.db import create_pool
from heyzack_stack.ops.settings import OpsSettings
from kpi_projector.lag import EndOffsets
from kpi_projector.projection_state import PartitionState, ProjectionState, partition_states, projection_state
from kpi_projector.read_models import ReadModels

INBOXES = ("ratings", "credits")


class InboxState(BaseModel):
    consumer: str
    lag: int | None
    partitions: list[PartitionState]


class PlatformState(BaseModel):
    projector: ProjectionState
    inboxes: list[InboxState]


async def platform_state(settings: OpsSettings) -> PlatformState:
    end_offsets = EndOffsets(settings.kafka_bootstrap_servers, timeout=5.0)
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    try:
        projector = await projection_state(ReadModels(redis, settings.projector_redis_namespace), end_offsets)
        inboxes = [await _inbox(url, end_offsets) for url in map(settings.database_of, INBOXES) if url]
        return PlatformState(projector=projector, inboxes=[state for found in inboxes for state in found])
    finally:
        await redis.aclose()
        await end_offsets.close()


async def _inbox(url: str, end_offsets: EndOffsets) -> list[InboxState]:
    pool = await create_pool(url, max_size=1)
    try:
        rows = await pool.fetch(
            "SELECT consumer, topic, partition, next_offset FROM inbox_positions"
            " ORDER BY consumer, topic, partition"
        )
    finally:
        await pool.close()
    by_consumer: dict[str, dict[TopicPartition, int]] = {}
    for row in rows:
        partition = TopicPartition(row["topic"], row["partition"])
        by_consumer.setdefault(row["consumer"], {})[partition] = row["next_offset"]
    ends = await end_offsets.of([p for positions in by_consumer.values() for p in positions])
    states = {name: partition_states(positions, ends) for name, positions in by_consumer.items()}
    return [InboxState(consumer=name, lag=_total(found), partitions=found) for name, found in states.items()]


def _total(partitions: list[PartitionState]) -> int | None:
    lags: list[Any] = [p.lag for p in partitions]
    return None if any(lag is None for lag in lags) else sum(lags)
