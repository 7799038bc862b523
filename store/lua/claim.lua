-- The atomic claim: give waiting callers to free operators, following a plan ranked in
-- Python (routing.acd.plan) but re-checking every pair against the live state here, so a
-- stale plan can miss an assignment but can never give one operator two callers or one
-- caller two operators (the script runs alone; nothing interleaves with it).
-- ARGV: prefix, now, ranking count,
--       then per ranking: queue name, operator count, operator ids...,
--       then per caller in service order: member, own queue, route count, route queue names...
-- Returns a flat list: member, queue, operator id, score, per assignment made.
-- include: take.lua
local p, now = ARGV[1], tonumber(ARGV[2])
local count, i = tonumber(ARGV[3]), 4
local rankings = {}
for _ = 1, count do
  local name, n = ARGV[i], tonumber(ARGV[i + 1])
  local ids = {}
  for j = 1, n do ids[j] = ARGV[i + 1 + j] end
  rankings[name] = ids
  i = i + 2 + n
end

-- Mirrors routing.operators.is_available: ready, or a wrap-up that has run out.
local function free(op)
  local f = redis.call('HMGET', p .. 'op:' .. op, 'state', 'wrap_until')
  if f[1] == 'ready' then return true end
  return f[1] == 'wrap-up' and f[2] and f[2] ~= '' and tonumber(f[2]) <= now
end

local taken, out = {}, {}
while i <= #ARGV do
  local member, queue, nroutes = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local routes = {}
  for j = 1, nroutes do routes[j] = ARGV[i + 2 + j] end
  i = i + 3 + nroutes
  local score = redis.call('ZSCORE', p .. 'q:' .. queue, member)
  local done = not score
  for _, route in ipairs(routes) do
    if done then break end
    for _, op in ipairs(rankings[route] or {}) do
      if not taken[op] and free(op) then
        taken[op], done = true, true
        take(p, member, queue, op, route, ARGV[2], score)
        out[#out + 1] = member; out[#out + 1] = queue; out[#out + 1] = op
        out[#out + 1] = score
        break
      end
    end
  end
end
return out
