"""The state of one call in the IVR, as a frozen value that serialises to JSON.

The engine never mutates a session; it returns a new one. Front-ends store it (Redis, keyed by
call id) between turns. `turn` counts the input requests the caller has been given; a front-end
that receives input for an older turn (a retried webhook) asks for a repeat instead of feeding
the input again, so nothing advances twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any


class Awaiting(StrEnum):
    START = "start"
    INPUT = "input"
    RESULT = "result"
    END = "end"


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the call left the IVR: `docket`, `queued`, `completed` or `abandoned`."""

    kind: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for logs and the terminal phone.

        >>> Outcome("queued", {"queue": "CZ-hi", "priority": 5}).describe()
        'queued queue=CZ-hi priority=5'
        >>> Outcome("docket", {"docket": "CZ2611280000123"}).describe()
        'docket CZ2611280000123'
        """
        parts = [self.kind]
        for key, value in self.detail.items():
            parts.append(str(value) if key == self.kind else f"{key}={value}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Session:
    call_id: str
    caller: str
    channel: str
    language: str
    node: str = ""
    awaiting: Awaiting = Awaiting.START
    pending: str = ""
    turn: int = 0
    vars: Mapping[str, Any] = field(default_factory=dict)
    failures: Mapping[str, int] = field(default_factory=dict)
    outcome: Outcome | None = None

    @property
    def ended(self) -> bool:
        return self.awaiting is Awaiting.END

    def with_var(self, name: str, value: Any) -> Session:
        return replace(self, vars={**self.vars, name: value})

    def with_failure(self, node: str) -> Session:
        return replace(self, failures={**self.failures, node: self.failures.get(node, 0) + 1})

    def to_dict(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "channel": self.channel,
            "language": self.language,
            "node": self.node,
            "awaiting": self.awaiting.value,
            "pending": self.pending,
            "turn": self.turn,
            "vars": dict(self.vars),
            "failures": dict(self.failures),
            "outcome": None
            if self.outcome is None
            else {"kind": self.outcome.kind, "detail": dict(self.outcome.detail)},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Session:
        outcome = data.get("outcome")
        return cls(
            call_id=str(data["call_id"]),
            caller=str(data["caller"]),
            channel=str(data["channel"]),
            language=str(data["language"]),
            node=str(data["node"]),
            awaiting=Awaiting(data["awaiting"]),
            pending=str(data.get("pending", "")),
            turn=int(data["turn"]),
            vars=dict(data.get("vars", {})),
            failures=dict(data.get("failures", {})),
            outcome=None if outcome is None else Outcome(outcome["kind"], outcome["detail"]),
        )
