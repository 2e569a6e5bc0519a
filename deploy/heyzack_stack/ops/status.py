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
from kpi_projector.projection_state import PartitionState, ProjectionState, projection_state
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
    ends = await end_offsets.of([TopicPartition(row["topic"], row["partition"]) for row in rows]) or {}
    by_consumer: dict[str, list[PartitionState]] = {}
    for row in rows:
        end = ends.get(TopicPartition(row["topic"], row["partition"]))
        lag = None if end is None else max(0, end - row["next_offset"])
        state = PartitionState(
            topic=row["topic"],
            partition=row["partition"],
            position=row["next_offset"],
            end_offset=end,
            lag=lag,
        )
        by_consumer.setdefault(row["consumer"], []).append(state)
    return [
        InboxState(consumer=name, lag=_total(states), partitions=states)
        for name, states in by_consumer.items()
    ]


def _total(partitions: list[PartitionState]) -> int | None:
    lags: list[Any] = [p.lag for p in partitions]
    return None if any(lag is None for lag in lags) else sum(lags)
