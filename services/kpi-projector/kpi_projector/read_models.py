"""The Redis read-models: the one module that knows their key formats.

Every key of a partner is `<ns>:<generation>:{<partner_id>}:<family>` (the hash tag keeps a partner's keys in
one Cluster slot); the consumer's are `<ns>:<generation>:positions` and `:progress`; the pointer
`<ns>:generation` names the generation reads use, so a rebuild can fill a new generation beside the live one
and then switch reads atomically; `<ns>:<generation>:rebuild` is what rebuilds.py keeps. Families of a
partner:
- `kpi` — hash of counters (`vocabulary.total` / `vocabulary.counter` names) → integer;
- `agg:<kind>:<aggregate_id>` — hash of the aggregate's field values, `v:<field>` the version that set each
  value, and `v` the highest version applied (present = counted in the kind's total);
- `rep:day:<YYYY-MM-DD>` — hash of the day counters (`vocabulary.DayCounter`) of that business day: what the
  reports sum over a range, so a range and its previous period cost one read of O(days) hashes.
The pub/sub channel `<ns>:changes:{<partner_id>}` is told, by the script that applies a batch, that the batch
changed the partner's read-models (the message is the batch's applied-at time); the portal's live updates
listen to it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

import orjson
from aiokafka import TopicPartition
from prometheus_client import Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from heyzack_shared.batches import Batch, Refused, Span
from kpi_projector.keyspace import Keys
from kpi_projector.projections.business_time import DEFAULT_ZONE, utc_text
from kpi_projector.projections.engine import AggregateChange, project_all
from kpi_projector.projections.vocabulary import COUNTED, DAY_COUNTERS, counter_prefix, total
from kpi_projector.rebuilds import Rebuilds, RebuildState
from kpi_projector.write_behind import WriteBehindScript

INITIAL_GENERATION: Final = "g1"
_APPLY_BATCH: Final = (Path(__file__).parent / "apply_batch.lua").read_text()
# The pointer and what it points at, read in one atomic call: a read never mixes two generations.
_READ_LIVE: Final = """
local generation = redis.call('GET', KEYS[1]) or ARGV[3]
local prefix = ARGV[1] .. generation .. ARGV[2]
if ARGV[4] == 'hash' then return redis.call('HGETALL', prefix .. ARGV[5]) end
if ARGV[4] == 'hash+fields' then
  return {redis.call('HGETALL', prefix .. ARGV[5]), redis.call('HMGET', prefix .. ARGV[6], unpack(ARGV, 7))}
end
if ARGV[4] == 'counters' then
  -- ARGV[5]: cjson [names, counter hashes, text hashes]. One JSON text back (a bulk string is far cheaper to
  -- decode than thousands of RESP items): an array of objects, a counter hash's values as JSON integers
  -- (they are stored as integers), a text hash's as strings. With names, a counter hash keeps only the
  -- fields `name` and `name:...` of each name.
  local request = cjson.decode(ARGV[5])
  local names, every = {}, true
  for _, name in ipairs(request[1]) do names[name], every = true, false end
  local function wanted(field)
    if every or names[field] then return true end
    local from = 1
    while true do
      local at = string.find(field, ':', from, true)
      if not at then return false end
      if names[string.sub(field, 1, at - 1)] then return true end
      from = at + 1
    end
  end
  -- Days share their counter names: each name is judged and encoded once (`false`: not wanted).
  local encode, objects, heads = cjson.encode, {}, {}
  for _, family in ipairs(request[2]) do
    local flat, members = redis.call('HGETALL', prefix .. family), {}
    for i = 1, #flat, 2 do
      local field = flat[i]
      local head = heads[field]
      if head == nil then
        head = wanted(field) and encode(field) .. ':'
        heads[field] = head
      end
      if head then members[#members + 1] = head .. flat[i + 1] end
    end
    objects[#objects + 1] = '{' .. table.concat(members, ',') .. '}'
  end
  for _, family in ipairs(request[3]) do
    local flat, members = redis.call('HGETALL', prefix .. family), {}
    for i = 1, #flat, 2 do members[#members + 1] = encode(flat[i]) .. ':' .. encode(flat[i + 1]) end
    objects[#objects + 1] = '{' .. table.concat(members, ',') .. '}'
  end
  return '[' .. table.concat(objects, ',') .. ']'
end
if ARGV[4] == 'indexed' then
  -- ARGV[5]: the counters hash; ARGV[6]: an index's counter prefix; ARGV[7]: the aggregates' family prefix;
  -- ARGV[8...]: more aggregate ids. One JSON object back: each id whose index counter is > 0, and each
  -- of ARGV[8...], -> its fields (the versions `v`, `v:<field>` left out).
  local ids, seen, index = {}, {}, ARGV[6]
  local function add(id)
    if not seen[id] then
      seen[id] = true
      ids[#ids + 1] = id
    end
  end
  local counters = redis.call('HGETALL', prefix .. ARGV[5])
  for i = 1, #counters, 2 do
    local name = counters[i]
    if string.sub(name, 1, #index) == index and tonumber(counters[i + 1]) > 0 then
      add(string.sub(name, #index + 1))
    end
  end
  for i = 8, #ARGV do add(ARGV[i]) end
  local encode, members = cjson.encode, {}
  for _, id in ipairs(ids) do
    local flat, fields = redis.call('HGETALL', prefix .. ARGV[7] .. id), {}
    for i = 1, #flat, 2 do
      local field = flat[i]
      if field ~= 'v' and string.sub(field, 1, 2) ~= 'v:' then
        fields[#fields + 1] = encode(field) .. ':' .. encode(flat[i + 1])
      end
    end
    members[#members + 1] = encode(id) .. ':{' .. table.concat(fields, ',') .. '}'
  end
  return '{' .. table.concat(members, ',') .. '}'
end
return redis.error_reply('unknown read ' .. ARGV[4])
"""
_COUNTED: Final = {
    kind: {"": total(kind)} | {name: counter_prefix(kind, name) for name in names}
    for kind, names in COUNTED.items()
}
_DAY_COUNTERS: Final = {
    kind: [
        list(dict.fromkeys(field for spec in specs for field in spec.depends_on)),
        [
            [spec.day, spec.name, list(spec.keyed_by), list(spec.requires), list(spec.amount or ()) or False]
            for spec in specs
        ],
        {  # field -> the (1-based) indexes of the counters depending on it
            field: [index for index, spec in enumerate(specs, 1) if field in spec.depends_on]
            for field in dict.fromkeys(field for spec in specs for field in spec.depends_on)
        },
    ]
    for kind, specs in DAY_COUNTERS.items()
}
_DAY: Final = "rep:day:"
_log = logging.getLogger(__name__)
_last_event = Gauge(
    "heyzack_projection_last_event_timestamp_seconds",
    "occurred_at of the newest event applied, per partition head (freshness = now - this)",
    ["generation"],
)


def _position_field(partition: TopicPartition) -> str:
    return f"{partition.topic}:{partition.partition}"


def _span_argument(span: Span) -> tuple[int, int, int]:
    return span.start, span.end, int(span.from_beginning)


def _partition(field: str) -> TopicPartition:
    topic, partition = field.rsplit(":", 1)
    return TopicPartition(topic, int(partition))


async def live_generation(redis: Redis, namespace: str = "hz") -> str:
    """The generation reads use; names the initial one when there is none yet."""
    pointer = Keys(namespace).pointer
    await redis.set(pointer, INITIAL_GENERATION, nx=True)
    generation = await redis.get(pointer)
    if not isinstance(generation, str):
        raise TypeError(f"{pointer} holds {generation!r}: expected a text (decode_responses=True)")
    return generation


class ProjectionStore:
    """Writes one generation of the read-models; the projector's `EventSink` (heyzack_shared.consumer).

    Write-behind, one batch deep: `apply` puts its script call on the wire and returns while Redis runs it, so
    Redis applies a batch while the consumer fetches and parses the next; the consumer collects the outcome
    before it sends the next batch. Safe because positions are stored only by the script that applies their
    batch, behind the offset fence: if a batch never lands, the consumer resumes from the positions before
    it. Needs a client made with `decode_responses=True`.
    """

    def __init__(
        self, redis: Redis, generation: str, namespace: str = "hz", *, zone: ZoneInfo = DEFAULT_ZONE
    ) -> None:
        self.generation = generation
        self.zone = zone
        self._redis = redis
        self._keys = Keys(namespace)
        self._script = WriteBehindScript(redis, _APPLY_BATCH)
        self._rebuilds = Rebuilds(redis, self._keys, INITIAL_GENERATION)

    async def positions(self, partitions: Collection[TopicPartition]) -> dict[TopicPartition, int]:
        await self._landed_or_not()
        ordered = list(partitions)
        if not ordered:
            return {}
        stored = await self._redis.hmget(
            self._keys.positions(self.generation), [_position_field(p) for p in ordered]
        )
        return {p: int(offset) for p, offset in zip(ordered, stored, strict=True) if offset is not None}

    async def broker_epoch(self) -> str | None:
        return await self._rebuilds.epoch(self.generation)

    async def restart(self, epoch: str, partitions: Mapping[TopicPartition, int]) -> None:
        """Forget the positions of `partitions` (all of them under another epoch) and record how far each
        must get before the figures are whole again (rebuilds.py)."""
        await self._landed_or_not()
        targets = {_position_field(p): position for p, position in partitions.items()}
        await self._rebuilds.restart(self.generation, epoch, targets)

    async def _landed_or_not(self) -> None:
        """Let the batch in flight land first; if it failed, the consumer reads it again."""
        try:
            await self.flush()
        except RedisError:
            _log.exception("the last batch was not applied; the consumer reads it again")

    async def apply(self, batch: Batch, *, applied_at: datetime | None = None) -> asyncio.Task[Refused]:
        """Send the batch and its positions as one atomic, fenced script call (see apply_batch.lua); a
        redelivery is a no-op. Returns once the call is on the wire; the task gives the refused partitions
        with their stored positions, or raises the call's error."""
        events = [delivery.event for delivery in batch.deliveries]
        # Freshness from the newest event of each partition (aware-datetime comparisons are not cheap).
        newest = {(delivery.topic, delivery.partition): delivery.event for delivery in batch.deliveries}
        latest = max((event.occurred_at for event in newest.values()), default=None)
        partitions = {_position_field(p): p for p in batch.spans}
        payload = [
            _COUNTED,
            self._partners(project_all(events, self.zone)),
            [item for field, p in partitions.items() for item in (field, *_span_argument(batch.spans[p]))],
            len(events),
            utc_text(latest) if latest else "",
            utc_text(applied_at or datetime.now(UTC)),
            _DAY_COUNTERS,
        ]
        keys = [
            self._keys.positions(self.generation),
            self._keys.progress(self.generation),
            self._keys.rebuild(self.generation),
        ]
        text = orjson.dumps(payload)  # bytes: sent as they are, no copy decoded and encoded again
        reply = await self._script.submit(keys, [text])
        return asyncio.ensure_future(self._landed(reply, partitions, latest))

    async def _landed(
        self, reply: asyncio.Task[Any], partitions: dict[str, TopicPartition], latest: datetime | None
    ) -> Refused:
        """apply_batch.lua answers the refused partitions' fields and stored positions, flat."""
        flat = await reply
        if not flat and latest is not None:
            _last_event.labels(self.generation).set(latest.timestamp())
        return {partitions[flat[i]]: int(flat[i + 1]) for i in range(0, len(flat), 2)}

    async def flush(self) -> None:
        """Return once every batch given to `apply` has run; raise the last one's error if it failed."""
        await self._script.wait()

    async def close(self) -> None:
        """Stop: the batch in flight lands or not; either way the stored positions say where to resume."""
        await self._script.close()

    def _partners(self, changes: Iterable[AggregateChange]) -> list[list[Any]]:
        """The changes grouped per partner, as apply_batch.lua takes them: an aggregate's key is its partner's
        prefix and `<kind>:<id>`, and only the fields set at another version than the change's carry theirs
        (a smaller argument for the script to decode)."""
        key, generation = self._keys.partner, self.generation
        partners: dict[str, list[list[Any]]] = {}
        for change in changes:
            version, versions = change.version, change.field_versions
            aggregate: list[Any] = [change.aggregate_id, change.kind, version, change.fields]
            if versions is not None:
                other = {name: v for name, v in versions.items() if v != version}
                if other:
                    aggregate.append(other)
            aggregates = partners.get(change.partner_id)
            if aggregates is None:
                aggregates = partners[change.partner_id] = []
            aggregates.append(aggregate)
        return [
            [
                key(generation, partner_id, "kpi"),
                aggregates,
                key(generation, partner_id, _DAY),
                self._keys.changes(partner_id),
                key(generation, partner_id, "agg:"),
            ]
            for partner_id, aggregates in partners.items()
        ]


@dataclass(frozen=True)
class ProjectionStatus:
    generation: str
    positions: dict[TopicPartition, int]
    events_handled: int
    last_event_at: str | None
    last_applied_at: str | None


class ReadModels:
    """The read side: always the generation the pointer names at the moment of the read."""

    def __init__(self, redis: Redis, namespace: str = "hz") -> None:
        self._redis = redis
        self._keys = Keys(namespace)
        self._read_live = redis.register_script(_READ_LIVE)
        self._rebuilds = Rebuilds(redis, self._keys, INITIAL_GENERATION)

    async def rebuild_state(self) -> RebuildState:
        """Whether the live generation's figures are whole, or being rebuilt (rebuilds.py)."""
        return await self._rebuilds.state()

    async def dashboard_counters(self, partner_id: str) -> dict[str, int]:
        """The partner's KPI counters (`vocabulary.total` / `counter` names), in one round trip."""
        flat = await self._live(partner_id, "hash", "kpi")
        return {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}

    async def dashboard_figures(
        self, partner_id: str, kind: str, aggregate_id: str, fields: Sequence[str]
    ) -> tuple[dict[str, int], dict[str, str | None]]:
        """The partner's KPI counters and some fields of one of its aggregates, of one generation."""
        flat, values = await self._live(
            partner_id, "hash+fields", "kpi", f"agg:{kind}:{aggregate_id}", *fields
        )
        counters = {flat[i]: int(flat[i + 1]) for i in range(0, len(flat), 2)}
        return counters, dict(zip(fields, values, strict=True))

    async def day_counters(
        self, partner_id: str, days: Sequence[date], names: Collection[str] = ()
    ) -> dict[date, dict[str, int]]:
        """The partner's day counters (`vocabulary.DayCounter` names) of each of `days`, in one round trip of
        one generation; a day without any is an empty dict. With `names`, only the counters of those names
        (each also keyed: `<name>:<key>...`), which is all a report tab reads: less to send and to decode."""
        hashes = await self._counters(partner_id, names, [_DAY + day.isoformat() for day in days])
        return dict(zip(days, hashes, strict=True))

    async def indexed_aggregates(
        self, partner_id: str, kind: str, field: str, also: Iterable[str] = ()
    ) -> dict[str, dict[str, str]]:
        """Every stored field of each aggregate of `kind` whose counted `field` holds its own id (the index
        `counter(kind, field, id)`), plus the aggregates `also`: id → fields (empty when none is stored), by
        id. One round trip of one generation (the index and the aggregates read in one script call)."""
        reply = await self._live(
            partner_id, "indexed", "kpi", counter_prefix(kind, field), f"agg:{kind}:", *also
        )
        aggregates: dict[str, dict[str, str]] = orjson.loads(reply)
        return {aggregate_id: aggregates[aggregate_id] for aggregate_id in sorted(aggregates)}

    async def report_inputs(
        self,
        partner_id: str,
        days: Sequence[date],
        buckets: Sequence[str] = (),
        aggregates: Sequence[tuple[str, str]] = (),
        names: Collection[str] = (),
    ) -> tuple[dict[date, dict[str, int]], dict[str, dict[str, int]], list[dict[str, str]]]:
        """In one round trip of one generation: the day counters of `days`, the counters of the other buckets
        `buckets` (e.g. `vocabulary.ALL_TIME`) and all fields of the aggregates `(kind, id)`. With `names`,
        only the counters of those names (as `day_counters`)."""
        families = [
            *(_DAY + day.isoformat() for day in days),
            *(_DAY + bucket for bucket in buckets),
        ]
        hashes = await self._counters(
            partner_id,
            names,
            families,
            [f"agg:{kind}:{aggregate_id}" for kind, aggregate_id in aggregates],
        )
        return (
            dict(zip(days, hashes[: len(days)], strict=True)),
            dict(zip(buckets, hashes[len(days) : len(families)], strict=True)),
            hashes[len(families) :],
        )

    async def _counters(
        self, partner_id: str, names: Collection[str], counters: list[str], texts: list[str] | None = None
    ) -> list[dict[str, Any]]:
        """The hashes `counters` (their values as integers; only the fields of `names` when given), then the
        hashes `texts` (values as texts), in one round trip of one generation, as one JSON text."""
        request = orjson.dumps([list(names), counters, texts or []]).decode()
        reply = await self._live(partner_id, "counters", request)
        hashes: list[dict[str, Any]] = orjson.loads(reply)
        return hashes

    async def _live(self, partner_id: str, *command: str) -> Any:
        """`_READ_LIVE`'s reply to `command` on the live generation: a list, or a JSON text (`counters`,
        `indexed`)."""
        before, after = self._keys.partner("\0", partner_id, "").split("\0")
        result: Any = await self._read_live(
            keys=[self._keys.pointer], args=[before, after, INITIAL_GENERATION, *command]
        )
        return result

    async def status(self) -> ProjectionStatus:
        generation = await live_generation(self._redis, self._keys.namespace)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self._keys.positions(generation))
            pipe.hgetall(self._keys.progress(generation))
            positions, progress = await pipe.execute()
        return ProjectionStatus(
            generation=generation,
            positions={_partition(field): int(offset) for field, offset in sorted(positions.items())},
            events_handled=int(progress.get("events_handled", 0)),
            last_event_at=progress.get("last_event_at"),
            last_applied_at=progress.get("last_applied_at"),
        )
