"""Operators in the routing live state: their profiles, their states, and every change of state.

An operator is a profile hash ``opp:<id>`` (who they are, what they serve), a status hash
``op:<id>`` (the fields of :data:`store.live_codec.STATUS_FIELDS`, plus the waiting score of the
caller they hold) and a place in ``ops``, the registration order round-robin strategies count
in; ``ops:rev`` moves on every profile change so readers know when to reload profiles. A change
of state runs the pure transition table (:func:`routing.operators.transition`) inside a
WATCH/MULTI transaction on the status hash, which also conflicts with a concurrent claim, so
the last writer never wins blindly. The same transaction keeps the availability index
``avail`` (operator -> free from) in step and carries the call event's side effects
(:mod:`store.live_effects`). Wrap-up ends lazily: a status read settles against ``now``.
"""

from __future__ import annotations

from collections.abc import Callable

from redis.client import Pipeline

from routing.errors import RoutingError
from routing.operators import (
    LoggedIn,
    LoggedOut,
    MadeReady,
    Operator,
    OperatorEvent,
    OperatorState,
    OperatorStatus,
    Paused,
    Rejected,
    StoodBy,
    settle,
    transition,
)
from store.live_codec import STATUS_FIELDS, profile_fields, status_fields, status_of, text
from store.live_keys import LiveKeys, reachable

ShiftEvent = LoggedIn | LoggedOut | MadeReady | Paused | StoodBy
# Extra writes joining an operator's change: (transaction, the status hash as it was, the new
# status, now). They run only when the transition is allowed.
Effect = Callable[[Pipeline, dict[str, str], OperatorStatus, float], None]


class LiveOperators:
    """Registering operators, reading their status and changing it atomically."""

    def __init__(self, keys: LiveKeys) -> None:
        self._keys = keys

    def register(self, operator: Operator, now: float) -> None:
        """Add or update an operator's profile; a new operator starts offline."""
        keys, client = self._keys, self._keys.client
        offline = status_fields(OperatorStatus(OperatorState.OFFLINE, now))
        with reachable():
            if client.zscore(keys.key("ops"), operator.id) is None:
                position = client.incr(keys.key("ops:seq"))
                client.zadd(keys.key("ops"), {operator.id: position}, nx=True)
            pipe = client.pipeline()
            pipe.hset(keys.key("opp", operator.id), mapping=profile_fields(operator))
            for field, value in offline.items():
                pipe.hsetnx(keys.key("op", operator.id), field, value)
            pipe.incr(keys.key("ops:rev"))
            pipe.execute()

    def known(self) -> bool:
        """Whether any operator is registered (False after Redis lost its data)."""
        with reachable():
            return bool(self._keys.client.exists(self._keys.key("ops")))

    def status(self, operator_id: str, now: float) -> OperatorStatus:
        """The operator's status as of ``now`` (a finished wrap-up reads as ready)."""
        with reachable():
            fields = self._keys.client.hmget(self._keys.key("op", operator_id), list(STATUS_FIELDS))
        if fields[0] is None:
            raise RoutingError(f"unknown operator {operator_id!r}")
        return settle(status_of(fields), now)

    def apply(self, operator_id: str, event: ShiftEvent, now: float) -> OperatorStatus | Rejected:
        """A shift event (no call attached): log in/out, make ready, pause, stand by."""
        if not isinstance(event, LoggedIn | LoggedOut | MadeReady | Paused | StoodBy):
            raise RoutingError(f"{type(event).__name__} goes through the call methods")
        return self.change(operator_id, event, now, None)

    def change(
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
        key = self._keys.key("op", operator_id)
        outcome: list[OperatorStatus | Rejected] = []

        def body(pipe: Pipeline) -> None:
            raw = {text(k): text(v) for k, v in pipe.hgetall(key).items()}
            if not raw:
                raise RoutingError(f"unknown operator {operator_id!r}")
            status = status_of([raw.get(f) for f in STATUS_FIELDS])
            result = transition(status, event, now)
            if caller is not None and status.caller != caller:
                result = Rejected(status.state, type(event).__name__, "not with that caller")
            outcome[:] = [result]
            pipe.multi()
            if isinstance(result, OperatorStatus):
                pipe.hset(key, mapping=status_fields(result))
                self._index(pipe, operator_id, result)
                if effect is not None:
                    effect(pipe, raw, result, now)

        with reachable():
            self._keys.client.transaction(body, key)
        return outcome[0]

    def _index(self, pipe: Pipeline, operator_id: str, status: OperatorStatus) -> None:
        """Keep the availability index (operator -> free from) in step with the state."""
        avail = self._keys.key("avail")
        if status.state is OperatorState.READY:
            pipe.zadd(avail, {operator_id: 0})
        elif status.state is OperatorState.WRAP_UP and status.wrapup_until is not None:
            pipe.zadd(avail, {operator_id: status.wrapup_until})
        else:
            pipe.zrem(avail, operator_id)
