-- Read-only snapshot of the routing live state, in one round trip (see store/live_routing.py).
-- Profiles are sent only when their revision differs from the caller's cached one; waiting
-- entries only as many per queue as there are free operators (capped), since nobody further
-- back can be served by this round.
-- ARGV: prefix, now, cached profile revision, entry cap, queue names...
-- Returns: { revision, profiles, operator ids with positions, live fields, rr memory, queues }
local p, now, cap = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4])
local FIELDS = {'state', 'since', 'reason', 'calls', 'last_end', 'wrap_until', 'caller', 'queue'}

local rev = redis.call('GET', p .. 'ops:rev') or '0'
local ids = redis.call('ZRANGE', p .. 'ops', 0, -1, 'WITHSCORES')
local profiles, live, free = {}, {}, 0
for i = 1, #ids, 2 do
  if rev ~= ARGV[3] then
    profiles[#profiles + 1] = redis.call('HGETALL', p .. 'opp:' .. ids[i])
  end
  local f = redis.call('HMGET', p .. 'op:' .. ids[i], unpack(FIELDS))
  live[#live + 1] = f
  -- Mirrors routing.operators.is_available: ready, or a wrap-up that has run out.
  if f[1] == 'ready' or (f[1] == 'wrap-up' and f[6] and f[6] ~= '' and tonumber(f[6]) <= now) then
    free = free + 1
  end
end

local take = math.min(free, cap)
local queues = {}
for i = 5, #ARGV do
  local q = ARGV[i]
  local entries = {}
  if take > 0 then
    entries = redis.call('ZRANGE', p .. 'q:' .. q, 0, take - 1, 'WITHSCORES')
  end
  queues[#queues + 1] = {
    redis.call('ZCARD', p .. 'q:' .. q),
    redis.call('ZRANGE', p .. 'qt:' .. q, 0, 0, 'WITHSCORES'),
    entries,
  }
end
return {rev, profiles, ids, live, redis.call('HGETALL', p .. 'rr'), queues}
