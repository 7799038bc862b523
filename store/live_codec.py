"""How the routing live state writes its values into Redis and reads them back.

Pure conversions, no I/O: queue members (``call:<CallSid>`` or ``callback:<consumer>``), an
operator's status hash (the fields in :data:`STATUS_FIELDS`, numbers as ``repr`` text so a
float survives the round trip, an absent value as the empty string), an operator's profile hash,
and the tab/newline packing the snapshot script answers with. An id may not hold a tab or a
newline, since the scripts pack members with them; :func:`member_of` refuses one with a
:class:`RoutingError`. Redis may answer bytes or text; both read the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from routing.acd import CallerKind, WaitingCaller
from routing.errors import RoutingError
from routing.operators import Operator, OperatorState, OperatorStatus, Tier
from routing.queues import Company, Language, decode_score

STATUS_FIELDS = ("state", "since", "reason", "calls", "last_end", "wrap_until", "caller", "queue")


def member_of(kind: CallerKind, ident: str) -> str:
    """The queue member naming a call id or, for a callback, a consumer id."""
    if "\t" in ident or "\n" in ident:  # the snapshot script packs members with these
        raise RoutingError(f"an id may not hold a tab or newline: {ident!r}")
    return f"{kind.value}:{ident}"


def caller_of(member: str, queue: str, score: float) -> WaitingCaller:
    """The waiting caller a queue member stands for, with its priority and join time."""
    kind, _, ident = member.partition(":")
    priority, joined = decode_score(score)
    return WaitingCaller(ident, CallerKind(kind), queue, priority, joined)


def text(value: Any) -> str:
    """A Redis reply as text (bytes decoded)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def lines(packed: Any) -> list[str]:
    """The lines of a packed script reply; none for an empty one."""
    unpacked = text(packed)
    return unpacked.split("\n") if unpacked else []


def optional_float(raw: str) -> float | None:
    return float(raw) if raw else None


def status_of(fields: Sequence[Any]) -> OperatorStatus:
    """An operator status from the hash fields in ``STATUS_FIELDS`` order."""
    state, since, reason, calls, last_end, wrap_until, caller, queue = (
        "" if value is None else text(value) for value in fields
    )
    return OperatorStatus(
        state=OperatorState(state or OperatorState.OFFLINE.value),
        since=float(since or 0.0),
        reason=reason or None,
        calls_taken=int(calls or 0),
        last_call_end=optional_float(last_end),
        wrapup_until=optional_float(wrap_until),
        caller=caller or None,
        queue=queue or None,
    )


def status_fields(status: OperatorStatus) -> dict[Any, Any]:
    """The hash fields that store an operator status."""

    def number(value: float | None) -> str:
        return "" if value is None else repr(value)

    return {
        "state": status.state.value,
        "since": repr(status.since),
        "reason": status.reason or "",
        "calls": str(status.calls_taken),
        "last_end": number(status.last_call_end),
        "wrap_until": number(status.wrapup_until),
        "caller": status.caller or "",
        "queue": status.queue or "",
    }


def profile_fields(operator: Operator) -> dict[Any, Any]:
    """The hash fields that store an operator's profile (who they are and what they serve)."""
    return {
        "id": operator.id,
        "name": operator.name,
        "phone": operator.phone,
        "sip": operator.sip_interface,
        "languages": ",".join(sorted(operator.languages)),
        "companies": ",".join(sorted(operator.companies)),
        "tier": operator.tier.value,
    }


def profile_of(raw: Sequence[Any]) -> Operator:
    """An operator's profile from its flattened hash (field, value, field, value…)."""
    fields = {text(raw[i]): text(raw[i + 1]) for i in range(0, len(raw), 2)}
    return Operator(
        id=fields["id"],
        name=fields["name"],
        phone=fields["phone"],
        sip_interface=fields["sip"],
        languages=frozenset(Language(x) for x in fields["languages"].split(",") if x),
        companies=frozenset(Company(x) for x in fields["companies"].split(",") if x),
        tier=Tier(fields["tier"]),
    )
