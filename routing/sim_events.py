"""The timed events of a simulation run: their kinds, and the agenda that keeps them in order.

An event is a tuple (time, sequence, kind, subject): the virtual time in seconds from the
scenario's start; a sequence number, so that events due at one time happen in the order they
were scheduled and the heap never has to compare two subjects; the kind, a plain int because
the heap compares these tuples millions of times; and what the event is about (a call, an
operator id, a pair of them, or nothing). The engine pops them in time order and hands each to
the handler of its kind. Pure: stdlib only.
"""

from __future__ import annotations

import heapq

FRESH_CALL, REDIAL, JOIN, ABANDON, END, FREE, TICK, ARRIVE, DIALLED, CANCEL = range(10)


class Agenda:
    """The heap of events still to happen; :attr:`heap` is popped by the engine's loop."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, int, object]] = []
        self._seq = 0

    def push(self, t: float, kind: int, subject: object) -> None:
        """Schedule an event of `kind` about `subject` at `t`."""
        self._seq += 1
        heapq.heappush(self.heap, (t, self._seq, kind, subject))
