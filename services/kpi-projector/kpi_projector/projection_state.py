"""Where the projector stands: the live generation, its consumer's position on every partition, how far
behind and how fresh it is, and whether it is rebuilding. Served at GET /v1/ops/projection and printed by
`heyzack-ops status`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from aiokafka import TopicPartition
from pydantic import BaseModel

from kpi_projector.lag import EndOffsets
from kpi_projector.read_models import ReadModels


class PartitionState(BaseModel):
    topic: str
    partition: int
    position: int
    """The offset of the next message to apply."""
    end_offset: int | None
    lag: int | None
    """Messages not applied yet; an estimate (see kpi_projector.lag), null when the broker does not answer."""


class ProjectionState(BaseModel):
    generation: str
    rebuilding: bool
    """The figures are not whole yet: the store lost its data or the broker its logs, and the projector
    reads the topics again (`rebuilding_partitions`: each partition left, and the position it must reach)."""
    rebuilding_partitions: dict[str, int]
    events_handled: int
    """Events applied into this generation, redeliveries included."""
    last_event_at: str | None
    """The latest `occurred_at` applied (UTC)."""
    last_applied_at: str | None
    freshness_seconds: float | None
    """How old the latest applied event is now."""
    lag: int | None
    partitions: list[PartitionState]


async def projection_state(read_models: ReadModels, end_offsets: EndOffsets) -> ProjectionState:
    status, rebuild = await asyncio.gather(read_models.status(), read_models.rebuild_state())
    ends = await end_offsets.of(status.positions.keys())
    partitions = partition_states(status.positions, ends)
    known = [p.lag for p in partitions if p.lag is not None]
    return ProjectionState(
        generation=status.generation,
        rebuilding=rebuild.rebuilding,
        rebuilding_partitions=rebuild.partitions,
        events_handled=status.events_handled,
        last_event_at=status.last_event_at,
        last_applied_at=status.last_applied_at,
        freshness_seconds=_age(status.last_event_at),
        lag=sum(known) if ends is not None else None,
        partitions=partitions,
    )


def partition_states(
    positions: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int] | None
) -> list[PartitionState]:
    """Each partition's stored position beside its end offset (`ends`: None when the broker is silent)."""
    states = []
    for partition, position in positions.items():
        end = ends.get(partition) if ends is not None else None
        lag = None if end is None else max(0, end - position)
        states.append(
            PartitionState(
                topic=partition.topic,
                partition=partition.partition,
                position=position,
                end_offset=end,
                lag=lag,
            )
        )
    return states


def _age(moment: str | None) -> float | None:
    if moment is None:
        return None
    return round((datetime.now(UTC) - datetime.fromisoformat(moment)).total_seconds(), 3)
