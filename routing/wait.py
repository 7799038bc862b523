"""Estimated wait for a caller at a given queue position.

Asterisk's ``holdtime`` is a running average of past waits: it lags a storm by many minutes.
Here the estimate looks forward instead: the callers ahead who will still be there (recent
abandonment thins them out) must be served first; free operators take the first of them at
once and the busy ones free up, on average, every ``handle time / operators`` seconds. When the
inputs are thin (nobody logged in, too few recent handle times) the answer is flagged not
confident and should be read as "more than N minutes". Pure: stdlib only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


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

    @property
    def more_than_minutes(self) -> int | None:
        """The N of "more than N minutes" when not confident, else None."""
        return None if self.confident else max(1, self.seconds // 60)


def estimate_wait(position: int, load: QueueLoad, policy: WaitPolicy | None = None) -> WaitEstimate:
    """Expected wait of the caller at ``position`` (1 = next to be served).

    Five operators all busy, 120 s handle time, no abandonment: the 11th caller needs 11
    operators to free up, one every 24 s.

    >>> load = QueueLoad(ready=0, busy=5, handle_times=[120.0] * 10, answered=10, abandoned=0)
    >>> estimate_wait(11, load)
    WaitEstimate(seconds=264, confident=True)

    Half of recent callers gave up, so only half of those ahead are expected to remain:

    >>> estimate_wait(11, QueueLoad(0, 5, [120.0] * 10, answered=10, abandoned=10))
    WaitEstimate(seconds=144, confident=True)

    Nobody logged in:

    >>> estimate_wait(1, QueueLoad(0, 0, [], 0, 0)).more_than_minutes
    10
    """
    policy = policy or WaitPolicy()
    if position < 1:
        raise ValueError(f"position must be >= 1, got {position}")
    serving = load.ready + load.busy
    if serving == 0:
        return WaitEstimate(policy.no_operator_s, confident=False)
    confident = len(load.handle_times) >= policy.min_samples
    handle = (
        sum(load.handle_times) / len(load.handle_times) if confident else policy.default_handle_s
    )
    remaining_ahead = (position - 1) * (1 - _abandon_ratio(load, policy))
    completions = remaining_ahead + 1 - load.ready
    if completions <= 0:
        return WaitEstimate(0, confident)
    return WaitEstimate(math.ceil(completions * handle / serving), confident)


def _abandon_ratio(load: QueueLoad, policy: WaitPolicy) -> float:
    # Too few outcomes say nothing; assuming nobody abandons errs towards a longer estimate.
    outcomes = load.answered + load.abandoned
    return load.abandoned / outcomes if outcomes >= policy.min_samples else 0.0
