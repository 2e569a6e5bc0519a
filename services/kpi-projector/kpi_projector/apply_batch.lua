-- Applies one batch of the projector atomically, with its consumer positions (see read_models.py).
-- Per aggregate and field, a value of a higher version replaces the stored one; a counted field moves its
-- counter from the old value to the new; an aggregate seen for the first time counts in its kind's total;
-- counter deltas are summed per partner and written once each. Replaying any part changes nothing.
--
-- KEYS[1], KEYS[2]: the generation's positions and progress hashes.
-- ARGV[1]: cjson [counted, partners, positions (flat field/offset list), events, latest occurred_at, applied at,
--                 day counters]
--   counted:   {kind: {field: counter prefix}}, and kind -> its total counter under counted[kind]['']
--   day counters: {kind: [fields they depend on, [[day field, name, keyed by, requires, amount ([a] or [a, b]) or false,
--                 fields this one depends on]]]}
--              (projections.DayCounter: each counter is the sum of the aggregates' current contributions)
--   partner:   [kpi key, aggregates, prefix of its day buckets (the day is appended), changes channel]
--              (the channel is told the applied-at time once the batch changed any of the partner's keys)
--   aggregate: [key, kind, version, {field: value}, {field: version} or one version for all fields]
--              (each aggregate once per batch: Python merged its events)
-- Standalone Redis: in Redis Cluster this call is split per partner (all of a partner's keys share its hash
-- tag, so a per-partner call stays in one slot and atomic), each recording that partner's position in its
-- own slot, and the shared positions advance once every partner's call succeeded.

local batch = cjson.decode(ARGV[1])
local counted = batch[1]
local day_counters = batch[7] or {}
local version_names = {}

-- An aggregate state's contribution to a day counter: day, counter name, amount; nil when it has none.
local function contribution(spec, state)
  local day = state[spec[1]]
  if not day then return nil end
  local name = spec[2]
  for _, field in ipairs(spec[3]) do
    local value = state[field]
    if not value then return nil end
    name = name .. ':' .. value
  end
  for _, field in ipairs(spec[4]) do
    if not state[field] then return nil end
  end
  local amount = 1
  if spec[5] then
    local a, b = tonumber(state[spec[5][1]]), 0
    if spec[5][2] then b = tonumber(state[spec[5][2]]) end
    if not a or not b then return nil end
    amount = a - b
  end
  return day, name, amount
end

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
local hash_writes, increments, day_increments, changed_channels = {}, {}, {}, {}
for _, partner in ipairs(batch[2]) do
  redis.call('HLEN', partner[1]) -- fails now, before any write, if the counters key holds something else
  local deltas, day_deltas = {}, {}
  local written_before = #hash_writes
  local function add_to_day(day, name, amount)
    local bucket = day_deltas[day]
    if not bucket then
      bucket = {}
      day_deltas[day] = bucket
    end
    bucket[name] = (bucket[name] or 0) + amount
  end
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
    -- Day counters: only when the change sets a field they depend on; then read all those fields.
    local derived, first_dependency = day_counters[kind], #wanted + 1
    if derived then
      local touched = false
      for _, name in ipairs(derived[1]) do
        if values[name] then touched = true break end
      end
      if touched then
        for _, name in ipairs(derived[1]) do wanted[#wanted + 1] = name end
      else
        derived = nil
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
    if derived then
      local old, new = {}, {}
      for i, name in ipairs(derived[1]) do
        local stored = current[first_dependency + i - 1]
        old[name] = stored
        if wins[name] then new[name] = values[name] else new[name] = stored end
      end
      for _, spec in ipairs(derived[2]) do
        local changed = false
        for _, name in ipairs(spec[6]) do
          if old[name] ~= new[name] then changed = true break end
        end
        if changed then
          local old_day, old_name, old_amount = contribution(spec, old)
          local new_day, new_name, new_amount = contribution(spec, new)
          if old_day ~= new_day or old_name ~= new_name or old_amount ~= new_amount then
            if old_day then add_to_day(old_day, old_name, -old_amount) end
            if new_day then add_to_day(new_day, new_name, new_amount) end
          end
        end
      end
    end
    if #writes > 0 then hash_writes[#hash_writes + 1] = {key, writes} end
  end
  if #hash_writes > written_before then
    changed_channels[#changed_channels + 1] = partner[4]
  end
  increments[#increments + 1] = {partner[1], deltas}
  for day, bucket in pairs(day_deltas) do
    local day_key = partner[3] .. day
    redis.call('HLEN', day_key) -- as above: a wrong type fails the batch before its first write
    day_increments[#day_increments + 1] = {day_key, bucket}
  end
end
redis.call('HLEN', KEYS[1])
local last_event_at = redis.call('HGET', KEYS[2], 'last_event_at') or ''

for _, write in ipairs(hash_writes) do redis.call('HSET', write[1], unpack(write[2])) end
for _, increment in ipairs(increments) do
  for name, delta in pairs(increment[2]) do
    if delta ~= 0 then redis.call('HINCRBY', increment[1], name, delta) end
  end
end
for _, increment in ipairs(day_increments) do
  for name, delta in pairs(increment[2]) do
    if delta ~= 0 then redis.call('HINCRBY', increment[1], name, delta) end
  end
end
if #batch[3] > 0 then redis.call('HSET', KEYS[1], unpack(batch[3])) end
redis.call('HINCRBY', KEYS[2], 'events_handled', batch[4])
if batch[5] > last_event_at then redis.call('HSET', KEYS[2], 'last_event_at', batch[5]) end
redis.call('HSET', KEYS[2], 'last_applied_at', batch[6])
for _, channel in ipairs(changed_channels) do redis.call('PUBLISH', channel, batch[6]) end
