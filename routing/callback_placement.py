"""When a booked callback can be dialled through a front-end whose own ACD is not ours
(Asterisk's app_queue): the pure decision behind `dialplans.callback_placer`.

A callback is dialled only when its queue can take the consumer the moment they answer: an
operator serving the queue is ready and not held by another callback (one being dialled, or
answered and still hearing its greeting, keeps one ready operator of its queue), and nobody
waiting in that queue joined before the callback did (the callback keeps its place). Callbacks
are considered in their order (highest priority, then earliest place); once one of a queue
must wait, the later ones of that queue wait too, so they leave in order. Of the operators
free for a queue, the one serving the fewest queues is held, leaving the others for the
queues only they can take. Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar


class Placeable(Protocol):
    """What the decision reads of a booked callback."""

    @property
    def queue(self) -> str: ...

    @property
    def joined(self) -> float: ...  # epoch seconds: when the consumer first joined (their place)


C = TypeVar("C", bound=Placeable)


@dataclass(frozen=True, slots=True)
class QueueBoard:
    """Per queue: the ready operators serving it, and the earliest join time of a waiting
    caller (None when nobody waits)."""

    ready: Mapping[str, frozenset[str]]
    oldest_waiting: Mapping[str, float | None]


def choose(due: Sequence[C], board: QueueBoard, holding: Iterable[str]) -> list[C]:
    """The callbacks to dial now, from `due` in its order.

    `holding` names the queue of each callback already holding an operator: each keeps one
    ready operator of its queue for itself, as does each callback chosen here.

    >>> from collections import namedtuple
    >>> Booked = namedtuple("Booked", "id queue joined")
    >>> due = [Booked(n, "CZ-hi", 100.0 + n) for n in (1, 2, 3)]
    >>> board = QueueBoard({"CZ-hi": frozenset({"a", "b"})}, {"CZ-hi": None})
    >>> [cb.id for cb in choose(due, board, holding=["CZ-hi"])]
    [1]
    >>> between = QueueBoard({"CZ-hi": frozenset({"a", "b"})}, {"CZ-hi": 101.5})
    >>> [cb.id for cb in choose(due, between, holding=[])]  # a caller from 101.5 is before 2
    [1]
    """
    held: set[str] = set()
    for queue in holding:
        operator = _free(board.ready.get(queue, frozenset()), held, board.ready)
        if operator is not None:
            held.add(operator)
    chosen: list[C] = []
    blocked: set[str] = set()
    for callback in due:
        if callback.queue in blocked:
            continue
        oldest = board.oldest_waiting.get(callback.queue)
        operator = _free(board.ready.get(callback.queue, frozenset()), held, board.ready)
        if operator is None or (oldest is not None and oldest < callback.joined):
            blocked.add(callback.queue)
            continue
        held.add(operator)
        chosen.append(callback)
    return chosen


def _free(
    serving: Collection[str], held: Collection[str], ready: Mapping[str, frozenset[str]]
) -> str | None:
    """A serving operator nobody holds: the one serving fewest queues."""
    free = [operator for operator in serving if operator not in held]
    if not free:
        return None
    return min(free, key=lambda op: (sum(op in ops for ops in ready.values()), op))
