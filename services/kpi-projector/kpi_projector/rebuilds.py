"""What the projector's store keeps about rebuilding, beside its positions (key names: read_models.Keys):

- the broker epoch its positions refer to (heyzack_shared.broker_watch): the `broker_epoch` field of the
  generation's progress hash;
- for each partition being read again from its beginning, the position it must reach before the figures
  are whole again: the generation's `rebuild` hash (apply_batch.lua drops a partition once it got there).

Readers are told the figures are being rebuilt while a partition is left in that hash, or while no epoch
is recorded: a store that lost its data (a flush, a Redis restarted without persistence) lost its epoch
with it, and no consumer has started filling it again yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from kpi_projector.keyspace import Keys

EPOCH_FIELD: Final = "broker_epoch"

# KEYS: the positions, progress and rebuild hashes of a generation. ARGV[1]: the epoch, ARGV[2]: its field;
# then pairs of a position field and the position to reach (0: none). Another epoch voids every position
# and target.
_RESTART: Final = """
if redis.call('HGET', KEYS[2], ARGV[2]) ~= ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[3])
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
end
for i = 3, #ARGV, 2 do
  redis.call('HDEL', KEYS[1], ARGV[i])
  if tonumber(ARGV[i + 1]) > 0 then
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  else
    redis.call('HDEL', KEYS[3], ARGV[i])
  end
end
return 0
"""
# The live generation's epoch (present or not) and rebuild targets, in one call. ARGV: the generation when
# the pointer is gone, then the progress and rebuild keys cut around the generation, then the epoch field.
_STATE: Final = """
local generation = redis.call('GET', KEYS[1]) or ARGV[1]
return {
  redis.call('HEXISTS', ARGV[2] .. generation .. ARGV[3], ARGV[6]),
  redis.call('HGETALL', ARGV[4] .. generation .. ARGV[5]),
}
"""


@dataclass(frozen=True)
class RebuildState:
    started: bool
    """A consumer has recorded the broker epoch: it fills this store."""
    partitions: dict[str, int]
    """`<topic>:<partition>` → the position each partition being rebuilt must reach."""

    @property
    def rebuilding(self) -> bool:
        return not self.started or bool(self.partitions)


class Rebuilds:
    def __init__(self, redis: Redis, keys: Keys, initial_generation: str) -> None:
        self._redis = redis
        self._keys = keys
        self._initial = initial_generation
        self._restart = redis.register_script(_RESTART)
        self._state = redis.register_script(_STATE)

    async def epoch(self, generation: str) -> str | None:
        epoch = await self._redis.hget(self._keys.progress(generation), EPOCH_FIELD)
        return None if epoch is None else str(epoch)

    async def restart(self, generation: str, epoch: str, targets: Mapping[str, int]) -> None:
        """`targets`: position field → the position to reach (see heyzack_shared.batches.EventSink)."""
        keys = [
            self._keys.positions(generation),
            self._keys.progress(generation),
            self._keys.rebuild(generation),
        ]
        pairs = [item for field, target in targets.items() for item in (field, str(target))]
        await self._restart(keys=keys, args=[epoch, EPOCH_FIELD, *pairs])

    async def state(self) -> RebuildState:
        """Of the generation reads use."""
        progress = self._keys.progress("\0").split("\0")
        rebuild = self._keys.rebuild("\0").split("\0")
        started, flat = await self._state(
            keys=[self._keys.pointer], args=[self._initial, *progress, *rebuild, EPOCH_FIELD]
        )
        return RebuildState(bool(started), {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)})
