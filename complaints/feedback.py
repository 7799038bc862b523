"""The feedback call after a complaint is resolved: what the answer means and when to call.

The consumer presses 1 (satisfied: the complaint stays closed) or 2 (not satisfied: it is
reopened and escalated). Calls are placed only within calling hours, a while after resolution
(so the crew has left and supply has settled), retried at an interval up to a number of
attempts, and abandoned once too long after resolution to be meaningful. The policy is
configuration (`[feedback]` in `config/complaints.toml`): `calling_hours = ["09:00", "20:00"]`
(local; start included, end excluded, same day), `first_delay_minutes`,
`retry_interval_minutes`, `max_attempts`, `give_up_after_hours`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum

from complaints.errors import ComplaintError
from complaints.validation import (
    clock_time,
    positive_int,
    positive_number,
    reject_unknown,
    required,
    table,
)


class FeedbackOutcome(StrEnum):
    """The consumer's answer."""

    SATISFIED = "satisfied"
    NOT_SATISFIED = "not_satisfied"


@dataclass(frozen=True, slots=True)
class FeedbackDecision:
    """What the answer does to the complaint."""

    close: bool
    reopen: bool
    escalate: bool


def feedback_from_digit(digit: str) -> FeedbackOutcome | None:
    """1 → satisfied, 2 → not satisfied, anything else → None (ask again).

    >>> feedback_from_digit("2"), feedback_from_digit("9")
    (<FeedbackOutcome.NOT_SATISFIED: 'not_satisfied'>, None)
    """
    return {"1": FeedbackOutcome.SATISFIED, "2": FeedbackOutcome.NOT_SATISFIED}.get(digit.strip())


def decide_feedback(outcome: FeedbackOutcome) -> FeedbackDecision:
    """Satisfied closes the complaint for good; not satisfied reopens and escalates it."""
    if outcome is FeedbackOutcome.SATISFIED:
        return FeedbackDecision(close=True, reopen=False, escalate=False)
    return FeedbackDecision(close=False, reopen=True, escalate=True)


@dataclass(frozen=True, slots=True)
class FeedbackPolicy:
    """When feedback calls may be placed; see the module docstring."""

    call_from: time
    call_until: time
    first_delay: timedelta
    retry_interval: timedelta
    max_attempts: int
    give_up_after: timedelta


def default_feedback_config() -> dict[str, object]:
    """The `[feedback]` table (*assumed* values; the companies call ~500 complainants a day)."""
    return {
        "calling_hours": ["09:00", "20:00"],
        "first_delay_minutes": 30,
        "retry_interval_minutes": 120,
        "max_attempts": 3,
        "give_up_after_hours": 72,
    }


_KEYS = frozenset(default_feedback_config())


def load_feedback_policy(config: Mapping[str, object], *, path: str = "feedback") -> FeedbackPolicy:
    """Validate the `[feedback]` table; raises `ComplaintError` naming the bad value's path."""
    values = table(config, path)
    reject_unknown(values, _KEYS, path)
    hours = required(values, "calling_hours", path)
    if not isinstance(hours, list) or len(hours) != 2:
        raise ComplaintError(f'{path}.calling_hours: must be ["HH:MM", "HH:MM"], got {hours!r}')
    start = clock_time(hours[0], f"{path}.calling_hours[0]")
    end = clock_time(hours[1], f"{path}.calling_hours[1]")
    if end <= start:
        raise ComplaintError(f"{path}.calling_hours[1]: must be later than {start:%H:%M}")

    def minutes(key: str, scale: float = 1.0) -> timedelta:
        return timedelta(
            minutes=positive_number(required(values, key, path), f"{path}.{key}") * scale
        )

    return FeedbackPolicy(
        call_from=start,
        call_until=end,
        first_delay=minutes("first_delay_minutes"),
        retry_interval=minutes("retry_interval_minutes"),
        max_attempts=positive_int(required(values, "max_attempts", path), f"{path}.max_attempts"),
        give_up_after=minutes("give_up_after_hours", 60.0),
    )


def next_feedback_attempt(
    resolved_at: datetime,
    attempts_made: int,
    last_attempt_at: datetime | None,
    now: datetime,
    *,
    policy: FeedbackPolicy,
) -> datetime | None:
    """When to place the next feedback call (at or after `now`), or None to stop trying.

    The first call waits `first_delay` after resolution, each retry `retry_interval` after the
    last attempt; a time outside calling hours moves to the next opening (`now`'s time zone
    decides the local clock). None once `max_attempts` are used or the time found lies beyond
    `give_up_after` from resolution.

    >>> from datetime import timezone
    >>> policy = load_feedback_policy(default_feedback_config())
    >>> resolved = datetime(2026, 7, 1, 19, 45, tzinfo=timezone.utc)
    >>> next_feedback_attempt(resolved, 0, None, resolved, policy=policy).isoformat()
    '2026-07-02T09:00:00+00:00'
    """
    if attempts_made >= policy.max_attempts:
        return None
    if attempts_made == 0 or last_attempt_at is None:
        earliest = resolved_at + policy.first_delay
    else:
        earliest = last_attempt_at + policy.retry_interval
    candidate = _within_calling_hours(max(earliest, now).astimezone(now.tzinfo), policy)
    if candidate > resolved_at + policy.give_up_after:
        return None
    return candidate


def _within_calling_hours(moment: datetime, policy: FeedbackPolicy) -> datetime:
    clock = moment.time()
    if clock < policy.call_from:
        return datetime.combine(moment.date(), policy.call_from, tzinfo=moment.tzinfo)
    if clock >= policy.call_until:
        next_day = moment.date() + timedelta(days=1)
        return datetime.combine(next_day, policy.call_from, tzinfo=moment.tzinfo)
    return moment
