"""Ring strategies: the order in which a queue offers a caller to its free operators.

Names and meanings are Asterisk ``app_queue``'s. Like Asterisk, operators in a lower penalty
tier come before any operator in a higher one, and the strategy orders within a tier; the
exception is ``wrandom``, where (as in Asterisk) the penalty only weights the random draw.
Ties fall back to the listed (linear) order so the result is deterministic for a given random
generator. Pure: stdlib only; randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from routing.operators import Operator, OperatorStatus
from routing.queues import Strategy


@dataclass(frozen=True, slots=True)
class Candidate:
    """A free operator who serves the queue, with their place in the listed order."""

    operator: Operator
    status: OperatorStatus
    position: int


def rank(
    strategy: Strategy,
    candidates: Sequence[Candidate],
    *,
    last_position: int | None,
    rng: random.Random,
) -> list[str]:
    """Operator ids in the order the queue should offer a caller to them.

    ``candidates`` are the free operators who serve the queue; ``last_position`` is the listed
    position of the operator this queue last gave a call to (``rrmemory`` resumes after it).

    >>> from routing.operators import OperatorState
    >>> from routing.queues import Company, Language
    >>> def cand(i, calls):
    ...     op = Operator(i, i, "", "", frozenset({Language.HI}), frozenset({Company.CZ}))
    ...     return Candidate(op, OperatorStatus(OperatorState.READY, 0.0, calls_taken=calls), 0)
    >>> rank(Strategy.FEWESTCALLS, [cand("a", 5), cand("b", 2)], last_position=None,
    ...      rng=random.Random(1))
    ['b', 'a']
    """
    ordered = sorted(candidates, key=lambda c: c.position)
    if strategy is Strategy.WRANDOM:
        # Asterisk: metric = random % ((1 + penalty) * 1000), lowest metric rings first.
        weighted = [(rng.random() * (1 + c.operator.penalty), c.operator.id) for c in ordered]
        return [op_id for _, op_id in sorted(weighted)]
    keys = _strategy_keys(strategy, ordered, last_position, rng)
    paired = sorted(zip(ordered, keys, strict=True), key=lambda p: (p[0].operator.penalty, p[1]))
    return [c.operator.id for c, _ in paired]


def _strategy_keys(
    strategy: Strategy,
    ordered: Sequence[Candidate],
    last_position: int | None,
    rng: random.Random,
) -> list[tuple[float, int]]:
    """A sort key per candidate (already in linear order), the index breaking ties."""
    if strategy is Strategy.LEASTRECENT:
        # Never having taken a call counts as longest ago.
        return [(_last_end(c), i) for i, c in enumerate(ordered)]
    if strategy is Strategy.FEWESTCALLS:
        return [(float(c.status.calls_taken), i) for i, c in enumerate(ordered)]
    if strategy is Strategy.RRMEMORY:
        # Resume after the last operator given a call, wrapping round the listed order. That
        # operator is usually busy (not a candidate), hence a listed position, not an index.
        last = -1 if last_position is None else last_position
        return [(float(c.position <= last), i) for i, c in enumerate(ordered)]
    if strategy is Strategy.RANDOM:
        return [(rng.random(), i) for i in range(len(ordered))]
    return [(0.0, i) for i in range(len(ordered))]  # LINEAR


def _last_end(candidate: Candidate) -> float:
    end = candidate.status.last_call_end
    return float("-inf") if end is None else end
