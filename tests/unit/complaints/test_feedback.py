from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.errors import ComplaintError
from complaints.feedback import (
    FeedbackDecision,
    FeedbackOutcome,
    FeedbackPolicy,
    decide_feedback,
    default_feedback_config,
    feedback_from_digit,
    load_feedback_policy,
    next_feedback_attempt,
)

IST = timezone(timedelta(hours=5, minutes=30))
POLICY = load_feedback_policy(default_feedback_config())
DAY = datetime(2026, 7, 1, tzinfo=IST)


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def test_default_policy() -> None:
    assert load_feedback_policy(default_feedback_config()) == FeedbackPolicy(
        call_from=time(9),
        call_until=time(20),
        first_delay=timedelta(minutes=30),
        retry_interval=timedelta(hours=2),
        max_attempts=3,
        give_up_after=timedelta(hours=72),
    )


def test_digits_and_decisions() -> None:
    assert feedback_from_digit("1") is FeedbackOutcome.SATISFIED
    assert feedback_from_digit("2") is FeedbackOutcome.NOT_SATISFIED
    assert feedback_from_digit("3") is None and feedback_from_digit("") is None
    assert decide_feedback(FeedbackOutcome.SATISFIED) == FeedbackDecision(True, False, False)
    assert decide_feedback(FeedbackOutcome.NOT_SATISFIED) == FeedbackDecision(False, True, True)


def test_first_call_waits_the_delay() -> None:
    assert next_feedback_attempt(at(11), 0, None, at(11), policy=POLICY) == at(11, 30)


def test_calls_move_into_calling_hours() -> None:
    assert next_feedback_attempt(at(2), 0, None, at(2), policy=POLICY) == at(9)
    assert next_feedback_attempt(at(19, 30), 0, None, at(19, 30), policy=POLICY) == at(9, days=1)
    assert next_feedback_attempt(at(19), 0, None, at(19), policy=POLICY) == at(19, 30)


def test_overdue_call_is_placed_now_if_hours_allow() -> None:
    assert next_feedback_attempt(at(10), 0, None, at(15), policy=POLICY) == at(15)
    assert next_feedback_attempt(at(10), 0, None, at(21), policy=POLICY) == at(9, days=1)


def test_retries_then_gives_up() -> None:
    assert next_feedback_attempt(at(10), 1, at(11), at(11), policy=POLICY) == at(13)
    assert next_feedback_attempt(at(10), 2, at(19), at(19), policy=POLICY) == at(9, days=1)
    assert next_feedback_attempt(at(10), 3, at(15), at(15), policy=POLICY) is None


def test_too_long_after_resolution() -> None:
    assert next_feedback_attempt(at(10), 1, at(10, days=3), at(10, days=3), policy=POLICY) is None


@given(
    st.integers(0, 3 * 24 * 60),
    st.integers(0, 3 * 24 * 60),
    st.integers(0, 2),
)
def test_result_is_in_hours_not_before_now(resolved_min: int, wait_min: int, attempts: int) -> None:
    resolved = DAY + timedelta(minutes=resolved_min)
    now = resolved + timedelta(minutes=wait_min)
    last = None if attempts == 0 else now - timedelta(minutes=5)
    result = next_feedback_attempt(resolved, attempts, last, now, policy=POLICY)
    if result is not None:
        assert result >= now
        assert time(9) <= result.time() < time(20)
        assert result <= resolved + timedelta(hours=72)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"calling_hours": ["09:00"]}, "feedback.calling_hours"),
        ({"calling_hours": ["9", "20:00"]}, "feedback.calling_hours[0]"),
        ({"calling_hours": ["09:00", "24:00"]}, "feedback.calling_hours[1]"),
        ({"calling_hours": ["20:00", "09:00"]}, "feedback.calling_hours[1]"),
        ({"max_attempts": 0}, "feedback.max_attempts"),
        ({"max_attempts": 2.5}, "feedback.max_attempts"),
        ({"retry_interval_minutes": "120"}, "feedback.retry_interval_minutes"),
        ({"give_up_after_hours": -1}, "feedback.give_up_after_hours"),
        ({"pace": 1}, "feedback.pace"),
    ],
)
def test_bad_policy_names_the_path(change: dict[str, object], path: str) -> None:
    with pytest.raises(ComplaintError) as raised:
        load_feedback_policy(default_feedback_config() | change)
    assert str(raised.value).startswith(path + ":")


def test_missing_setting() -> None:
    config = default_feedback_config()
    del config["max_attempts"]
    with pytest.raises(ComplaintError, match=r"^feedback\.max_attempts: missing"):
        load_feedback_policy(config)
