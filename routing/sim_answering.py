"""The operators' side of a simulation run: free operators meet waiting callers.

:class:`Answering` is called by the engine whenever a caller joins a queue or an operator is
free again. It asks :func:`routing.acd.plan` and :func:`routing.acd.match` (the live system's
ACD) which free operator takes which waiting caller; the operator is offered the call and
answers at once. A caller on the line is answered there; a callback is dialled after the
policy's dialling time and picks up with its answer share, else the operator is free again.
At the end of a call the operator wraps up for the queue's wrap-up time, then is free: unless
the controller asked them to stand down meanwhile, they take the next caller. Every change of
an operator's state goes through :class:`routing.sim_operators.OperatorFloor`. Random draws
come from the run's generators for the ACD and for callbacks, in the same order as ever, so a
run stays reproducible. Mutable on purpose: engine-internal and hot. Pure: stdlib only.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import cast

from routing import acd
from routing.acd import ConnectCaller, WaitingCaller
from routing.operators import Answered, CallerLeft, HungUp, Offered, StoodBy
from routing.queues import QueueSet
from routing.scenarios import Scenario
from routing.sim_callers import GONE, SERVED, SimCall
from routing.sim_events import DIALLED, END, FREE, Agenda
from routing.sim_operators import OperatorFloor, SimulationError
from routing.sim_queues import WaitingLines
from routing.sim_report import CALLBACKS_DONE, CALLBACKS_FAILED, IMMEDIATE
from routing.sim_runtime import Counters


class Answering:
    """Assigns callers to operators and follows each call to its end; one per run."""

    def __init__(
        self,
        scenario: Scenario,
        *,
        floor: OperatorFloor,
        lines: WaitingLines,
        counters: Counters,
        agenda: Agenda,
        rng: Mapping[str, random.Random],
    ) -> None:
        self._s = scenario
        self._queues: QueueSet = scenario.queues
        self._floor, self._lines, self._counters, self._agenda = floor, lines, counters, agenda
        self._acd_rng, self._callback_rng = rng["acd"], rng["callbacks"]

    def dispatch(self, t: float) -> None:
        """Free operators take waiting callers as the ACD plans it."""
        free = self._floor.free
        if not free or not any(self._lines.live.values()):
            return
        waiting = self._lines.heads(len(free))
        views = [self._floor.views[op_id] for op_id in free]
        the_plan = acd.plan(self._queues, waiting, views, t, rr_positions=self._floor.rr,
                            rng=self._acd_rng)  # fmt: skip
        for action in acd.match(the_plan):
            self._assign(action, t)

    def release(self, op_id: str, t: float) -> None:
        """An operator free again: stands down if asked to, else takes the next caller."""
        floor = self._floor
        if op_id in floor.stand_down:
            floor.stand_down.discard(op_id)
            floor.change(op_id, StoodBy(), t)
            floor.recount_serving()
            return
        floor.free[op_id] = None
        self.dispatch(t)

    def _assign(self, action: acd.Action, t: float) -> None:
        call = self._find(action.caller)
        op_id, floor = action.operator_id, self._floor
        del floor.free[op_id]
        self._lines.leave(call, SERVED)
        floor.change(op_id, Offered(action.caller.id, call.queue), t)
        floor.rr[call.queue] = floor.views[op_id].position
        if isinstance(action, ConnectCaller):
            self._answer(op_id, call, t, action.caller.joined)
        else:
            policy = self._s.callbacks
            assert policy is not None
            self._agenda.push(t + policy.dial_s, DIALLED, (op_id, call))

    def _find(self, caller: WaitingCaller) -> SimCall:
        call = self._lines.find(caller)
        if call is None:
            raise SimulationError(f"caller {caller.id} is not waiting in {caller.queue}")
        return call

    def _answer(self, op_id: str, call: SimCall, t: float, joined: float) -> None:
        self._floor.change(op_id, Answered(), t)
        wait = t - joined
        if call.told is not None:  # the estimate this caller heard, against the wait
            self._counters.estimate_kept(joined, call.told, wait)
            call.told = None
        queue = self._queues[call.queue]
        self._counters.answered(t, wait, within=wait <= queue.service_level_s)
        if wait == 0:
            self._counters.add(t, IMMEDIATE)
        self._counters.queue_outcome(call.queue, t, abandoned=False)
        self._agenda.push(t + call.handle_s, END, (op_id, call))

    # ------------------------------------------------------------------ events

    def dialled(self, t: float, item: object) -> None:
        """The operator's callback rang long enough: the caller picks up, or the call failed."""
        op_id, call = cast(tuple[str, SimCall], item)
        policy = self._s.callbacks
        assert policy is not None
        if self._callback_rng.random() < policy.answer_share:
            self._floor.change(op_id, Answered(), t)
            self._counters.add(t, CALLBACKS_DONE)
            self._agenda.push(t + call.handle_s, END, (op_id, call))
            return
        self._counters.add(t, CALLBACKS_FAILED)
        self._floor.change(op_id, CallerLeft(), t)
        self.release(op_id, t)

    def ended(self, t: float, item: object) -> None:
        """A call ended: the operator wraps up, or is free at once without wrap-up time."""
        op_id, call = cast(tuple[str, SimCall], item)
        wrapup = self._queues[call.queue].wrapup_s
        self._floor.change(op_id, HungUp(wrapup), t)
        self._counters.handled(t, call.handle_s + wrapup)
        self._lines.handles[call.queue].append(call.handle_s + wrapup)
        call.state = GONE
        if wrapup:
            self._agenda.push(t + wrapup, FREE, op_id)
        else:
            self.release(op_id, t)

    def freed(self, t: float, op_id: object) -> None:
        """Wrap-up is over."""
        self.release(str(op_id), t)
