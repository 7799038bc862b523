"""Operators and the state machine of their shift.

An :class:`Operator` is the static profile (skills, tier); an :class:`OperatorStatus` is where
the operator stands now. Every change goes through :func:`transition`, which consults the
single table :data:`TRANSITIONS` and answers either the new status or a :class:`Rejected`
value (a rejected click is an ordinary outcome, not an error). Wrap-up ends by itself:
:func:`settle` evaluates it lazily against ``now``, so no timer is needed. Times are float
epoch seconds, always passed in. Pure: stdlib only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from routing.queues import Company, Language, QueueDefinition


class Tier(StrEnum):
    """Storm pools: primary operators take calls first, standby tiers are called in by need."""

    PRIMARY = "primary"
    STANDBY_1 = "standby-1"
    STANDBY_2 = "standby-2"


# Asterisk member penalty per tier: lower penalties are offered calls first.
TIER_PENALTY: dict[Tier, int] = {Tier.PRIMARY: 0, Tier.STANDBY_1: 1, Tier.STANDBY_2: 2}


@dataclass(frozen=True, slots=True)
class Operator:
    """Who an operator is and what they can answer."""

    id: str
    name: str
    phone: str  # E.164, dialled through Twilio
    sip_interface: str  # Asterisk interface, e.g. "PJSIP/op101"
    languages: frozenset[Language]
    companies: frozenset[Company]
    tier: Tier = Tier.PRIMARY

    @property
    def penalty(self) -> int:
        return TIER_PENALTY[self.tier]

    def serves(self, queue: QueueDefinition) -> bool:
        """True if the operator's skills cover the queue (company, and language if it has one)."""
        if queue.company not in self.companies:
            return False
        return queue.language is None or queue.language in self.languages


class OperatorState(StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    RINGING = "ringing"
    ON_CALL = "on-call"
    WRAP_UP = "wrap-up"
    PAUSED = "paused"
    STANDBY = "standby"


@dataclass(frozen=True, slots=True)
class OperatorStatus:
    """An operator's live state, with what the strategies need (calls taken, last call end)."""

    state: OperatorState
    since: float
    reason: str | None = None  # why paused
    calls_taken: int = 0
    last_call_end: float | None = None
    wrapup_until: float | None = None
    caller: str | None = None  # the caller offered or being served
    queue: str | None = None  # that caller's queue


# ------------------------------------------------------------------------------ events


@dataclass(frozen=True, slots=True)
class LoggedIn:
    pass


@dataclass(frozen=True, slots=True)
class LoggedOut:
    pass


@dataclass(frozen=True, slots=True)
class MadeReady:
    pass


@dataclass(frozen=True, slots=True)
class Paused:
    reason: str


@dataclass(frozen=True, slots=True)
class StoodBy:
    pass


@dataclass(frozen=True, slots=True)
class Offered:
    caller: str
    queue: str


@dataclass(frozen=True, slots=True)
class Answered:
    pass


@dataclass(frozen=True, slots=True)
class NotAnswered:
    pass


@dataclass(frozen=True, slots=True)
class CallerLeft:
    pass


@dataclass(frozen=True, slots=True)
class HungUp:
    wrapup_s: int


OperatorEvent = (
    LoggedIn
    | LoggedOut
    | MadeReady
    | Paused
    | StoodBy
    | Offered
    | Answered
    | NotAnswered
    | CallerLeft
    | HungUp
)

NO_ANSWER_REASON = "no answer"

# The rules, in one place:
# - A call is offered only to a READY operator (wrap-up that has run out counts as READY, see
#   `settle`); never to one who is paused, standing by, ringing, busy or offline.
# - A ringing operator either answers (ON_CALL), does not (PAUSED "no answer", so a missing
#   operator stops being offered calls), or loses the caller (back to READY).
# - An operator with a caller (RINGING, ON_CALL) cannot log out, pause or stand by: the call
#   must end first. A call ends into WRAP_UP.
# - STANDBY is a logged-in operator of a storm pool, not taking calls until made ready.
TRANSITIONS: dict[OperatorState, dict[type[OperatorEvent], OperatorState]] = {
    OperatorState.OFFLINE: {LoggedIn: OperatorState.READY, StoodBy: OperatorState.STANDBY},
    OperatorState.READY: {
        Offered: OperatorState.RINGING,
        Paused: OperatorState.PAUSED,
        StoodBy: OperatorState.STANDBY,
        LoggedOut: OperatorState.OFFLINE,
    },
    OperatorState.RINGING: {
        Answered: OperatorState.ON_CALL,
        NotAnswered: OperatorState.PAUSED,
        CallerLeft: OperatorState.READY,
    },
    OperatorState.ON_CALL: {HungUp: OperatorState.WRAP_UP},
    OperatorState.WRAP_UP: {
        MadeReady: OperatorState.READY,
        Paused: OperatorState.PAUSED,
        LoggedOut: OperatorState.OFFLINE,
    },
    OperatorState.PAUSED: {
        MadeReady: OperatorState.READY,
        StoodBy: OperatorState.STANDBY,
        LoggedOut: OperatorState.OFFLINE,
    },
    OperatorState.STANDBY: {MadeReady: OperatorState.READY, LoggedOut: OperatorState.OFFLINE},
}


@dataclass(frozen=True, slots=True)
class Rejected:
    """A transition the table does not allow; the status is unchanged."""

    state: OperatorState
    event: str
    message: str


def settle(status: OperatorStatus, now: float) -> OperatorStatus:
    """The status as of ``now``: a wrap-up whose time has run out has become READY."""
    until = status.wrapup_until
    if status.state is OperatorState.WRAP_UP and until is not None and until <= now:
        return replace(
            status,
            state=OperatorState.READY,
            since=until,
            wrapup_until=None,
            caller=None,
            queue=None,
        )
    return status


def is_available(status: OperatorStatus, now: float) -> bool:
    """True if a call may be offered to the operator at ``now``."""
    return settle(status, now).state is OperatorState.READY


def transition(
    status: OperatorStatus, event: OperatorEvent, now: float
) -> OperatorStatus | Rejected:
    """Apply ``event`` at ``now`` if the table allows it from the (settled) current state."""
    current = settle(status, now)
    target = TRANSITIONS[current.state].get(type(event))
    if target is None:
        name = type(event).__name__
        return Rejected(current.state, name, f"{name} is not allowed while {current.state.value}")
    return _enter(current, target, event, now)


def _enter(
    status: OperatorStatus, target: OperatorState, event: OperatorEvent, now: float
) -> OperatorStatus:
    base = replace(status, state=target, since=now, reason=None, wrapup_until=None)
    match event:
        case Offered(caller=caller, queue=queue):
            return replace(base, caller=caller, queue=queue)
        case Answered():
            return base
        case HungUp(wrapup_s=wrapup_s):
            return replace(
                base,
                calls_taken=status.calls_taken + 1,
                last_call_end=now,
                wrapup_until=now + wrapup_s,
            )
        case Paused(reason=reason):
            return replace(base, reason=reason, caller=None, queue=None)
        case NotAnswered():
            return replace(base, reason=NO_ANSWER_REASON, caller=None, queue=None)
        case _:
            return replace(base, caller=None, queue=None)
