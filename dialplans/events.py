"""AMI messages translated into queue facts: a pure table, one AMI message in, one fact out.

The rules of the table:

- Input is one AMI message as a mapping of header to value, as panoramisk parses it. Output is
  exactly one frozen fact. Nothing here does I/O, logs or reads the clock.
- An event the table does not list becomes `Ignored(name)`: Asterisk sends far more than we
  use (Newexten, VarSet...). A listed event that lacks a field we need, or carries a malformed
  number or a repeated header, becomes `Garbage(event, reason)`: the peer's fault, for the
  caller to log; translation never raises.
- Caller facts are keyed by the caller channel's `Uniqueid`, which is the `agi_uniqueid` the
  FastAGI server used as our call id, so queue events meet the call the IVR handled.
- Member facts are keyed by the member's interface. `QueueStatus` list entries call the member
  `Name`/`Location`; member events call it `MemberName`/`Interface`. Both spellings are read
  here and nowhere else.
- Times: `HoldTime`, `TalkTime` and `Wait` are seconds; `RingTime` of `AgentRingNoAnswer` is
  milliseconds (as Asterisk 22 sends it), of `AgentConnect` seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

Fields = Mapping[str, Any]


class DeviceState(IntEnum):
    """`Status` of a queue member (Asterisk's device states)."""

    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8


class OriginateResult(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no-answer"
    BUSY = "busy"
    CONGESTION = "congestion"
    FAILED = "failed"


# OriginateResponse `Reason` is the last control frame Asterisk saw on the outbound channel.
_ORIGINATE_REASONS = {
    4: OriginateResult.ANSWERED,
    3: OriginateResult.NO_ANSWER,
    5: OriginateResult.BUSY,
    8: OriginateResult.CONGESTION,
}


@dataclass(frozen=True, slots=True)
class CallerJoined:
    call_id: str
    queue: str
    position: int
    channel: str


@dataclass(frozen=True, slots=True)
class CallerLeft:
    """Left the waiting list: answered, timed out or gone (abandon comes as its own fact)."""

    call_id: str
    queue: str


@dataclass(frozen=True, slots=True)
class CallerAbandoned:
    call_id: str
    queue: str
    wait_s: int


@dataclass(frozen=True, slots=True)
class OperatorRung:
    call_id: str
    queue: str
    interface: str


@dataclass(frozen=True, slots=True)
class OperatorMissed:
    call_id: str
    queue: str
    interface: str
    ring_ms: int


@dataclass(frozen=True, slots=True)
class OperatorConnected:
    call_id: str
    queue: str
    interface: str
    wait_s: int


@dataclass(frozen=True, slots=True)
class OperatorFinished:
    call_id: str
    queue: str
    interface: str
    wait_s: int
    talk_s: int
    ended_by: str  # caller | agent | transfer


@dataclass(frozen=True, slots=True)
class MemberState:
    """A member's standing in one queue (member events and `QueueStatus` entries alike)."""

    queue: str
    interface: str
    name: str
    device: DeviceState
    paused: bool
    reason: str
    penalty: int


@dataclass(frozen=True, slots=True)
class MemberRemoved:
    queue: str
    interface: str


@dataclass(frozen=True, slots=True)
class WaitingEntry:
    """A caller listed by `QueueStatus` (resynchronisation)."""

    call_id: str
    queue: str
    position: int
    priority: int
    wait_s: int
    channel: str


@dataclass(frozen=True, slots=True)
class OriginateDone:
    action_id: str
    result: OriginateResult
    call_id: str | None


@dataclass(frozen=True, slots=True)
class ListComplete:
    """The end of an action's event list (`QueueStatusComplete`...)."""

    action_id: str


@dataclass(frozen=True, slots=True)
class Ignored:
    event: str


@dataclass(frozen=True, slots=True)
class Garbage:
    event: str
    reason: str


Fact = (
    CallerJoined
    | CallerLeft
    | CallerAbandoned
    | OperatorRung
    | OperatorMissed
    | OperatorConnected
    | OperatorFinished
    | MemberState
    | MemberRemoved
    | WaitingEntry
    | OriginateDone
    | ListComplete
    | Ignored
    | Garbage
)


class _Missing(Exception):
    """Internal: a required header is absent or malformed (becomes `Garbage`)."""


def _text(m: Fields, *names: str) -> str:
    for name in names:
        value = m.get(name)
        if isinstance(value, str) and value:
            return value
        if value is not None and not isinstance(value, str):
            raise _Missing(f"{name}: repeated header")
    raise _Missing(f"{'/'.join(names)}: missing")


def _int(m: Fields, name: str, default: int | None = None) -> int:
    value = m.get(name)
    if value in (None, "") and default is not None:
        return default
    try:
        return int(str(value))
    except ValueError:
        raise _Missing(f"{name}: not a number: {value!r}") from None


def _member(m: Fields) -> MemberState:
    return MemberState(
        queue=_text(m, "Queue"),
        interface=_text(m, "Interface", "Location"),
        name=str(m.get("MemberName") or m.get("Name") or ""),
        device=_device(_int(m, "Status", 0)),
        paused=_int(m, "Paused", 0) == 1,
        reason=str(m.get("PausedReason") or ""),
        penalty=_int(m, "Penalty", 0),
    )


def _device(code: int) -> DeviceState:
    try:
        return DeviceState(code)
    except ValueError:  # a state newer than this table: treat as unknown, not as garbage
        return DeviceState.UNKNOWN


def _originate(m: Fields) -> OriginateDone:
    succeeded = m.get("Response") == "Success"
    reason = _int(m, "Reason", 0)
    result = _ORIGINATE_REASONS.get(reason, OriginateResult.FAILED)
    if not succeeded and result is OriginateResult.ANSWERED:
        result = OriginateResult.FAILED
    unique = m.get("Uniqueid")
    call_id = unique if isinstance(unique, str) and unique and unique != "<unknown>" else None
    return OriginateDone(_text(m, "ActionID"), result, call_id)


# The table: event name -> how to read it. Keep it the one place that knows AMI field names.
TABLE: dict[str, Callable[[Fields], Fact]] = {
    "QueueCallerJoin": lambda m: CallerJoined(
        _text(m, "Uniqueid"), _text(m, "Queue"), _int(m, "Position", 0), _text(m, "Channel")
    ),
    "QueueCallerLeave": lambda m: CallerLeft(_text(m, "Uniqueid"), _text(m, "Queue")),
    "QueueCallerAbandon": lambda m: CallerAbandoned(
        _text(m, "Uniqueid"), _text(m, "Queue"), _int(m, "HoldTime", 0)
    ),
    "AgentCalled": lambda m: OperatorRung(
        _text(m, "Uniqueid"), _text(m, "Queue"), _text(m, "Interface")
    ),
    "AgentRingNoAnswer": lambda m: OperatorMissed(
        _text(m, "Uniqueid"), _text(m, "Queue"), _text(m, "Interface"), _int(m, "RingTime", 0)
    ),
    "AgentConnect": lambda m: OperatorConnected(
        _text(m, "Uniqueid"), _text(m, "Queue"), _text(m, "Interface"), _int(m, "HoldTime", 0)
    ),
    "AgentComplete": lambda m: OperatorFinished(
        _text(m, "Uniqueid"),
        _text(m, "Queue"),
        _text(m, "Interface"),
        _int(m, "HoldTime", 0),
        _int(m, "TalkTime", 0),
        str(m.get("Reason") or "caller"),
    ),
    "QueueMemberStatus": _member,
    "QueueMemberPause": _member,
    "QueueMemberAdded": _member,
    "QueueMember": _member,  # a QueueStatus list entry: Name/Location
    "QueueMemberRemoved": lambda m: MemberRemoved(
        _text(m, "Queue"), _text(m, "Interface", "Location")
    ),
    "QueueEntry": lambda m: WaitingEntry(
        _text(m, "Uniqueid"),
        _text(m, "Queue"),
        _int(m, "Position", 0),
        _int(m, "Priority", 0),
        _int(m, "Wait", 0),
        _text(m, "Channel"),
    ),
    "OriginateResponse": _originate,
    "QueueStatusComplete": lambda m: ListComplete(_text(m, "ActionID")),
}


def translate(message: Fields) -> Fact:
    """One AMI message to one fact; never raises.

    >>> translate({"Event": "QueueCallerAbandon", "Uniqueid": "17.3", "Queue": "CZ-hi",
    ...            "HoldTime": "6"})
    CallerAbandoned(call_id='17.3', queue='CZ-hi', wait_s=6)
    >>> translate({"Event": "AgentCalled", "Queue": "CZ-hi"})
    Garbage(event='AgentCalled', reason='Uniqueid: missing')
    >>> translate({"Event": "Newexten"})
    Ignored(event='Newexten')
    """
    event = message.get("Event")
    if not isinstance(event, str) or not event:
        return Garbage("", "not an event")
    reader = TABLE.get(event)
    if reader is None:
        return Ignored(event)
    try:
        return reader(message)
    except _Missing as problem:
        return Garbage(event, str(problem))


def ordering_key(fact: Fact) -> str:
    """Facts with the same key must be applied in arrival order (one call, one member).

    >>> ordering_key(CallerLeft("17.3", "CZ-hi")), ordering_key(MemberRemoved("q", "PJSIP/a"))
    ('call:17.3', 'member:PJSIP/a')
    """
    call_id = getattr(fact, "call_id", None)
    if isinstance(call_id, str) and call_id and not isinstance(fact, OriginateDone):
        return f"call:{call_id}"
    interface = getattr(fact, "interface", None)
    if isinstance(interface, str):
        return f"member:{interface}"
    return f"other:{type(fact).__name__}"
