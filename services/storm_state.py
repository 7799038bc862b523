"""Storm controller state, overrides and decisions as JSON (Redis) and SQL rows.

The controller's state is a frozen value; between rounds it is kept in Redis as JSON so any
worker can read it and a restart resumes where it was. Unknown or damaged JSON reads as the
default (normal mode, nothing called out, no override): the next round rebuilds it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from routing.storm_decisions import Decision
from routing.storm_inputs import CalledOut, Override, OverrideMode, StormMode, StormState


def dump_state(state: StormState) -> str:
    return json.dumps(
        {
            "mode": state.mode.value,
            "target": state.target,
            "changed_at": None if state.changed_at is None else state.changed_at.isoformat(),
            "activated": list(state.activated),
            "called_out": [[c.operator_id, c.at.isoformat()] for c in state.called_out],
        }
    )


def load_state(raw: bytes | str | None) -> StormState:
    if raw is None:
        return StormState()
    try:
        data = json.loads(raw)
        changed = data.get("changed_at")
        return StormState(
            mode=StormMode(data["mode"]),
            target=int(data["target"]),
            changed_at=None if changed is None else datetime.fromisoformat(changed),
            activated=tuple(str(op) for op in data["activated"]),
            called_out=tuple(
                CalledOut(str(op), datetime.fromisoformat(at)) for op, at in data["called_out"]
            ),
        )
    except (ValueError, KeyError, TypeError):
        return StormState()


def dump_override(override: Override) -> str:
    return json.dumps({"mode": override.mode.value, "fixed_target": override.fixed_target,
                       "set_by": override.set_by})  # fmt: skip


def load_override(raw: bytes | str | None) -> Override:
    if raw is None:
        return Override()
    try:
        data = json.loads(raw)
        target = data.get("fixed_target")
        return Override(OverrideMode(data["mode"]), None if target is None else int(target),
                        str(data.get("set_by", "")))  # fmt: skip
    except (ValueError, KeyError, TypeError):
        return Override()


def decision_row(decision: Decision) -> dict[str, Any]:
    """The `storm_decisions` row of a decision."""
    return {
        "at": decision.at.astimezone(UTC),
        "company": decision.company.value,
        "action": decision.action[:40],
        "target_operators": decision.target_operators,
        "staffed_operators": decision.staffed_operators,
        "reason": decision.reason,
        "inputs": {**decision.inputs(), "commands": [_command(c) for c in decision.commands]},
    }


def _command(command: object) -> dict[str, Any]:
    fields = {name: getattr(command, name) for name in getattr(command, "__slots__", ())}
    return {"kind": type(command).__name__, **{k: str(v) for k, v in fields.items()}}
