-- The shared pace of bulk SMS (store/sms_pace.py): one token bucket for every outbox worker
-- of an install, refilled by the Redis server's clock so that workers on machines whose clocks
-- disagree still share it fairly. The rules are services.bulk_pace.Pace's (refill).
-- KEYS: the bucket, a hash of `tokens` and `at` (server time of the last refill, in seconds).
-- ARGV: messages a second, the bucket's capacity, whole tokens wanted, unspent tokens given back.
-- A missing bucket is a full one: it expires once it would have filled up again anyway.
-- Returns {tokens granted, tokens left as text (a Lua number in a reply loses its fraction)}.
local rate, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local wanted, returned = tonumber(ARGV[3]), tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local tokens, at = capacity, now
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'at')
if saved[1] and saved[2] then
  tokens, at = tonumber(saved[1]), tonumber(saved[2])
  if now > at then  -- a server clock that went back (a fail-over) adds nothing
    tokens = math.min(capacity, tokens + (now - at) * rate)
    at = now
  end
end
tokens = math.min(capacity, tokens + returned)
local granted = math.max(0, math.min(wanted, math.floor(tokens)))
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at', string.format('%.6f', at))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {granted, string.format('%.17g', tokens)}
