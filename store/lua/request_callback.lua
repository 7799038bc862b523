-- Turn a waiting call into a pending callback that keeps the call's place (same score, same
-- original join time), if the consumer has no pending callback already.
-- ARGV: prefix, call member, callback member, consumer id, fault id ('' for none),
--       then callback fields as name, value pairs.
-- Returns 'requested', 'already-pending' or 'not-waiting'.
local p, call, cb, consumer, fault = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', p .. 'cb:' .. consumer) == 1 then
  return 'already-pending'
end
local q = redis.call('HGET', p .. 'where', call)
if not q then return 'not-waiting' end
local score = redis.call('ZSCORE', p .. 'q:' .. q, call)
local joined = redis.call('ZSCORE', p .. 'qt:' .. q, call)
redis.call('ZREM', p .. 'q:' .. q, call)
redis.call('ZREM', p .. 'qt:' .. q, call)
redis.call('HDEL', p .. 'where', call)
redis.call('ZADD', p .. 'q:' .. q, score, cb)
redis.call('ZADD', p .. 'qt:' .. q, joined, cb)
redis.call('HSET', p .. 'where', cb, q)
local fields = {}
for i = 6, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', p .. 'cb:' .. consumer, 'queue', q, 'score', score, 'joined', joined,
  unpack(fields))
if fault ~= '' then redis.call('SADD', p .. 'cbf:' .. fault, consumer) end
return 'requested'
