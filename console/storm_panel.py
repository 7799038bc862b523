"""Helpers of the supervisor pages: the storm decisions log, the staffing calculator (Erlang
A/C from `routing.staffing`) and the fault forms turned into fault-status messages.

The decisions log is read from the `storm_decisions` table, so it shows even where the
controller does not run in this process. The calculator validates each field and gives a
message per bad one instead of a result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from routing.staffing import required_agents, staffing_table
from routing.staffing_inputs import StaffingError
from services.container import Services
from store import schema as t
from store.timeutil import as_utc

LOCAL_INPUT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
CALC_FIELDS = {  # name: (label, default, low, high)
    "calls_per_hour": ("Calls per hour / कॉल प्रति घंटा", 600.0, 1.0, 200_000.0),
    "aht_s": ("Average handle time, s / औसत समय (से.)", 180.0, 1.0, 3600.0),
    "target_pct": ("Answered within target, % / लक्ष्य %", 80.0, 1.0, 99.9),
    "target_s": ("Target, s / लक्ष्य (से.)", 20.0, 1.0, 600.0),
    "patience_s": ("Mean patience, s (empty: Erlang C) / धैर्य", 120.0, 1.0, 3600.0),
}


def decisions(services: Services, limit: int = 50) -> list[dict[str, Any]]:
    query = select(t.storm_decisions).order_by(t.storm_decisions.c.id.desc()).limit(limit)
    with services.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    for row in rows:
        row["at"] = as_utc(row["at"])
    return rows


def fault_payload(form: Mapping[str, str], zone: ZoneInfo) -> dict[str, object]:
    """A fault-status message (the feed's JSON shape) from the console's fault forms.

    A browser's date-time field has no zone: it is read in the helpline's zone. `HH:MM` is
    passed on as it is (the message parser reads it as the next such time).
    """
    fields = ("message_id", "action", "asset_code", "level", "cause", "etr")
    payload: dict[str, object] = {k: form[k].strip() for k in fields if (form.get(k) or "").strip()}
    etr = str(payload.get("etr", ""))
    if LOCAL_INPUT.match(etr):
        payload["etr"] = datetime.fromisoformat(etr).replace(tzinfo=zone).isoformat()
    if form.get("force_majeure") == "on":
        payload["force_majeure"] = True
    return payload


def staffing_form(args: Mapping[str, str]) -> dict[str, Any]:
    """The calculator's values, errors per field, and (when valid) the result and table."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    asked = any(name in args for name in CALC_FIELDS)
    for name, (_label, default, low, high) in CALC_FIELDS.items():
        raw = (args.get(name) or "").strip() if asked else str(default)
        if name == "patience_s" and raw == "":
            values[name] = None
            continue
        try:
            number = float(raw)
        except ValueError:
            errors[name] = "enter a number / संख्या लिखें"
            values[name] = raw
            continue
        if not low <= number <= high:
            errors[name] = f"between {low:g} and {high:g}"
        values[name] = number
    result: dict[str, Any] = {"values": values, "errors": errors, "fields": CALC_FIELDS}
    if errors:
        return result
    try:
        common = {
            "target_sl": values["target_pct"] / 100,
            "target_s": values["target_s"],
            "patience_s": values["patience_s"],
        }
        result["required"] = required_agents(values["calls_per_hour"], values["aht_s"], **common)
        result["rows"] = staffing_table(values["calls_per_hour"], values["aht_s"], **common)
    except StaffingError as exc:
        errors[""] = str(exc)
    return result
