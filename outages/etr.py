"""Rules for estimated restoration times (ETR) given by people and feeds.

Crews text a bare clock time ("ETR 14:30"); feeds send a full ISO 8601 time. Both go through the
same rules here so the SMS grammar and the feed API agree:

- A clock time is local to `now`'s time zone and means its nearest sensible occurrence: up to
  `GRACE` (30 min) in the past is a late report and is kept as given; a time earlier than that
  but within `PAST_WINDOW` (6 h) is taken as a mistake - "ETR is in the past"; anything else is
  the next occurrence, later today or tomorrow (at 23:50, "01:30" is 01:30 tomorrow).
- A full ETR more than `GRACE` in the past, or more than `MAX_AHEAD` (14 days) ahead - a
  mistyped year, most likely - is refused.

Pure: `now` is always passed in and must be time-zone aware.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from enum import StrEnum

GRACE = timedelta(minutes=30)
PAST_WINDOW = timedelta(hours=6)
MAX_AHEAD = timedelta(days=14)

_CLOCK = re.compile(r"(\d{1,2})[:.](\d{2})|(\d{2})(\d{2})")


class EtrProblem(StrEnum):
    """Why an ETR was refused; the value is a message fit for a person."""

    IN_THE_PAST = "ETR is in the past"
    TOO_FAR_AHEAD = "ETR is more than 14 days ahead"


def parse_clock(text: str) -> time | None:
    """A 24-hour clock time from "14:30", "9:05", "14.30" or "1430"; None if not one.

    >>> parse_clock("9.05"), parse_clock("2400")
    (datetime.time(9, 5), None)
    """
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        return None
    hour_text, minute_text = (match[1], match[2]) if match[1] else (match[3], match[4])
    hour, minute = int(hour_text), int(minute_text)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def resolve_clock_etr(clock: time, now: datetime) -> datetime | EtrProblem:
    """The datetime a clock-time ETR stands for, by the rules in the module docstring.

    >>> from datetime import timezone
    >>> now = datetime(2026, 7, 1, 23, 50, tzinfo=timezone.utc)
    >>> resolve_clock_etr(time(1, 30), now).isoformat()
    '2026-07-02T01:30:00+00:00'
    >>> resolve_clock_etr(time(20, 0), now)
    <EtrProblem.IN_THE_PAST: 'ETR is in the past'>
    """
    today = datetime.combine(now.date(), clock, tzinfo=now.tzinfo)
    if today >= now - GRACE:
        return today
    if today >= now - PAST_WINDOW:
        return EtrProblem.IN_THE_PAST
    return today + timedelta(days=1)


def check_etr(etr: datetime, now: datetime) -> EtrProblem | None:
    """None when a full ETR is acceptable at `now`, else why not.

    >>> from datetime import timezone
    >>> now = datetime(2026, 7, 1, 12, 0, tzinfo=timezone.utc)
    >>> check_etr(now - timedelta(minutes=10), now) is None
    True
    """
    if etr < now - GRACE:
        return EtrProblem.IN_THE_PAST
    if etr > now + MAX_AHEAD:
        return EtrProblem.TOO_FAR_AHEAD
    return None
