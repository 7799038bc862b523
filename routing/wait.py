"""Estimated wait for a caller at a given queue position.

Asterisk's ``holdtime`` is a running average of past waits: it lags a storm by many minutes.
Here the estimate looks forward instead: the callers ahead who will still be there (recent
abandonment thins them out) must be served first; free operators take the first of them at
once and the busy ones free up, on average, every ``handle time / operators`` seconds. When the
inputs are thin (nobody logged in, too few recent handle times) the answer is flagged not
confident and should be read as "more than N minutes".

Operators often serve several queues (a company's Hindi, English and hazard queues), and the
ACD gives a freed operator the first caller in its service order across all of them: heavier
queue first, then higher priority, then earlier join. So the callers ahead include, from each
other queue that shares operators with this one, those the service order puts first
(:func:`served_first`), in the proportion of that queue's operators who serve this one too
(:func:`shared_ahead`). Counting only the queue's own callers made a storm's estimates run
short; the simulator measures how close they come (`run_ivr.py storm`).
Pure: stdlib and own modules only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from routing.queues import QueueSet


@dataclass(frozen=True, slots=True)
class QueueLoad:
    """What the live state knows about a queue right now."""

    ready: int  # operators serving the queue who are free
    busy: int  # serving the queue but ringing, on a call or wrapping up
    handle_times: Sequence[float]  # recent handle times (talk + wrap-up), seconds
    answered: int  # recent outcomes, for the abandonment ratio
    abandoned: int


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """Tunables of the estimate (configuration, not code)."""

    min_samples: int = 5
    default_handle_s: float = 180.0  # a normal call mix
    no_operator_s: int = 600  # said as "more than 10 minutes" when nobody is logged in


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """Seconds to wait; if not confident, a lower bound to say as "more than N minutes"."""

    seconds: int
    confident: bool
    # False when no operator serving the queue is logged in: the seconds are then the
    # policy's stand-in, "more than N minutes", not a forecast.
    staffed: bool = True

    @property
    def more_than_minutes(self) -> int | None:
        """The N of "more than N minutes" when not confident, else None."""
        return None if self.confident else max(1, self.seconds // 60)


def estimate_wait(
    position: int, load: QueueLoad, policy: WaitPolicy | None = None, *, also_ahead: float = 0.0
) -> WaitEstimate:
    """Expected wait of the caller at ``position`` (1 = next to be served); ``also_ahead``:
    callers of other queues who will take this queue's operators first (:func:`shared_ahead`).

    Five operators all busy, 120 s handle time, no abandonment: the 11th caller needs 11
    operators to free up, one every 24 s.

    >>> load = QueueLoad(ready=0, busy=5, handle_times=[120.0] * 10, answered=10, abandoned=0)
    >>> estimate_wait(11, load)
    WaitEstimate(seconds=264, confident=True, staffed=True)

    Half of recent callers gave up; those ahead have on average half their wait still to go,
    so a quarter of them are expected to hang up before their turn:

    >>> estimate_wait(11, QueueLoad(0, 5, [120.0] * 10, answered=10, abandoned=10))
    WaitEstimate(seconds=204, confident=True, staffed=True)

    Nobody logged in:

    >>> estimate_wait(1, QueueLoad(0, 0, [], 0, 0)).more_than_minutes
    10
    """
    policy = policy or WaitPolicy()
    if position < 1:
        raise ValueError(f"position must be >= 1, got {position}")
    serving = load.ready + load.busy
    if serving == 0:
        return WaitEstimate(policy.no_operator_s, confident=False, staffed=False)
    confident = len(load.handle_times) >= policy.min_samples
    handle = (
        sum(load.handle_times) / len(load.handle_times) if confident else policy.default_handle_s
    )
    # The abandonment ratio is the share of callers who hang up over a whole wait; those ahead
    # are part-way through theirs, about half on average, so about half that share of them
    # will still hang up before their turn. (Thinning by the whole share made a storm's
    # estimates run short; the simulator measures it: `run_ivr.py storm`.)
    remaining_ahead = (position - 1 + also_ahead) * (1 - _abandon_ratio(load, policy) / 2)
    completions = remaining_ahead + 1 - load.ready
    if completions <= 0:
        return WaitEstimate(0, confident)
    return WaitEstimate(math.ceil(completions * handle / serving), confident)


def served_first(queue_set: QueueSet, queue: str) -> tuple[tuple[str, bool], ...]:
    """The other queues whose waiting callers the ACD serves before a caller of ``queue``: a
    heavier queue's every caller (True), a queue of the same weight's callers placed before
    this one, by priority then join time (False). A lighter queue's callers come after.

    >>> from routing.queues import load_queue_definitions
    >>> qs = load_queue_definitions({"queues": {
    ...     "hi": {"company": "CZ", "language": "hi"}, "en": {"company": "CZ", "language": "en"},
    ...     "hazard": {"company": "CZ", "hazard": True, "weight": 10}}})
    >>> served_first(qs, "hi"), served_first(qs, "hazard")
    ((('en', False), ('hazard', True)), ())
    """
    mine = queue_set[queue].weight
    return tuple(
        (other.name, other.weight > mine)
        for other in queue_set
        if other.name != queue and other.weight >= mine
    )


def shared_ahead(
    queue: str, waiting_first: Mapping[str, int], serving: Mapping[str, Set[str]]
) -> float:
    """How many callers of other queues this queue's operators are expected to serve before
    the caller: each queue's callers who come first (``waiting_first``) times the share of
    that queue's operators (``serving``: ids per queue) who serve ``queue`` too.

    Eight English callers come first; three of the four operators serving English serve
    Hindi too, so six of them are expected to take Hindi's operators:

    >>> shared_ahead("hi", {"en": 8}, {"hi": {"a", "b", "c"}, "en": {"a", "b", "c", "d"}})
    6.0
    """
    mine = serving.get(queue, frozenset())
    ahead = 0.0
    for name, count in waiting_first.items():
        theirs = serving.get(name)
        if name != queue and count and theirs:
            ahead += count * len(mine & theirs) / len(theirs)
    return ahead


def _abandon_ratio(load: QueueLoad, policy: WaitPolicy) -> float:
    # Too few outcomes say nothing; assuming nobody abandons errs towards a longer estimate.
    outcomes = load.answered + load.abandoned
    return load.abandoned / outcomes if outcomes >= policy.min_samples else 0.0
