"""How good the wait estimates were: what callers were told against what they then waited.

The simulator notes the estimate a caller would hear on joining a queue (the wait page's
"about N minutes", or "more than N minutes" when the estimate is not confident) and, when an
operator answers them on the line, how long they really waited. A caller who hangs up first
or takes a call back has no wait to compare; those who hung up are counted apart. A confident
estimate counts as close when it is within a minute or a quarter of the real wait, whichever is
more (a caller hears minutes; "about 4 minutes" for a 5-minute wait is close, for a 30-second
one it is not). "More than N minutes" holds when the caller waited at least N minutes.
Pure: stdlib only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

CLOSE_S = 60.0  # an estimate within a minute of the wait is close…
CLOSE_SHARE = 0.25  # …or within a quarter of it, whichever is more


@dataclass(frozen=True, slots=True)
class ToldWait:
    """One caller answered on the line: what they were told, and what they waited."""

    at_s: float  # when they joined (seconds from the start of the run)
    estimate_s: int
    confident: bool
    waited_s: float


@dataclass(frozen=True, slots=True)
class EstimateAccuracy:
    """The estimates of a run (or of part of it), against the waits that followed."""

    answered: int = 0  # answered on the line after a confident estimate
    mean_wait_s: float | None = None  # what those callers really waited, on average
    median_error_s: float | None = None  # of |estimate - wait|
    p90_error_s: float | None = None
    bias_s: float | None = None  # mean of estimate - wait: above 0, the estimates ran long
    close_share: float | None = None
    more_than_said: int = 0  # answered after hearing "more than N minutes"
    more_than_held: float | None = None  # share of those who did wait N minutes or more
    hung_up_after_estimate: int = 0


def summarise(told: Sequence[ToldWait], *, hung_up: int = 0) -> EstimateAccuracy:
    """The accuracy of ``told``; ``hung_up`` callers heard an estimate and hung up first.

    >>> told = [ToldWait(0, 120, True, 100.0), ToldWait(0, 60, True, 200.0),
    ...         ToldWait(0, 600, False, 900.0), ToldWait(0, 600, False, 300.0)]
    >>> accuracy = summarise(told, hung_up=3)
    >>> accuracy.mean_wait_s, accuracy.median_error_s, accuracy.bias_s, accuracy.close_share
    (150.0, 80.0, -60.0, 0.5)
    >>> accuracy.more_than_said, accuracy.more_than_held
    (2, 0.5)
    """
    confident = [w for w in told if w.confident]
    vague = [w for w in told if not w.confident]
    errors = sorted(abs(w.estimate_s - w.waited_s) for w in confident)
    held = sum(w.waited_s >= (w.estimate_s // 60) * 60 for w in vague)
    return EstimateAccuracy(
        answered=len(confident),
        mean_wait_s=sum(w.waited_s for w in confident) / len(confident) if confident else None,
        median_error_s=_quantile(errors, 0.5),
        p90_error_s=_quantile(errors, 0.9),
        bias_s=sum(w.estimate_s - w.waited_s for w in confident) / len(confident)
        if confident
        else None,
        close_share=sum(map(_close, confident)) / len(confident) if confident else None,
        more_than_said=len(vague),
        more_than_held=held / len(vague) if vague else None,
        hung_up_after_estimate=hung_up,
    )


def _close(told: ToldWait) -> bool:
    return abs(told.estimate_s - told.waited_s) <= max(CLOSE_S, CLOSE_SHARE * told.waited_s)


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile of sorted values, interpolated between neighbours."""
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
