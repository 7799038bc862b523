-- Cancel a consumer's callback that is waiting in its queue or parked for another try, and
-- count it in its queue's interval (store/live_callbacks.py). One being placed (an operator
-- reserved, the consumer's phone ringing) is left to finish.
-- ARGV: prefix, consumer id, callback member, interval start, metrics ttl, counter name
-- Returns the queue it was cancelled from, or false when there was nothing to cancel.
local p, consumer, member = ARGV[1], ARGV[2], ARGV[3]
local cb = p .. 'cb:' .. consumer
local q = redis.call('HGET', p .. 'where', member)
if q then
  redis.call('ZREM', p .. 'q:' .. q, member)
  redis.call('ZREM', p .. 'qt:' .. q, member)
  redis.call('HDEL', p .. 'where', member)
elseif redis.call('ZREM', p .. 'cbp', consumer) == 1 then
  q = redis.call('HGET', cb, 'queue')
end
if not q then return false end
redis.call('DEL', cb)
local metrics = p .. 'm:' .. q .. ':' .. ARGV[4]
redis.call('HINCRBY', metrics, ARGV[6], 1)
redis.call('EXPIRE', metrics, ARGV[5])
return q
