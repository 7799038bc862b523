-- Snapshot of the routing live state, in one round trip (see store/live_assignment.py); it
-- writes nothing, except the claim of a round it decides itself (ARGV[7], below).
-- The reply is packed into a few tab/newline-separated strings: a reply of many small
-- elements costs more to parse on the client than the script costs to run. Profiles are sent only when their
-- revision differs from the client's cached one. With ARGV[5] = 'free' only free operators
-- are listed (enough to assign), and waiting entries only as many per queue as there are free
-- operators (capped), since nobody further back can be served by this round.
-- ARGV: prefix, now, cached profile revision, entry cap, 'free' | 'all', queue names
-- (tab-separated in one argument: fewer arguments, less encoding on the client), then
-- optionally the queue spec of a one-operator round (ARGV[7], below) and a caller's score
-- (ARGV[8], 'all' mode: who is placed before that caller in each queue)
-- (In 'free' mode count and oldest are empty: they are for the live view only.)
-- Returns { revision, profiles, operators, rr memory, queues, next retry, known }: profiles as
-- HGETALL arrays; operators one a line, "id position state since reason calls last_end
-- wrap_until caller queue" tab-separated; rr "queue position ..." tab-separated; queues one a
-- line (in ARGV order), "count oldest-join-time before member score member score ..."
-- tab-separated, where before counts the members scored below ARGV[8] (a caller's score,
-- optional: '' without it);
-- next retry: the earliest due time of a parked callback ('' when none is parked), so the
-- caller knows without another round trip whether one is due back in its queue; known: 1 if
-- any operator is registered (0 after Redis lost its data, so the caller can resync). In
-- 'free' mode with nobody free, queues is empty: no round can be made, so none is read.
--
-- ARGV[7] (optional, 'free' mode only) asks the script to decide the round itself when exactly
-- one operator is free and no parked callback is due: with one operator no strategy can
-- matter, only which caller comes first, so the pure ACD's rule for that (routing.acd:
-- heavier queue, then higher priority, then earlier original join time, then id; a caller's
-- own queue, or its overflow target once it has waited long enough; an operator serves a
-- queue of their company and, if the queue has one, language) is applied here and the claim
-- made in the same round trip. That is the usual round under load, when callers wait and
-- operators come free one at a time. ARGV[7] holds one line per queue: "name weight company
-- language overflow-target overflow-after" tab-separated ('' for none). The reply then has
-- an eighth element: the claim made, as claim.lua returns it (empty if no waiting caller
-- fits); without it the round is left to Python. tests/integration/test_round_in_script.py
-- holds this decision to the pure ACD's on random states.
-- include: take.lua
local p, now, cap, only_free = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[4]), ARGV[5] == 'free'
local STEP = 2 ^ 42 -- routing.queues.waiting_score: score = joined ms - priority * STEP
local FIELDS = {'state', 'since', 'reason', 'calls', 'last_end', 'wrap_until', 'caller', 'queue'}

local rev = redis.call('GET', p .. 'ops:rev') or '0'
local ids
if only_free then
  -- The availability index (score: when the operator is free from) narrows the scan; the
  -- operator hash stays the truth, checked below and again by the claim script.
  local free_ids = redis.call('ZRANGEBYSCORE', p .. 'avail', '-inf', ARGV[2])
  ids = {}
  if #free_ids > 0 then
    local positions = redis.call('ZMSCORE', p .. 'ops', unpack(free_ids))
    for i, id in ipairs(free_ids) do
      ids[#ids + 1] = id
      ids[#ids + 1] = positions[i] or '0'
    end
  end
else
  ids = redis.call('ZRANGE', p .. 'ops', 0, -1, 'WITHSCORES')
end
local profiles, operators, free, free_id = {}, {}, 0, nil
if rev ~= ARGV[3] then
  local all = redis.call('ZRANGE', p .. 'ops', 0, -1)
  for _, id in ipairs(all) do profiles[#profiles + 1] = redis.call('HGETALL', p .. 'opp:' .. id) end
end
for i = 1, #ids, 2 do
  local f = redis.call('HMGET', p .. 'op:' .. ids[i], unpack(FIELDS))
  -- Mirrors routing.operators.is_available: ready, or a wrap-up that has run out.
  local is_free = f[1] == 'ready'
    or (f[1] == 'wrap-up' and f[6] and f[6] ~= '' and tonumber(f[6]) <= now)
  if is_free then free, free_id = free + 1, ids[i] end
  if is_free or not only_free then
    local row = {ids[i], ids[i + 1]}
    for j = 1, #FIELDS do row[j + 2] = f[j] or '' end
    operators[#operators + 1] = table.concat(row, '\t')
  end
end

local parked = redis.call('ZRANGE', p .. 'cbp', 0, 0, 'WITHSCORES')
local next_retry = parked[2] or ''

local function set_of(csv)
  local out = {}
  for item in string.gmatch(csv or '', '[^,]+') do out[item] = true end
  return out
end

-- The round for one free operator (see the header); returns the claim made.
local function decide_one(op)
  local profile = redis.call('HMGET', p .. 'opp:' .. op, 'languages', 'companies')
  local languages, companies = set_of(profile[1]), set_of(profile[2])
  local specs, order = {}, {}
  for line in string.gmatch(ARGV[7], '[^\n]+') do
    local name, weight, company, language, target, after =
      string.match(line, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$')
    specs[name] = {weight = tonumber(weight), company = company, language = language,
      target = target, after = tonumber(after)}
    order[#order + 1] = name
  end
  local function serves(spec)
    return spec ~= nil and companies[spec.company] ~= nil
      and (spec.language == '' or languages[spec.language] ~= nil)
  end
  local best
  for _, name in ipairs(order) do
    local spec = specs[name]
    local head = redis.call('ZRANGE', p .. 'q:' .. name, 0, 0, 'WITHSCORES')
    if #head > 0 then
      local score, route = tonumber(head[2]), nil
      if serves(spec) then
        route = name
      elseif spec.target ~= '' and spec.after and serves(specs[spec.target]) then
        local priority = -math.floor(score / STEP)
        if now - (score + priority * STEP) / 1000 >= spec.after then route = spec.target end
      end
      if route then
        local id = string.match(head[1], '^[^:]*:(.*)$') or head[1]
        if not best or spec.weight > best.weight or (spec.weight == best.weight
            and (score < best.score or (score == best.score and id < best.id))) then
          best = {weight = spec.weight, score = score, id = id, member = head[1], queue = name,
            route = route, score_text = head[2]}
        end
      end
    end
  end
  if not best then return {} end
  take(p, best.member, best.queue, op, best.route, ARGV[2], best.score_text)
  return {best.member, best.queue, op, best.score_text}
end

if only_free and ARGV[7] and ARGV[7] ~= '' and free == 1
    and not (next_retry ~= '' and tonumber(next_retry) <= now) then
  return {rev, profiles, '', '', '', next_retry, 1, decide_one(free_id)}
end

local take_n = math.min(free, cap)
local queues = {}
-- A round with nobody free reads no queue (the Python side expects no lines then).
local read_queues = not (only_free and free == 0)
for q in string.gmatch(read_queues and ARGV[6] or '', '[^\t]+') do
  local entry = {'', '', ''}
  if not only_free then
    local oldest = redis.call('ZRANGE', p .. 'qt:' .. q, 0, 0, 'WITHSCORES')
    entry = {redis.call('ZCARD', p .. 'q:' .. q), oldest[2] or '', ''}
    if ARGV[8] and ARGV[8] ~= '' then
      entry[3] = redis.call('ZCOUNT', p .. 'q:' .. q, '-inf', '(' .. ARGV[8])
    end
  end
  if take_n > 0 then
    local waiting = redis.call('ZRANGE', p .. 'q:' .. q, 0, take_n - 1, 'WITHSCORES')
    for j = 1, #waiting do entry[j + 3] = waiting[j] end
  end
  queues[#queues + 1] = table.concat(entry, '\t')
end
local rr = table.concat(redis.call('HGETALL', p .. 'rr'), '\t')
local known = redis.call('EXISTS', p .. 'ops')
return {rev, profiles, table.concat(operators, '\n'), rr, table.concat(queues, '\n'),
  next_retry, known}
