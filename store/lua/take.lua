-- Shared fragment (included by claim.lua and snapshot.lua, see store/live.py): reserve one
-- waiting caller for one free operator. The caller leaves the queue and the operator rings;
-- ``route`` is the queue through which the operator was found, whose round-robin memory moves
-- to the operator's listed place.
local function take(p, member, queue, op, route, now_text, score)
  redis.call('ZREM', p .. 'q:' .. queue, member)
  redis.call('ZREM', p .. 'qt:' .. queue, member)
  redis.call('HDEL', p .. 'where', member)
  redis.call('HSET', p .. 'asg', member, op)
  redis.call('ZREM', p .. 'avail', op)
  redis.call('HSET', p .. 'op:' .. op, 'state', 'ringing', 'since', now_text, 'reason', '',
    'wrap_until', '', 'caller', member, 'queue', queue, 'score', score)
  redis.call('HSET', p .. 'rr', route, redis.call('ZSCORE', p .. 'ops', op))
end
