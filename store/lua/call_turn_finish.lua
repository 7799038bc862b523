-- End one turn of a call (store/call_sessions.py), in one round trip: store the session and
-- the reply given (a retry of the same request gets it), then release the lock if it is
-- still ours (it may have expired and been taken by a later turn).
-- KEYS: the call's lock, its session, and (optional) the reply key.
-- ARGV: the lock token, the session JSON ('' = unchanged), its time-to-live in seconds,
--       the reply ('' = none), its time-to-live in seconds.
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3]) end
if KEYS[3] and ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'EX', ARGV[5], 'NX') end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
