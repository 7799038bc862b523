"""Operator actions and the ACD loop, shared by the HTTP API, the CLI and the front-ends.

An operator action (log in, ready, pause, end wrap-up, log out, stand by) goes through the
live state's validated transition; when it frees an operator, an assignment round runs at
once. Each assignment is handed to the executor of the caller's front-end (Twilio dequeues the
caller to a `<Dial>`; a terminal-phone caller just keeps the operator ringing). A round also
runs periodically in the server (`run_forever`), which catches timers: overflow, the end of
wrap-up, callbacks whose turn came.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from routing.acd import Action, ConnectCaller
from routing.errors import RoutingError
from routing.operators import (
    LoggedIn,
    LoggedOut,
    MadeReady,
    OperatorState,
    OperatorStatus,
    Paused,
    Rejected,
    StoodBy,
    settle,
)
from routing.queues import QueueDefinition, QueueSet
from store.live_routing import RedisLiveState
from store.operators_sql import SqlOperators

log = logging.getLogger(__name__)

Executor = Callable[[Action, float], bool]


class OperatorAction(StrEnum):
    LOGIN = "login"
    READY = "ready"
    PAUSE = "pause"
    WRAPUP_DONE = "wrapup-done"
    STANDBY = "standby"
    LOGOUT = "logout"


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    status: OperatorStatus | None
    message: str = ""
    assignments: int = 0


class RoutingService:
    def __init__(
        self,
        *,
        live: RedisLiveState,
        operators: SqlOperators,
        clock: Callable[[], datetime],
    ) -> None:
        self.live = live
        self._operators = operators
        self._clock = clock
        self._executors: list[Executor] = []
        self._listeners: list[Callable[..., None]] = []

    def _now(self) -> float:
        return self._clock().timestamp()

    def add_executor(self, executor: Executor) -> None:
        """A front-end that carries out assignments of its own callers (returns True if so)."""
        self._executors.append(executor)

    def add_listener(self, listener: Callable[..., None]) -> None:
        """Told of every accepted operator change: `listener(operator, action, reason,
        was_offline=…)` (the Asterisk link mirrors it into app_queue)."""
        self._listeners.append(listener)

    def sync_operators(self) -> int:
        """Copy the operators from SQL into the live state (profiles only; states are kept)."""
        now = self._now()
        operators = self._operators.all()
        for operator in operators:
            self.live.register_operator(operator, now)
        self._log_out_deactivated({operator.id for operator in operators}, now)
        return len(operators)

    def _log_out_deactivated(self, active: set[str], now: float) -> None:
        """Operators deactivated while on a call leave the queues once the call is over."""
        busy = (OperatorState.OFFLINE, OperatorState.RINGING, OperatorState.ON_CALL)
        for view in self.live.operators(now):
            if view.operator.id in active or settle(view.status, now).state in busy:
                continue
            result = self.act(view.operator.id, OperatorAction.LOGOUT)
            log.info("deactivated operator %s logged out: %s", view.operator.id,
                     "done" if result.ok else result.message)  # fmt: skip

    def act(self, operator_id: str, action: OperatorAction, reason: str = "") -> ActionResult:
        operator = self._operators.get(operator_id)
        if operator is None:
            raise RoutingError(f"unknown operator {operator_id!r}")
        now = self._now()
        self.live.register_operator(operator, now)
        current = self.live.operator_status(operator_id, now)
        joining = action in (OperatorAction.LOGIN, OperatorAction.READY)
        if joining and not self._operators.is_active(operator_id):
            return ActionResult(False, current, f"operator {operator_id} is deactivated")
        event = _event(action, current, reason)
        result = self.live.apply(operator_id, event, now)
        if isinstance(result, Rejected):
            return ActionResult(False, current, result.message)
        was_offline = current.state is OperatorState.OFFLINE
        for listener in self._listeners:
            try:
                listener(operator, action.value, reason, was_offline=was_offline)
            except Exception:  # Asterisk unreachable must not undo the change made here
                log.exception("operator %s: a listener failed on %s", operator_id, action.value)
        assigned = 0
        if result.state is OperatorState.READY:
            assigned = len(self.dispatch())
        status = self.live.operator_status(operator_id, self._now())
        return ActionResult(True, status, "", assigned)

    def join(self, call_id: str, queue: str, priority: int) -> str:
        """Put a caller in the live queue (the terminal phone; Twilio joins from its wait page)."""
        outcome = self.live.enqueue(call_id, queue, priority, self._now())
        self.dispatch()
        return str(outcome)

    def _resync(self) -> None:
        """Rebuild the operator profiles: Redis came back empty (restarted, flushed)."""
        log.warning("live state has no operators (Redis restarted?): reloading from SQL")
        self.sync_operators()

    def dispatch(self) -> list[Action]:
        """One assignment round: every (caller, operator) pair handed to its front-end."""
        now = self._now()
        actions = self.live.assign(now, resync=self._resync)
        for action in actions:
            if not any(execute(action, now) for execute in self._executors):
                who = action.caller.id if isinstance(action, ConnectCaller) else action
                log.info(
                    "assignment %s → %s: no front-end to carry it out (operator rings)",
                    who,
                    action.operator_id,
                )
        return actions

    def live_view(self) -> dict[str, Any]:
        return self.live.live(self._now(), resync=self._resync)

    def update_queue(self, definition: QueueDefinition) -> None:
        """Use an edited queue definition from now on (console edits: wrap-up, strategy…)."""
        current = self.live.queues  # the live state reads its queue set on every operation
        if definition.name not in current:
            raise RoutingError(f"unknown queue {definition.name!r}")
        self.live.queues = QueueSet(
            tuple(definition if queue.name == definition.name else queue for queue in current)
        )

    def run_forever(self, stop: threading.Event, *, interval_s: float = 2.0) -> None:
        while not stop.wait(interval_s):
            try:
                self.dispatch()
            except Exception:  # the loop must survive a Redis restart or a front-end error
                log.exception("assignment round failed; retrying in %s s", interval_s)


def _event(action: OperatorAction, current: OperatorStatus, reason: str) -> Any:
    offline = current.state is OperatorState.OFFLINE
    if action is OperatorAction.LOGIN or (action is OperatorAction.READY and offline):
        return LoggedIn()
    if action in (OperatorAction.READY, OperatorAction.WRAPUP_DONE):
        return MadeReady()
    if action is OperatorAction.PAUSE:
        return Paused(reason or "break")
    if action is OperatorAction.STANDBY:
        return StoodBy()
    return LoggedOut()
