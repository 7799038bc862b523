-- Put a caller (or a returning entry) into a queue at the place its score gives, unless the
-- queue is full or the member is already waiting or with an operator.
-- ARGV: prefix, queue, member, score, joined, max length, metrics key, metrics ttl, count (1/0)
-- Returns 'queued', 'full' or 'duplicate'.
local p, q, member = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', p .. 'where', member) == 1 or redis.call('HEXISTS', p .. 'asg', member) == 1 then
  return 'duplicate'
end
if redis.call('ZCARD', p .. 'q:' .. q) >= tonumber(ARGV[6]) then
  return 'full'
end
redis.call('ZADD', p .. 'q:' .. q, ARGV[4], member)
redis.call('ZADD', p .. 'qt:' .. q, ARGV[5], member)
redis.call('HSET', p .. 'where', member, q)
if ARGV[9] == '1' then
  redis.call('HINCRBY', ARGV[7], 'offered', 1)
  redis.call('EXPIRE', ARGV[7], ARGV[8])
end
return 'queued'
