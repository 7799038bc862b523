-- Read-only snapshot of the routing live state, in one round trip (see store/live_assignment.py).
-- The reply is packed into a few tab/newline-separated strings: a reply of many small
-- elements costs more to parse on the client than the script costs to run. Profiles are sent only when their
-- revision differs from the client's cached one. With ARGV[5] = 'free' only free operators
-- are listed (enough to assign), and waiting entries only as many per queue as there are free
-- operators (capped), since nobody further back can be served by this round.
-- ARGV: prefix, now, cached profile revision, entry cap, 'free' | 'all', queue names
-- (tab-separated in one argument: fewer arguments, less encoding on the client)
-- (In 'free' mode count and oldest are empty: they are for the live view only.)
-- Returns { revision, profiles, operators, rr memory, queues, next retry, known }: profiles as
-- HGETALL arrays; operators one a line, "id position state since reason calls last_end
-- wrap_until caller queue" tab-separated; rr "queue position ..." tab-separated; queues one a
-- line (in ARGV order), "count oldest-join-time member score member score ..." tab-separated;
-- next retry: the earliest due time of a parked callback ('' when none is parked), so the
-- caller knows without another round trip whether one is due back in its queue; known: 1 if
-- any operator is registered (0 after Redis lost its data, so the caller can resync). In
-- 'free' mode with nobody free, queues is empty: no round can be made, so none is read.
local p, now, cap, only_free = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4]), ARGV[5] == 'free'
local FIELDS = {'state', 'since', 'reason', 'calls', 'last_end', 'wrap_until', 'caller', 'queue'}

local rev = redis.call('GET', p .. 'ops:rev') or '0'
local ids
if only_free then
  -- The availability index (score: when the operator is free from) narrows the scan; the
  -- operator hash stays the truth, checked below and again by the claim script.
  local free_ids = redis.call('ZRANGEBYSCORE', p .. 'avail', '-inf', ARGV[2])
  ids = {}
  if #free_ids > 0 then
    local positions = redis.call('ZMSCORE', p .. 'ops', unpack(free_ids))
    for i, id in ipairs(free_ids) do
      ids[#ids + 1] = id
      ids[#ids + 1] = positions[i] or '0'
    end
  end
else
  ids = redis.call('ZRANGE', p .. 'ops', 0, -1, 'WITHSCORES')
end
local profiles, operators, free = {}, {}, 0
if rev ~= ARGV[3] then
  local all = redis.call('ZRANGE', p .. 'ops', 0, -1)
  for _, id in ipairs(all) do profiles[#profiles + 1] = redis.call('HGETALL', p .. 'opp:' .. id) end
end
for i = 1, #ids, 2 do
  local f = redis.call('HMGET', p .. 'op:' .. ids[i], unpack(FIELDS))
  -- Mirrors routing.operators.is_available: ready, or a wrap-up that has run out.
  local is_free = f[1] == 'ready'
    or (f[1] == 'wrap-up' and f[6] and f[6] ~= '' and tonumber(f[6]) <= now)
  if is_free then free = free + 1 end
  if is_free or not only_free then
    local row = {ids[i], ids[i + 1]}
    for j = 1, #FIELDS do row[j + 2] = f[j] or '' end
    operators[#operators + 1] = table.concat(row, '\t')
  end
end

local take = math.min(free, cap)
local queues = {}
-- A round with nobody free reads no queue (the Python side expects no lines then).
local read_queues = not (only_free and free == 0)
for q in string.gmatch(read_queues and ARGV[6] or '', '[^\t]+') do
  local entry = {'', ''}
  if not only_free then
    local oldest = redis.call('ZRANGE', p .. 'qt:' .. q, 0, 0, 'WITHSCORES')
    entry = {redis.call('ZCARD', p .. 'q:' .. q), oldest[2] or ''}
  end
  if take > 0 then
    local waiting = redis.call('ZRANGE', p .. 'q:' .. q, 0, take - 1, 'WITHSCORES')
    for j = 1, #waiting do entry[j + 2] = waiting[j] end
  end
  queues[#queues + 1] = table.concat(entry, '\t')
end
local rr = table.concat(redis.call('HGETALL', p .. 'rr'), '\t')
local parked = redis.call('ZRANGE', p .. 'cbp', 0, 0, 'WITHSCORES')
local known = redis.call('EXISTS', p .. 'ops')
return {rev, profiles, table.concat(operators, '\n'), rr, table.concat(queues, '\n'),
  parked[2] or '', known}
