"""AMI actions as plain values, and the rules that turn operator changes into them.

Every operation on Asterisk's queues is split the same way: the caller loads state (the
operator, the queue definitions), a pure function here decides which actions to send, and
`dialplans.ami.AmiLink.send` sends them. `as_list` is always explicit: panoramisk 1.4 guesses
multi-message responses from the text, and takes QueueAdd's "Added interface to queue" for the
start of a list, so a guessed QueueAdd would never complete.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from routing.operators import TIER_PENALTY, Operator, Tier
from routing.queues import QueueSet


@dataclass(frozen=True, slots=True)
class AmiAction:
    """One action: its name, its headers (a list value repeats the header), list or not."""

    name: str
    headers: Mapping[str, str | Sequence[str]] = field(default_factory=dict)
    as_list: bool = False

    def as_dict(self) -> dict[str, str | list[str]]:
        out: dict[str, str | list[str]] = {"Action": self.name}
        for key, value in self.headers.items():
            out[key] = value if isinstance(value, str) else list(value)
        return out


def _flag(value: bool) -> str:
    return "true" if value else "false"


def queue_add(queue: str, interface: str, *, name: str, penalty: int, paused: bool) -> AmiAction:
    return AmiAction(
        "QueueAdd",
        {
            "Queue": queue,
            "Interface": interface,
            "MemberName": name,
            "Penalty": str(penalty),
            "Paused": _flag(paused),
        },
    )


def queue_remove(queue: str, interface: str) -> AmiAction:
    return AmiAction("QueueRemove", {"Queue": queue, "Interface": interface})


def queue_pause(interface: str, *, paused: bool, reason: str = "") -> AmiAction:
    """Pause or unpause a member in every queue (no `Queue` header means all of them)."""
    headers = {"Interface": interface, "Paused": _flag(paused)}
    if reason:
        headers["Reason"] = reason
    return AmiAction("QueuePause", headers)


def queue_penalty(interface: str, penalty: int) -> AmiAction:
    return AmiAction("QueuePenalty", {"Interface": interface, "Penalty": str(penalty)})


def change_priority(queue: str, channel: str, priority: int) -> AmiAction:
    return AmiAction(
        "QueueChangePriorityCaller",
        {
            "Queue": queue,
            "Caller": channel,
            "Priority": str(priority),
        },
    )


def queue_status() -> AmiAction:
    return AmiAction("QueueStatus", {}, as_list=True)


def originate(
    *,
    action_id: str,
    channel: str,
    context: str,
    exten: str,
    caller_id: str,
    timeout_s: int = 30,
    variables: Mapping[str, str] | None = None,
) -> AmiAction:
    """An asynchronous call: the response says "queued", `OriginateResponse` says how it went."""
    headers: dict[str, str | Sequence[str]] = {
        "ActionID": action_id,
        "Channel": channel,
        "Context": context,
        "Exten": exten,
        "Priority": "1",
        "CallerID": caller_id,
        "Timeout": str(timeout_s * 1000),
        "Async": "true",
    }
    if variables:
        headers["Variable"] = [f"{k}={v}" for k, v in sorted(variables.items())]
    return AmiAction("Originate", headers)


# --- operator changes -> actions ---------------------------------------------------------------


def log_in(operator: Operator, queues: QueueSet) -> list[AmiAction]:
    """Join every queue the operator's skills cover, paused until they say they are ready.

    Standby operators join too, with their tier's higher penalty: app_queue then rings them
    only when no primary operator is free, which is what a standby tier means.
    """
    return [
        queue_add(
            q.name, operator.sip_interface, name=operator.id, penalty=operator.penalty, paused=True
        )
        for q in queues
        if operator.serves(q)
    ]


def make_ready(operator: Operator) -> list[AmiAction]:
    return [queue_pause(operator.sip_interface, paused=False)]


def pause(operator: Operator, reason: str) -> list[AmiAction]:
    return [queue_pause(operator.sip_interface, paused=True, reason=reason)]


def log_out(operator: Operator, queues: QueueSet) -> list[AmiAction]:
    return [queue_remove(q.name, operator.sip_interface) for q in queues if operator.serves(q)]


def call_in(operator: Operator, tier: Tier) -> list[AmiAction]:
    """Storm scaling: give a logged-in operator the penalty of `tier` (PRIMARY = take calls
    first); scaling back gives the standby penalty again."""
    return [queue_penalty(operator.sip_interface, TIER_PENALTY[tier])]
