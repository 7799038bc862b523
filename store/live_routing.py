"""Routing live state in Redis: waiting callers, operator states, callbacks and counters.

The adapter between the pure routing core and Redis, shared by every worker process. Waiting
callers sit in one sorted set per queue, scored by priority then ORIGINAL join time
(:func:`routing.queues.waiting_score`), so a callback or a ring-no-answer goes back to the same
place. Callbacks (asked for, parked after an unanswered try, released back to their place when
due, cancelled) are kept by :mod:`store.live_callbacks`; due ones are released at the start of
every assignment round. Assignment is one Lua script (``lua/claim.lua``, loaded once, run by
EVALSHA) fed with the pure ACD's ranking and re-checking every pair, so no two processes can
double-assign. Other operator changes run the pure transition table inside a WATCH/MULTI
transaction on the operator's key, which also conflicts with a concurrent claim. Wrap-up ends
lazily: states are settled against the ``now`` passed in (float epoch seconds). A Redis that
cannot be reached raises :class:`LiveStateUnavailable`, which the front-ends catch to fall back.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from importlib import resources
from typing import Any, cast

import redis
from redis.client import Pipeline

from routing import acd
from routing.acd import Action, CallerKind, OperatorView, PlaceCallback, WaitingCaller
from routing.callbacks import Callback, CallbackOutcome, RetryPolicy, next_try, to_cancel
from routing.errors import RoutingError
from routing.metrics import Counter, IntervalStats, QueueNow, interval_start, live_view
from routing.operators import (
    Answered,
    CallerLeft,
    HungUp,
    LoggedIn,
    LoggedOut,
    MadeReady,
    NotAnswered,
    Operator,
    OperatorEvent,
    OperatorState,
    OperatorStatus,
    Paused,
    Rejected,
    StoodBy,
    Tier,
    settle,
    transition,
)
from routing.queues import Company, Language, QueueSet, decode_score, waiting_score
from routing.wait import QueueLoad, WaitEstimate, WaitPolicy, estimate_wait
from store.live import LiveStateUnavailable
from store.live_callbacks import LiveCallbacks, MissedCallback

METRICS_TTL_S = 8 * 24 * 3600  # long enough for a weekly report to read raw intervals
HANDLE_SAMPLES = 50  # recent handle times kept per queue for the wait estimate
ENTRY_CAP = 200  # waiting entries per queue read in one assignment round
_FIELDS = ("state", "since", "reason", "calls", "last_end", "wrap_until", "caller", "queue")


ShiftEvent = LoggedIn | LoggedOut | MadeReady | Paused | StoodBy
Effect = Callable[[Pipeline, dict[str, str], OperatorStatus, float], None]


class EnqueueOutcome(StrEnum):
    QUEUED = "queued"
    FULL = "full"  # the queue is at its max length
    DUPLICATE = "duplicate"  # already waiting or with an operator


class LeftOutcome(StrEnum):
    """Where a caller who hung up was."""

    ABANDONED_WAITING = "abandoned-waiting"
    ABANDONED_RINGING = "abandoned-ringing"  # the ringing operator is ready again
    ENDED = "ended"  # was talking: the call ended normally, the operator wraps up
    UNKNOWN = "unknown"


def member_of(kind: CallerKind, ident: str) -> str:
    """The queue member naming a call id or, for a callback, a consumer id."""
    if "\t" in ident or "\n" in ident:  # the snapshot script packs members with these
        raise RoutingError(f"an id may not hold a tab or newline: {ident!r}")
    return f"{kind.value}:{ident}"


def caller_of(member: str, queue: str, score: float) -> WaitingCaller:
    kind, _, ident = member.partition(":")
    priority, joined = decode_score(score)
    return WaitingCaller(ident, CallerKind(kind), queue, priority, joined)


@contextmanager
def _reachable() -> Iterator[None]:
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise LiveStateUnavailable(f"routing live state unreachable: {error}") from error


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _lines(packed: Any) -> list[str]:
    text = _text(packed)
    return text.split("\n") if text else []


def _optional_float(raw: str) -> float | None:
    return float(raw) if raw else None


def _status(fields: Sequence[Any]) -> OperatorStatus:
    """An operator status from the hash fields in ``_FIELDS`` order."""
    state, since, reason, calls, last_end, wrap_until, caller, queue = (
        "" if value is None else _text(value) for value in fields
    )
    return OperatorStatus(
        state=OperatorState(state or OperatorState.OFFLINE.value),
        since=float(since or 0.0),
        reason=reason or None,
        calls_taken=int(calls or 0),
        last_call_end=_optional_float(last_end),
        wrapup_until=_optional_float(wrap_until),
        caller=caller or None,
        queue=queue or None,
    )


def _status_fields(status: OperatorStatus) -> dict[Any, Any]:
    def number(value: float | None) -> str:
        return "" if value is None else repr(value)

    return {
        "state": status.state.value,
        "since": repr(status.since),
        "reason": status.reason or "",
        "calls": str(status.calls_taken),
        "last_end": number(status.last_call_end),
        "wrap_until": number(status.wrapup_until),
        "caller": status.caller or "",
        "queue": status.queue or "",
    }


def _profile(raw: Sequence[Any]) -> Operator:
    fields = {_text(raw[i]): _text(raw[i + 1]) for i in range(0, len(raw), 2)}
    return Operator(
        id=fields["id"],
        name=fields["name"],
        phone=fields["phone"],
        sip_interface=fields["sip"],
        languages=frozenset(Language(x) for x in fields["languages"].split(",") if x),
        companies=frozenset(Company(x) for x in fields["companies"].split(",") if x),
        tier=Tier(fields["tier"]),
    )


@dataclass(frozen=True, slots=True)
class _Snapshot:
    operators: tuple[OperatorView, ...]
    waiting: tuple[WaitingCaller, ...]
    queues: tuple[QueueNow, ...]
    rr_positions: dict[str, int]
    next_retry: float | None  # the earliest due time of a parked callback


class RedisLiveState:
    """Routing live state for any number of worker processes sharing one Redis."""

    def __init__(
        self,
        client: redis.Redis,
        queue_set: QueueSet,
        *,
        prefix: str = "h1912:",
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._queues = queue_set
        self._prefix = prefix
        self._rng = rng or random.Random()
        self._profiles: tuple[str, dict[str, Operator]] = ("", {})
        lua = resources.files("store") / "lua"
        self._scripts = {
            name: client.register_script((lua / f"{name}.lua").read_text(encoding="utf-8"))
            for name in ("snapshot", "claim", "enqueue")
        }
        self._callbacks = LiveCallbacks(client, prefix, METRICS_TTL_S)

    def _key(self, *parts: str) -> str:
        return self._prefix + ":".join(parts)

    def _run(self, script: str, args: Sequence[str | float | int]) -> Any:
        with _reachable():
            return self._scripts[script](args=[self._prefix, *args])

    # ------------------------------------------------------------------ operators

    def register_operator(self, operator: Operator, now: float) -> None:
        """Add or update an operator's profile; a new operator starts offline."""
        profile: dict[Any, Any] = {
            "id": operator.id,
            "name": operator.name,
            "phone": operator.phone,
            "sip": operator.sip_interface,
            "languages": ",".join(sorted(operator.languages)),
            "companies": ",".join(sorted(operator.companies)),
            "tier": operator.tier.value,
        }
        offline = _status_fields(OperatorStatus(OperatorState.OFFLINE, now))
        with _reachable():
            if self._client.zscore(self._key("ops"), operator.id) is None:
                position = self._client.incr(self._key("ops:seq"))
                self._client.zadd(self._key("ops"), {operator.id: position}, nx=True)
            pipe = self._client.pipeline()
            pipe.hset(self._key("opp", operator.id), mapping=profile)
            for field, value in offline.items():
                pipe.hsetnx(self._key("op", operator.id), field, value)
            pipe.incr(self._key("ops:rev"))
            pipe.execute()

    def knows_operators(self) -> bool:
        """False after Redis lost its data (a restart without persistence): time to resync."""
        with _reachable():
            return bool(self._client.exists(self._key("ops")))

    def operator_status(self, operator_id: str, now: float) -> OperatorStatus:
        """The operator's status as of ``now`` (a finished wrap-up reads as ready)."""
        with _reachable():
            fields = self._client.hmget(self._key("op", operator_id), list(_FIELDS))
        if fields[0] is None:
            raise RoutingError(f"unknown operator {operator_id!r}")
        return settle(_status(fields), now)

    def apply(self, operator_id: str, event: ShiftEvent, now: float) -> OperatorStatus | Rejected:
        """Log in/out, make ready, pause, stand by (events with no call attached)."""
        if not isinstance(event, LoggedIn | LoggedOut | MadeReady | Paused | StoodBy):
            raise RoutingError(f"{type(event).__name__} goes through the call methods")
        return self._change(operator_id, event, now, None)

    def answered(self, operator_id: str, now: float) -> OperatorStatus | Rejected:
        """The ringing operator picked up: on call; counts the answer and its wait."""
        return self._change(operator_id, Answered(), now, self._count_answer)

    def no_answer(self, operator_id: str, now: float) -> OperatorStatus | Rejected:
        """Ring-no-answer: the caller goes back to the same place; the operator is paused."""
        return self._change(operator_id, NotAnswered(), now, self._requeue)

    def call_ended(self, operator_id: str, now: float) -> OperatorStatus | Rejected:
        """The call is over: wrap-up for the queue's wrap-up time; counts the handle time."""
        wrapup = self._wrapup(self.operator_status(operator_id, now))
        return self._change(operator_id, HungUp(wrapup), now, self._count_handled)

    def _change(
        self,
        operator_id: str,
        event: OperatorEvent,
        now: float,
        effect: Effect | None,
        *,
        caller: str | None = None,
    ) -> OperatorStatus | Rejected:
        """Run the pure transition on the operator's hash under WATCH; ``effect`` adds writes.

        With ``caller``, the change applies only while the operator holds that caller.
        """
        key = self._key("op", operator_id)
        outcome: list[OperatorStatus | Rejected] = []

        def body(pipe: Pipeline) -> None:
            raw = {_text(k): _text(v) for k, v in pipe.hgetall(key).items()}
            if not raw:
                raise RoutingError(f"unknown operator {operator_id!r}")
            status = _status([raw.get(f) for f in _FIELDS])
            result = transition(status, event, now)
            if caller is not None and status.caller != caller:
                result = Rejected(status.state, type(event).__name__, "not with that caller")
            outcome[:] = [result]
            pipe.multi()
            if isinstance(result, OperatorStatus):
                pipe.hset(key, mapping=_status_fields(result))
                self._index(pipe, operator_id, result)
                if effect is not None:
                    effect(pipe, raw, result, now)

        with _reachable():
            self._client.transaction(body, key)
        return outcome[0]

    def _index(self, pipe: Pipeline, operator_id: str, status: OperatorStatus) -> None:
        """Keep the availability index (operator -> free from) in step with the state."""
        if status.state is OperatorState.READY:
            pipe.zadd(self._key("avail"), {operator_id: 0})
        elif status.state is OperatorState.WRAP_UP and status.wrapup_until is not None:
            pipe.zadd(self._key("avail"), {operator_id: status.wrapup_until})
        else:
            pipe.zrem(self._key("avail"), operator_id)

    # ------------------------------------------------------- side effects of call events

    def _metrics_key(self, queue: str, now: float) -> str:
        return self._key("m", queue, str(interval_start(now)))

    def _bump(self, pipe: Pipeline, queue: str, now: float, counts: dict[str, float]) -> None:
        key = self._metrics_key(queue, now)
        for name, amount in counts.items():
            if isinstance(amount, int):
                pipe.hincrby(key, name, amount)
            else:
                pipe.hincrbyfloat(key, name, amount)
        pipe.expire(key, METRICS_TTL_S)

    def _count_answer(
        self, pipe: Pipeline, raw: dict[str, str], _: OperatorStatus, now: float
    ) -> None:
        queue = raw["queue"]
        wait = max(0.0, now - decode_score(float(raw["score"]))[1])
        within = int(wait <= self._queues[queue].service_level_s)
        counts = {Counter.ANSWERED: 1, Counter.WITHIN_SL: within, Counter.WAIT_SUM: wait}
        self._bump(pipe, queue, now, counts)

    def _requeue(self, pipe: Pipeline, raw: dict[str, str], _: OperatorStatus, now: float) -> None:
        member, queue, score = raw["caller"], raw["queue"], float(raw["score"])
        pipe.hdel(self._key("asg"), member)
        pipe.zadd(self._key("q", queue), {member: score})
        pipe.zadd(self._key("qt", queue), {member: decode_score(score)[1]})
        pipe.hset(self._key("where"), member, queue)

    def _count_handled(
        self, pipe: Pipeline, raw: dict[str, str], new: OperatorStatus, now: float
    ) -> None:
        member, queue = raw["caller"], raw["queue"]
        handle = max(0.0, now - float(raw["since"])) + self._queues[queue].wrapup_s
        self._bump(pipe, queue, now, {Counter.HANDLED: 1, Counter.HANDLE_SUM: handle})
        samples = self._key("ht", queue)
        pipe.lpush(samples, repr(handle))
        pipe.ltrim(samples, 0, HANDLE_SAMPLES - 1)
        pipe.hdel(self._key("asg"), member)
        if member.startswith(CallerKind.CALLBACK.value + ":"):
            # Done: the consumer may ask for another one. The fault index is left to expire.
            pipe.delete(self._key("cb", member.partition(":")[2]))

    def _abandon_ringing(
        self, pipe: Pipeline, raw: dict[str, str], _: OperatorStatus, now: float
    ) -> None:
        member = raw["caller"]
        pipe.hdel(self._key("asg"), member)
        if member.startswith(CallerKind.CALLBACK.value + ":"):
            pipe.delete(self._key("cb", member.partition(":")[2]))
        else:
            self._bump(pipe, raw["queue"], now, {Counter.ABANDONED: 1})

    # ------------------------------------------------------------------ callers

    def enqueue(
        self, call_id: str, queue: str, priority: int, now: float, *, joined: float | None = None
    ) -> EnqueueOutcome:
        """Put a caller in a queue; ``joined`` keeps an earlier join time (a returning caller)."""
        definition = self._queues[queue]
        first = joined if joined is not None else now
        args: list[str | float | int] = [
            queue,
            member_of(CallerKind.CALL, call_id),
            waiting_score(priority, first),
            repr(first),
            definition.max_length,
            self._metrics_key(queue, now),
            METRICS_TTL_S,
            int(joined is None),  # a returning caller was counted when first offered
        ]
        return EnqueueOutcome(_text(self._run("enqueue", args)))

    def position(self, call_id: str) -> tuple[str, int] | None:
        """The caller's queue and 1-based place in it, or None if not waiting."""
        member = member_of(CallerKind.CALL, call_id)
        with _reachable():
            queue = self._client.hget(self._key("where"), member)
            if queue is None:
                return None
            rank = self._client.zrank(self._key("q", _text(queue)), member)
        return None if rank is None else (_text(queue), cast(int, rank) + 1)

    def caller_left(self, call_id: str, now: float) -> LeftOutcome:
        """The caller hung up: out of the queue, or the ringing operator freed, or call ended."""
        member = member_of(CallerKind.CALL, call_id)
        # Two tries: a ring-no-answer may move the caller back to the queue in between.
        for _ in range(2):
            if self._remove_waiting(member, now, Counter.ABANDONED):
                return LeftOutcome.ABANDONED_WAITING
            with _reachable():
                operator_id = self._client.hget(self._key("asg"), member)
            if operator_id is None:
                continue
            outcome = self._leave_operator(_text(operator_id), member, now)
            if outcome is not None:
                return outcome
        return LeftOutcome.UNKNOWN

    def _leave_operator(self, operator_id: str, member: str, now: float) -> LeftOutcome | None:
        status = self.operator_status(operator_id, now)
        if status.state is OperatorState.ON_CALL and status.caller == member:
            ended = self._change(
                operator_id, HungUp(self._wrapup(status)), now, self._count_handled, caller=member
            )
            return LeftOutcome.ENDED if isinstance(ended, OperatorStatus) else None
        left = self._change(operator_id, CallerLeft(), now, self._abandon_ringing, caller=member)
        return LeftOutcome.ABANDONED_RINGING if isinstance(left, OperatorStatus) else None

    def _remove_waiting(self, member: str, now: float, counter: str) -> str | None:
        """Take a waiting member out of its queue; its queue if it was there, else None."""
        with _reachable():
            queue = self._client.hget(self._key("where"), member)
            if queue is None or not self._client.zrem(self._key("q", _text(queue)), member):
                return None
            name = _text(queue)
            pipe = self._client.pipeline()
            pipe.zrem(self._key("qt", name), member)
            pipe.hdel(self._key("where"), member)
            self._bump(pipe, name, now, {counter: 1})
            pipe.execute()
        return name

    def _wrapup(self, status: OperatorStatus) -> int:
        queue = status.queue
        return self._queues[queue].wrapup_s if queue is not None and queue in self._queues else 0

    # ------------------------------------------------------------------ callbacks

    def request_callback(
        self,
        call_id: str,
        *,
        consumer_id: str,
        phone: str,
        now: float,
        fault_id: str | None = None,
        language: str | None = None,
    ) -> CallbackOutcome:
        """Replace the waiting call by a callback at the same place (one per consumer: a
        consumer whose callback waits, is being placed or is parked gets already-pending)."""
        member_of(CallerKind.CALLBACK, consumer_id)  # refuses an id the scripts cannot carry
        fields = {"consumer": consumer_id, "phone": phone, "requested_at": repr(now)}
        fields |= {"fault": fault_id or "", "language": language or "", "attempts": "0"}
        call = member_of(CallerKind.CALL, call_id)
        with _reachable():
            return self._callbacks.request(call, consumer_id, fault_id or "", fields)

    def pending_callback(self, consumer_id: str) -> Callback | None:
        """The consumer's pending callback (waiting, being placed, or parked), if any."""
        with _reachable():
            return self._callbacks.pending(consumer_id)

    def parked_until(self, consumer_id: str) -> float | None:
        """When the consumer's unanswered callback goes back to its queue; None if not parked."""
        with _reachable():
            return self._callbacks.parked_until(consumer_id)

    def cancel_callbacks(
        self, now: float, *, fault_id: str | None = None, consumers: Iterable[str] = ()
    ) -> list[Callback]:
        """Cancel waiting or parked callbacks made pointless by a restoration; returns them for
        an SMS. A callback already being placed (an operator reserved) is left to finish."""
        wanted = set(consumers)
        with _reachable():
            if fault_id is not None:
                members = self._client.smembers(self._key("cbf", fault_id))
                wanted |= {_text(consumer) for consumer in members}
        pending = [cb for cb in map(self.pending_callback, sorted(wanted)) if cb is not None]
        faults = () if fault_id is None else (fault_id,)
        chosen = to_cancel(pending, restored_faults=faults, consumers=set(consumers))
        with _reachable():
            return [cb for cb in chosen if self._callbacks.cancel(cb.consumer_id, now)]

    def callback_unanswered(
        self, operator_id: str, now: float, *, policy: RetryPolicy | None = None
    ) -> MissedCallback | Rejected:
        """The consumer did not pick up the callback (or it could not be dialled): the operator
        is ready again. This counts as a try; with tries left under ``policy`` the callback is
        parked until the next one (keeping its place), else (or with no policy) it is dropped.
        Rejected unless the operator is still placing a callback (a repeated status)."""
        status = self.operator_status(operator_id, now)
        member = status.caller or ""
        kind, _, consumer = member.partition(":")
        callback = self.pending_callback(consumer) if kind == CallerKind.CALLBACK else None
        if callback is None:
            return Rejected(status.state, "CallbackUnanswered", "not placing a callback")
        tries = callback.attempts + 1
        retry_at = None if policy is None else next_try(tries, now, policy)
        effect: Effect
        if retry_at is None:
            effect = self._abandon_ringing
        else:  # parked in the same transaction that frees the operator: both, or neither
            effect = self._parking(consumer, tries, retry_at)
        left = self._change(operator_id, CallerLeft(), now, effect, caller=member)
        if isinstance(left, Rejected):
            return left
        return MissedCallback(replace(callback, attempts=tries), retry_at)

    def _parking(self, consumer_id: str, tries: int, due: float) -> Effect:
        def park(pipe: Pipeline, *_: object) -> None:
            self._callbacks.park(pipe, consumer_id, tries, due)

        return park

    def release_due_callbacks(self, now: float) -> list[str]:
        """Put parked callbacks due by ``now`` back in their queue at their original place (same
        score, same join time); returns their consumer ids. ``assign`` calls it when due."""
        with _reachable():
            return self._callbacks.release_due(now)

    # ------------------------------------------------------------------ assignment

    def assign(self, now: float) -> list[Action]:
        """Give waiting callers to free operators; what to do for each (connect or dial back).

        Call it whenever a caller joins or an operator frees up. Parked callbacks that are due
        go back to their place first (the snapshot says when one is, so this costs nothing
        while none is). The pure ACD ranks; the claim script re-checks each pair, so concurrent
        callers of ``assign`` never double-assign.
        """
        snap = self._snapshot(now, ENTRY_CAP, only_free=True)
        if snap.next_retry is not None and snap.next_retry <= now:
            self.release_due_callbacks(now)
            snap = self._snapshot(now, ENTRY_CAP, only_free=True)
        the_plan = acd.plan(
            self._queues,
            snap.waiting,
            snap.operators,
            now,
            rr_positions=snap.rr_positions,
            rng=self._rng,
        )
        if not acd.match(the_plan):
            return []
        flat = self._run("claim", [repr(now), *_plan_args(the_plan)])
        actions = []
        for i in range(0, len(flat), 4):
            member, queue, operator_id = (_text(v) for v in flat[i : i + 3])
            caller = caller_of(member, queue, float(flat[i + 3]))
            action = acd.to_action(caller, operator_id)
            if isinstance(action, PlaceCallback):
                action = PlaceCallback(caller, operator_id, self.pending_callback(caller.id))
            actions.append(action)
        return actions

    def _snapshot(self, now: float, cap: int, *, only_free: bool = False) -> _Snapshot:
        cached_rev, cache = self._profiles
        scope = "free" if only_free else "all"
        rev, profiles, rows, rr, queues, next_retry = self._run(
            "snapshot", [repr(now), cached_rev, cap, scope, "\t".join(self._queues.names)]
        )
        if _text(rev) != cached_rev:
            cache = {op.id: op for op in map(_profile, profiles)}
            self._profiles = (_text(rev), cache)
        operators = []
        for row in _lines(rows):
            op_id, position, *fields = row.split("\t")
            if op_id in cache:
                operators.append(OperatorView(cache[op_id], _status(fields), int(float(position))))
        waiting: list[WaitingCaller] = []
        queue_now: list[QueueNow] = []
        for definition, line in zip(self._queues, _lines(queues), strict=True):
            count, oldest, *entries = line.split("\t")
            if not only_free:
                queue_now.append(QueueNow(definition, int(count), _optional_float(oldest)))
            waiting.extend(
                caller_of(entries[i], definition.name, float(entries[i + 1]))
                for i in range(0, len(entries), 2)
            )
        pairs = _text(rr).split("\t") if rr else []
        rr_positions = {pairs[i]: int(float(pairs[i + 1])) for i in range(0, len(pairs) - 1, 2)}
        return _Snapshot(
            tuple(operators),
            tuple(waiting),
            tuple(queue_now),
            rr_positions,
            _optional_float(_text(next_retry)),
        )

    # ------------------------------------------------------------------ reading

    def operators(self, now: float) -> list[OperatorView]:
        """Every registered operator with their status as stored (settle against ``now``)."""
        return list(self._snapshot(now, 0).operators)

    def live(self, now: float) -> dict[str, object]:
        """The wallboard view (``GET /api/live``): JSON-ready."""
        snap = self._snapshot(now, 0)
        return live_view(now, snap.queues, snap.operators)

    def estimate(
        self, queue: str, position: int, now: float, policy: WaitPolicy | None = None
    ) -> WaitEstimate:
        """Estimated wait at ``position`` in ``queue`` from the operators and recent calls."""
        definition = self._queues[queue]
        serving = [v for v in self._snapshot(now, 0).operators if v.operator.serves(definition)]
        states = [settle(view.status, now).state for view in serving]
        busy = (OperatorState.RINGING, OperatorState.ON_CALL, OperatorState.WRAP_UP)
        recent = [self.interval_stats(queue, interval_start(now) - d) for d in (900, 0)]
        with _reachable():
            samples = self._client.lrange(self._key("ht", queue), 0, HANDLE_SAMPLES - 1)
        load = QueueLoad(
            ready=sum(state is OperatorState.READY for state in states),
            busy=sum(state in busy for state in states),
            handle_times=[float(sample) for sample in samples],
            answered=sum(stats.answered for stats in recent),
            abandoned=sum(stats.abandoned for stats in recent),
        )
        return estimate_wait(position, load, policy)

    def interval_stats(self, queue: str, start: int) -> IntervalStats:
        """The counters of one queue's 15-minute interval starting at ``start``."""
        with _reachable():
            raw = self._client.hgetall(self._key("m", queue, str(start)))
        return IntervalStats.from_counters(
            queue, start, {_text(k): float(v) for k, v in raw.items()}
        )


def _plan_args(the_plan: acd.Plan) -> list[str | int]:
    """Flatten a plan into the claim script's ARGV layout (see lua/claim.lua)."""
    args: list[str | int] = [len(the_plan.rankings)]
    for name, ranking in the_plan.rankings.items():
        args += [name, len(ranking), *ranking]
    for route in the_plan.routes:
        caller = route.caller
        args += [member_of(caller.kind, caller.id), caller.queue, len(route.queues), *route.queues]
    return args
