-- Put the parked callbacks whose time has come back into their queue at their ORIGINAL place
-- (the score and join time kept in their hash), ready for the assignment round that follows
-- (store/live_callbacks.py). Each one is taken off the parked set by this script alone, so
-- concurrent rounds release it once. A queue at its maximum length still takes it back: the
-- consumer already had this place.
-- ARGV: prefix, now, member prefix ('callback:'), most to release in one go
-- Returns the consumer ids released, earliest due first.
local p, now, kind = ARGV[1], ARGV[2], ARGV[3]
local due = redis.call('ZRANGEBYSCORE', p .. 'cbp', '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
local released = {}
for _, consumer in ipairs(due) do
  redis.call('ZREM', p .. 'cbp', consumer)
  local cb = p .. 'cb:' .. consumer
  local f = redis.call('HMGET', cb, 'queue', 'score', 'joined')
  if f[1] and f[2] and f[3] then
    local member = kind .. consumer
    redis.call('ZADD', p .. 'q:' .. f[1], f[2], member)
    redis.call('ZADD', p .. 'qt:' .. f[1], f[3], member)
    redis.call('HSET', p .. 'where', member, f[1])
    redis.call('HSET', cb, 'due', '')
    released[#released + 1] = consumer
  end
end
return released
