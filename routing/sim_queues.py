"""The queues of a simulated storm: who waits where, in order, and what the estimates read.

:class:`WaitingLines` keeps, per queue, the callers in the order they joined, and a live count
of those still in it (waiting on the line, or holding a callback request) that the queue's
length limit, the wait estimate and the samples read. A caller leaves by an answer, by hanging
up or by a cancelled callback; since most leave from the front, a line drops its stale heads
lazily when it is next read instead of searching the deque at every departure. It also keeps
the last 50 handle times per queue (the estimate's mean handle time) and finds a caller by the
id the ACD answers with. Mutable on purpose: engine-internal and hot. Pure: stdlib only.
"""

from __future__ import annotations

from collections import deque

from routing.acd import CallerKind, WaitingCaller
from routing.queues import QueueSet
from routing.sim_callers import CALLBACK, WAITING, SimCall

_QUEUED = (WAITING, CALLBACK)


class WaitingLines:
    """The callers in each queue of one simulation run."""

    def __init__(self, queues: QueueSet) -> None:
        self.lines: dict[str, deque[SimCall]] = {queue.name: deque() for queue in queues}
        self.live = dict.fromkeys(self.lines, 0)  # per queue: waiting or holding a callback
        # The same per queue and caller priority (the estimate counts who comes first).
        self.by_priority: dict[str, dict[int, int]] = {queue: {} for queue in self.lines}
        self.handles: dict[str, deque[float]] = {q: deque(maxlen=50) for q in self.lines}
        self._by_id: dict[str, SimCall] = {}

    def enter(self, call: SimCall, queue: str, t: float) -> None:
        """`call` joins the end of `queue` at `t` and waits."""
        call.entry = WaitingCaller(str(call.n), CallerKind.CALL, queue, call.priority, t)
        call.state, call.key = WAITING, call.key + 1
        self.lines[queue].append(call)
        self._by_id[call.entry.id] = call
        self.live[queue] += 1
        counts = self.by_priority[queue]
        counts[call.priority] = counts.get(call.priority, 0) + 1

    def leave(self, call: SimCall, state: int) -> None:
        """`call` is out of its queue, answered or gone (`state`); its place is dropped later."""
        call.state = state
        self.live[call.queue] -= 1
        self.by_priority[call.queue][call.priority] -= 1
        del self._by_id[str(call.n)]

    def find(self, caller: WaitingCaller) -> SimCall | None:
        """The call the ACD's `caller` stands for, if it is still in a queue."""
        return self._by_id.get(caller.id)

    def placed_before(self, queue: str, priority: int) -> int:
        """Callers in ``queue`` a caller of ``priority`` joining now would be served after."""
        return sum(n for p, n in self.by_priority[queue].items() if p >= priority)

    def waiting(self) -> int:
        """Callers in all queues, callbacks held included."""
        return sum(self.live.values())

    def heads(self, limit: int) -> list[WaitingCaller]:
        """The first ``limit`` entries of each queue (later ones cannot be reached this round)."""
        heads: list[WaitingCaller] = []
        for name, line in self.lines.items():
            if not self.live[name]:
                line.clear()
                continue
            while line and line[0].state not in _QUEUED:
                line.popleft()
            taken = 0
            for call in line:
                if call.state in _QUEUED:
                    heads.append(call.entry)  # type: ignore[arg-type]
                    taken += 1
                    if taken >= limit:
                        break
        return heads
