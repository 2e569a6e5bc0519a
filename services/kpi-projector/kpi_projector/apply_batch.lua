-- Applies one batch of the projector atomically, with its consumer positions (see read_models.py), behind
-- the offset fence: when a partition's span does not start at the position stored for it, nothing at all is
-- written and the script answers those partitions with their stored positions (flat: field, position, ...);
-- the consumer seeks there and sends the rest again. Otherwise it answers an empty array.
-- Per aggregate and field, a value of a higher version replaces the stored one; a counted field moves its
-- counter from the old value to the new; an aggregate seen for the first time counts in its kind's total;
-- counter deltas are summed per partner and written once each. Replaying any part changes nothing.
--
-- KEYS[1], KEYS[2], KEYS[3]: the generation's positions, progress and rebuild hashes (a partition whose
-- position reaches its rebuild target is dropped from the latter: see rebuilds.py).
-- ARGV[1]: cjson [counted, partners, spans (flat field/start/end/from the beginning (1 or 0) list), events,
--                 latest occurred_at, applied at, day counters]
--   counted:   {kind: {field: counter prefix}}, and kind -> its total counter under counted[kind]['']
--   day counters: {kind: [fields they depend on, [[day field, name, keyed by, requires, amount ([a] or [a, b]) or false]],
--                 {field: indexes of the counters depending on it}]}
--              (projections.DayCounter: each counter is the sum of the aggregates' current contributions)
--   partner:   [kpi key, aggregates, prefix of its day buckets (the day is appended), changes channel,
--               prefix of its aggregates' keys (`<kind>:<id>` is appended)]
--              (the channel is told the applied-at time once the batch changed any of the partner's keys)
--   aggregate: [id, kind, version, {field: value}, {field: version} of the fields set at another version than
--               `version` (absent when none)]   (each aggregate once per batch: Python merged its events)
-- Standalone Redis: in Redis Cluster this call is split per partner (all of a partner's keys share its hash
-- tag, so a per-partner call stays in one slot and atomic), each recording that partner's position in its
-- own slot, and the shared positions advance once every partner's call succeeded.
--
-- This runs for every event (50k+ a second): numeric loops, per-kind read plans built once per call, only the
-- day counters whose fields changed evaluated, and each day bucket read once and written once.

local call = redis.call
local batch = cjson.decode(ARGV[1])
-- Lua numbers are doubles: past 2^53 an integer is no longer exact, so a version or an amount beyond it
-- fails the batch (before any write) instead of being stored wrong; the consumer isolates the event.
local EXACT = 9007199254740992

local function inexact(number)
  return number > EXACT or number < -EXACT
end

local function refuse(what)
  error('not exact: ' .. what .. ' is beyond 2^53')
end

-- A partition with no stored position takes only a batch read from the log's beginning: otherwise the store
-- lost its data (a flush, a restart without persistence) and the consumer must rebuild it from the topics.
local spans, refused, positions = batch[3], {}, {}
for i = 1, #spans, 4 do
  local stored = call('HGET', KEYS[1], spans[i])
  if (stored and tonumber(stored) ~= spans[i + 1]) or (not stored and spans[i + 3] == 0) then
    refused[#refused + 1] = spans[i]
    refused[#refused + 1] = stored or '-1'
  end
  positions[#positions + 1] = spans[i]
  positions[#positions + 1] = string.format('%d', spans[i + 2])
end
if #refused > 0 then return refused end
local counted = batch[1]
local day_counters = batch[7] or {}
local version_names = {}

local function version_name(field)
  local name = version_names[field]
  if not name then
    name = 'v:' .. field
    version_names[field] = name
  end
  return name
end

-- Per kind, what to read of an aggregate: `v`, its counted fields, then (`full` only) the fields its day
-- counters depend on; `at[field]` is a field's position in the HMGET reply.
local plans = {}
local function plan_of(kind)
  local plan = plans[kind]
  if plan then return plan end
  local counts, derived = counted[kind] or {}, day_counters[kind]
  local short, at, names = {'v'}, {}, {}
  for name in pairs(counts) do
    if name ~= '' then
      short[#short + 1] = name
      names[#names + 1] = name
      at[name] = #short
    end
  end
  local full = short
  if derived then
    full = {unpack(short)}
    for _, name in ipairs(derived[1]) do
      if not at[name] then
        full[#full + 1] = name
        at[name] = #full
      end
    end
  end
  plan = {short = short, full = full, at = at, counted = names, counts = counts, derived = derived}
  plans[kind] = plan
  return plan
end

-- An aggregate state's contribution to a day counter: day, counter name, amount; nil when it has none.
local function contribution(spec, state)
  local day = state[spec[1]]
  if not day then return nil end
  local name = spec[2]
  local keyed_by = spec[3]
  for i = 1, #keyed_by do
    local value = state[keyed_by[i]]
    if not value then return nil end
    name = name .. ':' .. value
  end
  local requires = spec[4]
  for i = 1, #requires do
    if not state[requires[i]] then return nil end
  end
  local amount = 1
  local fields = spec[5]
  if fields then
    local a, b = tonumber(state[fields[1]]), 0
    if fields[2] then b = tonumber(state[fields[2]]) end
    if not a or not b then return nil end
    if inexact(a) or inexact(b) then refuse('a field of ' .. name) end
    amount = a - b
  end
  return day, name, amount
end

-- Phase 1 reads and decides; phase 2 writes. Redis does not roll a script back, but the only errors left
-- once phase 1 has passed are out of memory, which Redis raises only on a script's first write: so a batch
-- lands whole or not at all, and a redelivery finds nothing half-done.
local hash_writes, increments, day_writes, changed_channels = {}, {}, {}, {}
local partners = batch[2]
for p = 1, #partners do
  local partner = partners[p]
  call('HLEN', partner[1]) -- fails now, before any write, if the counters key holds something else
  local deltas, day_deltas, days = {}, {}, {}
  local written_before = #hash_writes
  local function add_to_day(day, name, amount)
    local bucket = day_deltas[day]
    if not bucket then
      bucket = {}
      day_deltas[day] = bucket
      days[#days + 1] = day
    end
    bucket[name] = (bucket[name] or 0) + amount
  end
  local aggregates, key_prefix = partner[2], partner[5]
  for a = 1, #aggregates do
    local aggregate = aggregates[a]
    local kind, version, values, older = aggregate[2], aggregate[3], aggregate[4], aggregate[5]
    if inexact(version) then refuse('the version of ' .. kind .. ' ' .. aggregate[1]) end
    local key = key_prefix .. kind .. ':' .. aggregate[1]
    local plan = plan_of(kind)
    local counts, at = plan.counts, plan.at
    -- Day counters: only when the change sets a field they depend on; then read all those fields too.
    local derived = plan.derived
    if derived then
      local touched = false
      for name in pairs(values) do
        if derived[3][name] then touched = true break end
      end
      if not touched then derived = nil end
    end
    local current = call('HMGET', key, unpack(derived and plan.full or plan.short))
    local stored_version = tonumber(current[1]) or 0
    if stored_version == 0 then deltas[counts['']] = (deltas[counts['']] or 0) + 1 end
    -- Which fields the change wins, by per-field version. `wins` nil: the change is newer than anything
    -- stored for the aggregate (the usual case), so every field wins without reading field versions.
    local oldest = version
    if older then
      for _, field_version in pairs(older) do
        if inexact(field_version) then refuse('a field version of ' .. kind .. ' ' .. aggregate[1]) end
        if field_version < oldest then oldest = field_version end
      end
    end
    local wins = nil
    if stored_version >= oldest then
      wins = {}
      local names, wanted = {}, {}
      for name in pairs(values) do
        names[#names + 1] = name
        wanted[#wanted + 1] = version_name(name)
      end
      local stored = call('HMGET', key, unpack(wanted))
      for i = 1, #names do
        local name = names[i]
        local field_version = older and older[name] or version
        if field_version > (tonumber(stored[i]) or 0) then wins[name] = true end
      end
    end
    local writes = {}
    if stored_version < version then writes[1], writes[2] = 'v', version end
    for name, value in pairs(values) do
      if not wins or wins[name] then
        local n = #writes
        writes[n + 1], writes[n + 2] = name, value
        writes[n + 3] = version_name(name)
        writes[n + 4] = older and older[name] or version
      end
    end
    local counted_names = plan.counted
    for i = 1, #counted_names do
      local name = counted_names[i]
      local new = values[name]
      if new and (not wins or wins[name]) then
        local old = current[at[name]]
        if old ~= new then
          if old then deltas[counts[name] .. old] = (deltas[counts[name] .. old] or 0) - 1 end
          deltas[counts[name] .. new] = (deltas[counts[name] .. new] or 0) + 1
        end
      end
    end
    if derived then
      local fields, specs, depending = derived[1], derived[2], derived[3]
      local old, new, changed = {}, {}, {}
      for i = 1, #fields do
        local name = fields[i]
        local stored = current[at[name]]
        local value = stored
        if not wins or wins[name] then value = values[name] or stored end
        old[name], new[name] = stored, value
        if stored ~= value then
          local indexes = depending[name]
          for j = 1, #indexes do changed[indexes[j]] = true end
        end
      end
      for s = 1, #specs do
        if changed[s] then
          local spec = specs[s]
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
  -- Each day bucket: its counters read now (a wrong type or a non-integer fails the batch before its first
  -- write), their new values written in one HSET. Exact integers up to 2^53.
  for d = 1, #days do
    local day = days[d]
    local day_key, names, moved = partner[3] .. day, {}, {}
    for name, delta in pairs(day_deltas[day]) do
      if delta ~= 0 then
        names[#names + 1] = name
        moved[#moved + 1] = delta
      end
    end
    if #names > 0 then
      local stored = call('HMGET', day_key, unpack(names))
      local writes = {}
      for i = 1, #names do
        local value = stored[i]
        local number = 0
        if value then
          number = tonumber(value)
          if not number then error('day counter ' .. names[i] .. ' of ' .. day_key .. ' is not an integer') end
        end
        writes[#writes + 1] = names[i]
        local sum = number + moved[i]
        if inexact(sum) then refuse('day counter ' .. names[i] .. ' of ' .. day_key) end
        writes[#writes + 1] = string.format('%d', sum)
      end
      day_writes[#day_writes + 1] = {day_key, writes}
    end
  end
end
call('HLEN', KEYS[1])
local rebuilding = call('HLEN', KEYS[3]) > 0
local last_event_at = call('HGET', KEYS[2], 'last_event_at') or ''

for i = 1, #hash_writes do
  local write = hash_writes[i]
  call('HSET', write[1], unpack(write[2]))
end
for i = 1, #increments do
  local increment = increments[i]
  for name, delta in pairs(increment[2]) do
    if delta ~= 0 then call('HINCRBY', increment[1], name, delta) end
  end
end
for i = 1, #day_writes do
  local write = day_writes[i]
  call('HSET', write[1], unpack(write[2]))
end
if #positions > 0 then call('HSET', KEYS[1], unpack(positions)) end
if rebuilding then
  for i = 1, #positions, 2 do
    local target = tonumber(call('HGET', KEYS[3], positions[i]))
    if target and tonumber(positions[i + 1]) >= target then call('HDEL', KEYS[3], positions[i]) end
  end
end
call('HINCRBY', KEYS[2], 'events_handled', batch[4])
if batch[5] > last_event_at then call('HSET', KEYS[2], 'last_event_at', batch[5]) end
call('HSET', KEYS[2], 'last_applied_at', batch[6])
for i = 1, #changed_channels do call('PUBLISH', changed_channels[i], batch[6]) end
return {}
