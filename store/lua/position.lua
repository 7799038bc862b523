-- A waiting member's place, in one round trip (store/live_callers.py): the queue `where` names,
-- the member's 0-based rank in it and its score (priority, then original join time).
-- ARGV: prefix, member.
-- Returns {queue, rank, score}, or false when the member is not waiting.
local p, member = ARGV[1], ARGV[2]
local q = redis.call('HGET', p .. 'where', member)
if not q then return false end
local rank = redis.call('ZRANK', p .. 'q:' .. q, member)
if not rank then return false end
return {q, rank, redis.call('ZSCORE', p .. 'q:' .. q, member)}
