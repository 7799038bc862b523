"""The operators of a simulated storm: each one's state, who is free, who serves which queue.

:class:`OperatorFloor` keeps every operator's :class:`routing.acd.OperatorView` and moves it
only through :func:`routing.operators.transition`, the function the live system uses; a change
the rules reject is a bug of the simulator, not an outcome, and raises
:class:`SimulationError`. Beside the views it keeps what the engine asks at almost every event:
the operators free to take a caller (in the order they became free, which the ACD sees), how
many operators taking calls serve each queue (for the wait estimate), each queue's round-robin
position, the operators asked to stand down once their call ends, and those called out who are
on their way. At the start every primary operator logs in and is free; standby operators the
scenario lists as logged in stand by. Mutable on purpose: engine-internal and hot. Pure:
stdlib only.
"""

from __future__ import annotations

from routing.acd import OperatorView
from routing.errors import RoutingError
from routing.operators import (
    LoggedIn,
    OperatorEvent,
    OperatorState,
    OperatorStatus,
    StoodBy,
    Tier,
    transition,
)
from routing.scenarios import Scenario

_TAKING_CALLS = {OperatorState.READY, OperatorState.RINGING, OperatorState.ON_CALL,
                 OperatorState.WRAP_UP, OperatorState.PAUSED}  # fmt: skip


class SimulationError(RoutingError):
    """The simulation reached a state the routing rules forbid (a bug, not an outcome)."""


class OperatorFloor:
    """The scenario's operators as the engine moves them; call :meth:`log_in_roster` first."""

    def __init__(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self.views: dict[str, OperatorView] = {}
        self.free: dict[str, None] = {}  # an ordered set: who became free first is offered first
        self.serving = {queue.name: 0 for queue in scenario.queues}
        self.serving_ids: dict[str, frozenset[str]] = {q.name: frozenset() for q in scenario.queues}
        self.rr: dict[str, int] = {}  # queue name -> position of the operator it last offered
        self.stand_down: set[str] = set()  # to stand by when free (asked while on a call)
        self.arriving: set[str] = set()  # called out by SMS, not logged in yet

    def log_in_roster(self) -> None:
        """Primary operators log in and are free; listed standby operators stand by."""
        s = self._scenario
        for position, op in enumerate(s.operators):
            self.views[op.id] = OperatorView(
                op, OperatorStatus(OperatorState.OFFLINE, 0.0), position
            )
            if op.tier is Tier.PRIMARY:
                self.change(op.id, LoggedIn(), 0.0)
                self.free[op.id] = None
            elif op.id in s.standby_logged_in:
                self.change(op.id, StoodBy(), 0.0)
        self.recount_serving()

    def change(self, op_id: str, event: OperatorEvent, t: float) -> OperatorStatus:
        """Apply `event` to the operator at `t` through the routing rules; a refusal raises."""
        view = self.views[op_id]
        status = transition(view.status, event, t)
        if not isinstance(status, OperatorStatus):
            raise SimulationError(f"{op_id}: {status.message}")
        self.views[op_id] = OperatorView(view.operator, status, view.position)
        return status

    def recount_serving(self) -> None:
        """Count again, per queue, the operators taking calls who serve it (and who they are:
        the estimate weighs the operators two queues share)."""
        working = [v.operator for v in self.views.values() if v.status.state in _TAKING_CALLS]
        for queue in self._scenario.queues:
            ids = frozenset(op.id for op in working if op.serves(queue))
            self.serving_ids[queue.name] = ids
            self.serving[queue.name] = len(ids)

    def staffed(self) -> int:
        """Operators logged in and taking calls (ready, ringing, on a call, wrapping up, paused)."""
        return sum(v.status.state in _TAKING_CALLS for v in self.views.values())

    def state_of(self, op_id: str) -> OperatorState:
        """The operator's state as last changed (not settled to a later time)."""
        return self.views[op_id].status.state
