"""Storm warnings: what a supervisor enters from a weather warning, and how it is kept.

A warning (`routing.storm_forecast.StormWarning`) says a storm is expected from one time to
another, with a level (yellow, orange, red: the calls each brings are in config/storm.toml)
or an explicit rate of fault calls per hour. The controller plans for it from the warning's
lead time on, so standby operators are called in before the first feeder trips. Warnings are
kept in Redis per company as JSON, expiring when the warning ends (a stale warning must never
keep operators in), and every change is audited by the storm service.

`parse_warning` reads the JSON of `POST /api/storm/warning` and the arguments of
`run_ivr.py warning set`: `{"company": "WZ"|"all", "from": "19:00"|ISO time, "until":
"23:00"|ISO time, "level": "red"}` or `"calls_per_hour": 2500` instead of the level, and an
optional `"note"`. A clock time is taken in the helpline's zone: `from` at its occurrence
nearest to now (so 18:00 entered at 18:30 is today's, 01:00 entered at 23:00 tomorrow's),
`until` at its first occurrence after `from`. Mistakes come back as one sentence naming the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from routing.queues import Company
from routing.storm_config import StormConfig
from routing.storm_forecast import StormWarning

LONGEST = timedelta(hours=48)
_FIELDS = {"company", "from", "until", "level", "calls_per_hour", "note"}


def companies_named(raw: object) -> list[Company] | str:
    """The companies a request names: one code (WZ, CZ, EZ) or "all"; else what is wrong."""
    code = str(raw).strip().upper()
    if code == "ALL":
        return list(Company)
    if code not in Company.__members__:
        return f"company must be one of {', '.join(Company)} or all, got {raw!r}"
    return [Company(code)]


def parse_warning(
    body: Mapping[str, Any], *, config: StormConfig, zone: ZoneInfo, now: datetime, actor: str
) -> tuple[list[Company], StormWarning] | str:
    """The companies and the warning `body` describes, or what is wrong with it."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        return f"unknown field {unknown[0]!r}"
    chosen = companies_named(body.get("company", "all"))
    if isinstance(chosen, str):
        return chosen
    local_now = now.astimezone(zone)
    starts = _when(body.get("from"), "from", local_now, zone, nearest=True)
    if isinstance(starts, str):
        return starts
    ends = _when(body.get("until"), "until", starts, zone, nearest=False)
    if isinstance(ends, str):
        return ends
    if ends <= starts:
        return "until must be after from"
    if ends - starts > LONGEST:
        return f"a warning may last at most {LONGEST.total_seconds() / 3600:g} hours"
    if ends <= local_now:
        return "the warning has already ended"
    rate = _rate(body, config)
    if isinstance(rate, str):
        return rate
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 200:
        return "note must be text of at most 200 characters"
    level = str(body.get("level", "")).strip().lower()
    text = note.strip() or (f"{level} warning" if level else "")
    return chosen, StormWarning(starts, ends, rate, text, actor)


def _when(
    raw: object, name: str, near: datetime, zone: ZoneInfo, *, nearest: bool
) -> datetime | str:
    """An ISO time, or a clock time HH:MM: its occurrence nearest to ``near`` or, without
    ``nearest``, its first one after ``near``."""
    if not isinstance(raw, str) or not raw.strip():
        return f"{name} is required: a time such as 19:00 or 2026-06-15T19:00+05:30"
    text = raw.strip()
    try:
        clock = time.fromisoformat(text)
    except ValueError:
        clock = None
    if clock is not None and len(text) <= 8:
        same_day = near.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)
        options = [same_day + timedelta(days=d) for d in (-1, 0, 1)]
        if nearest:
            return min(options, key=lambda moment: abs(moment - near))
        return next(moment for moment in options if moment > near)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return f"{name} must be a time such as 19:00 or 2026-06-15T19:00+05:30, got {raw!r}"
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def _rate(body: Mapping[str, Any], config: StormConfig) -> float | str:
    level, rate = body.get("level"), body.get("calls_per_hour")
    if (level is None) == (rate is None):
        names = ", ".join(name for name, _ in config.warning_levels)
        return f"give either level ({names}) or calls_per_hour"
    if level is not None:
        known = config.warning_calls_per_hour(str(level))
        if known is None:
            names = ", ".join(name for name, _ in config.warning_levels)
            return f"level must be one of {names}, got {level!r}"
        return known
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
        return f"calls_per_hour must be a number, got {rate!r}"
    if rate <= 0:
        return f"calls_per_hour must be positive, got {rate!r}"
    return float(rate)


def dump_warning(warning: StormWarning) -> str:
    return json.dumps({"starts": warning.starts.isoformat(), "ends": warning.ends.isoformat(),
                       "calls_per_hour": warning.calls_per_hour, "note": warning.note,
                       "set_by": warning.set_by})  # fmt: skip


def load_warning(raw: bytes | str | None) -> StormWarning | None:
    """The stored warning; None when there is none or it cannot be read."""
    if raw is None:
        return None
    try:
        data = json.loads(raw)
        return StormWarning(datetime.fromisoformat(data["starts"]),
                            datetime.fromisoformat(data["ends"]), float(data["calls_per_hour"]),
                            str(data.get("note", "")), str(data.get("set_by", "")))  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return None


def warning_json(warning: StormWarning | None) -> dict[str, Any] | None:
    if warning is None:
        return None
    return {"from": warning.starts.isoformat(), "until": warning.ends.isoformat(),
            "calls_per_hour": warning.calls_per_hour, "note": warning.note,
            "set_by": warning.set_by}  # fmt: skip
