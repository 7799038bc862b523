-- Start one turn of a call (store/call_sessions.py), in one round trip.
-- KEYS: the call's lock, its session, and (optional) the reply stored for this request.
-- ARGV: the lock token, the lock's time-to-live in milliseconds.
-- Returns {'reply', text} when this request was answered before (nothing is locked then),
-- {'locked', session or false} when the lock was taken, {'busy'} when another turn holds it.
if KEYS[3] then
  local reply = redis.call('GET', KEYS[3])
  if reply then return {'reply', reply} end
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {'locked', redis.call('GET', KEYS[2])}
end
return {'busy'}
