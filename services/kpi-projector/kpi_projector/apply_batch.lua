-- Applies one batch of the projector atomically, with its consumer positions (see read_models.py).
-- Per aggregate and field, a value of a higher version replaces the stored one; a counted field moves its
-- counter from the old value to the new; an aggregate seen for the first time counts in its kind's total;
-- counter deltas are summed per partner and written once each. Replaying any part changes nothing.
--
-- KEYS[1], KEYS[2]: the generation's positions and progress hashes.
-- ARGV[1]: cjson [counted, partners, positions (flat field/offset list), events, latest occurred_at, applied at]
--   counted:   {kind: {field: counter prefix}}, and kind -> its total counter under counted[kind]['']
--   partner:   [kpi key, aggregates]
--   aggregate: [key, kind, version, {field: value}, {field: version} or one version for all fields]
--              (each aggregate once per batch: Python merged its events)
-- Standalone Redis: in Redis Cluster this call is split per partner (all of a partner's keys share its hash
-- tag, so a per-partner call stays in one slot and atomic), each recording that partner's position in its
-- own slot, and the shared positions advance once every partner's call succeeded.

local batch = cjson.decode(ARGV[1])
local counted = batch[1]
local version_names = {}

local function version_name(field)
  local name = version_names[field]
  if not name then
    name = 'v:' .. field
    version_names[field] = name
  end
  return name
end

-- Which fields of an aggregate the change wins, by per-field version. `fast`: the change is newer than
-- anything stored for the aggregate (the usual case), so every field wins without reading field versions.
local function winners(key, values, versions, stored_version, oldest)
  local wins = {}
  if stored_version < oldest then
    for name in pairs(values) do wins[name] = true end
    return wins
  end
  local names, wanted = {}, {}
  for name in pairs(values) do
    names[#names + 1] = name
    wanted[#wanted + 1] = version_name(name)
  end
  local stored = redis.call('HMGET', key, unpack(wanted))
  for i, name in ipairs(names) do
    local version = versions
    if type(versions) == 'table' then version = versions[name] end
    if version > (tonumber(stored[i]) or 0) then wins[name] = true end
  end
  return wins
end

-- Phase 1 reads and decides; phase 2 writes. Redis does not roll a script back, but the only errors left
-- once phase 1 has passed are out of memory, which Redis raises only on a script's first write: so a batch
-- lands whole or not at all, and a redelivery finds nothing half-done.
local hash_writes, increments = {}, {}
for _, partner in ipairs(batch[2]) do
  redis.call('HLEN', partner[1]) -- fails now, before any write, if the counters key holds something else
  local deltas = {}
  for _, aggregate in ipairs(partner[2]) do
    local key, kind, version, values, versions = aggregate[1], aggregate[2], aggregate[3], aggregate[4], aggregate[5]
    local counts = counted[kind] or {}
    local wanted, counted_names = {'v'}, {}
    for name in pairs(values) do
      if counts[name] then
        counted_names[#counted_names + 1] = name
        wanted[#wanted + 1] = name
      end
    end
    local current = redis.call('HMGET', key, unpack(wanted))
    local stored_version = tonumber(current[1]) or 0
    if stored_version == 0 then deltas[counts['']] = (deltas[counts['']] or 0) + 1 end
    local oldest = version
    if type(versions) == 'table' then
      for _, field_version in pairs(versions) do oldest = math.min(oldest, field_version) end
    end
    local wins = winners(key, values, versions, stored_version, oldest)
    local writes = {}
    if stored_version < version then writes[1], writes[2] = 'v', version end
    for name in pairs(wins) do
      local n = #writes
      writes[n + 1], writes[n + 2] = name, values[name]
      writes[n + 3] = version_name(name)
      writes[n + 4] = type(versions) == 'table' and versions[name] or versions
    end
    for i, name in ipairs(counted_names) do
      local old, new = current[i + 1], values[name]
      if wins[name] and old ~= new then
        if old then deltas[counts[name] .. old] = (deltas[counts[name] .. old] or 0) - 1 end
        deltas[counts[name] .. new] = (deltas[counts[name] .. new] or 0) + 1
      end
    end
    if #writes > 0 then hash_writes[#hash_writes + 1] = {key, writes} end
  end
  increments[#increments + 1] = {partner[1], deltas}
end
redis.call('HLEN', KEYS[1])
local last_event_at = redis.call('HGET', KEYS[2], 'last_event_at') or ''

for _, write in ipairs(hash_writes) do redis.call('HSET', write[1], unpack(write[2])) end
for _, increment in ipairs(increments) do
  for name, delta in pairs(increment[2]) do
    if delta ~= 0 then redis.call('HINCRBY', increment[1], name, delta) end
  end
end
if #batch[3] > 0 then redis.call('HSET', KEYS[1], unpack(batch[3])) end
redis.call('HINCRBY', KEYS[2], 'events_handled', batch[4])
if batch[5] > last_event_at then redis.call('HSET', KEYS[2], 'last_event_at', batch[5]) end
redis.call('HSET', KEYS[2], 'last_applied_at', batch[6])
