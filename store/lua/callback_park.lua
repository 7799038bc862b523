-- Park an unanswered callback until its next try (store/live_callbacks.py): it leaves the
-- operator's reservation, is kept OUT of every queue (no assignment can pick it) and listed in
-- the parked set by due time, and stays the consumer's one pending callback with its original
-- score and join time, so it comes back to the same place. Runs inside the transaction that
-- frees the operator (their key WATCHed), so both happen or neither.
-- ARGV: prefix, consumer id, callback member, tries made so far, due time (epoch seconds)
-- Returns 1 when parked, 0 when the callback was gone (cancelled or done meanwhile).
local p, consumer, member = ARGV[1], ARGV[2], ARGV[3]
local cb = p .. 'cb:' .. consumer
redis.call('HDEL', p .. 'asg', member)
if redis.call('EXISTS', cb) == 0 then return 0 end
redis.call('HSET', cb, 'attempts', ARGV[4], 'due', ARGV[5])
redis.call('ZADD', p .. 'cbp', ARGV[5], consumer)
return 1
