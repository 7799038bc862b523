"""Estimated wait: free operators, handle time, abandonment, and honest uncertainty."""

from __future__ import annotations

import pytest

from routing.queues import load_queue_definitions
from routing.wait import (
    QueueLoad,
    WaitEstimate,
    WaitPolicy,
    estimate_wait,
    served_first,
    shared_ahead,
)

SAMPLES = [100.0, 140.0, 120.0, 110.0, 130.0]  # mean 120


def test_free_operators_take_the_first_callers_at_once() -> None:
    load = QueueLoad(ready=3, busy=2, handle_times=SAMPLES, answered=10, abandoned=0)
    assert [estimate_wait(p, load).seconds for p in (1, 3, 4)] == [0, 0, 24]


def test_wait_grows_with_position_and_shrinks_with_operators() -> None:
    few = QueueLoad(0, 2, SAMPLES, 10, 0)
    many = QueueLoad(0, 8, SAMPLES, 10, 0)
    assert estimate_wait(10, few).seconds > estimate_wait(5, few).seconds
    assert estimate_wait(10, many).seconds * 4 == pytest.approx(estimate_wait(10, few).seconds, 1)


def test_abandonment_thins_the_callers_ahead() -> None:
    patient = estimate_wait(21, QueueLoad(0, 4, SAMPLES, answered=20, abandoned=0))
    fickle = estimate_wait(21, QueueLoad(0, 4, SAMPLES, answered=10, abandoned=10))
    # Half of all callers hang up over a whole wait; the 20 ahead are half-way through theirs
    # on average, so a quarter of them (5) will hang up before their turn.
    assert patient.seconds == 21 * 120 / 4 and fickle.seconds == 16 * 120 / 4


def test_callers_of_queues_sharing_the_operators_count_when_they_come_first() -> None:
    queues = load_queue_definitions({"queues": {
        "hi": {"company": "CZ", "language": "hi", "weight": 1},
        "en": {"company": "CZ", "language": "en", "weight": 1},
        "hazard": {"company": "CZ", "hazard": True, "weight": 10},
        "light": {"company": "CZ", "language": "hi", "weight": 0},
    }})  # fmt: skip
    first = served_first(queues, "hi")
    assert dict(first) == {"en": False, "hazard": True}  # the lighter queue comes after
    # Four operators serve both Hindi and English, four English only; hazard is all eight.
    both, english = {"a", "b", "c", "d"}, {"e", "f", "g", "h"}
    serving = {"hi": both, "en": both | english, "hazard": both | english}
    ahead = shared_ahead("hi", {"en": 6, "hazard": 2}, serving)
    assert ahead == 6 * 4 / 8 + 2 * 4 / 8
    alone = estimate_wait(3, QueueLoad(0, 4, SAMPLES, answered=10, abandoned=0))
    shared = estimate_wait(3, QueueLoad(0, 4, SAMPLES, 10, 0), also_ahead=ahead)
    assert (alone.seconds, shared.seconds) == (3 * 120 / 4, 7 * 120 / 4)  # 4 more ahead
    assert shared_ahead("hi", {"en": 6}, {"hi": both, "en": english}) == 0.0  # none shared


def test_few_samples_use_the_default_and_say_more_than() -> None:
    estimate = estimate_wait(7, QueueLoad(0, 2, [60.0], 1, 0), WaitPolicy(default_handle_s=200))
    assert estimate == WaitEstimate(700, confident=False)
    assert estimate.more_than_minutes == 11


def test_nobody_logged_in_is_not_confident() -> None:
    estimate = estimate_wait(1, QueueLoad(0, 0, SAMPLES, 10, 0), WaitPolicy(no_operator_s=900))
    assert not estimate.confident and estimate.more_than_minutes == 15
    assert not estimate.staffed  # a stand-in, not a forecast
    assert estimate_wait(1, QueueLoad(0, 1, [], 0, 0)).staffed  # few samples: still staffed
    assert WaitEstimate(30, confident=True).more_than_minutes is None


def test_position_starts_at_one() -> None:
    with pytest.raises(ValueError):
        estimate_wait(0, QueueLoad(1, 0, SAMPLES, 0, 0))
