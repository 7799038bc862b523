"""Mirroring Asterisk's queues into our live state and call records (the ports and the applier).

In Asterisk mode app_queue decides who answers; we only follow it, so the console, wallboard,
wait estimates and storm controller see the same picture as in Twilio mode. `QueueMirror.apply`
takes one fact from `dialplans.events` and calls the ports below; it is synchronous (the ports
do blocking Redis and SQL work) and is run off the event loop, in order per call and per member
(`dialplans.ami.OrderedDispatcher`). The ports are `Protocol`s so the live state adapter
(`store.live_routing.RedisLiveState`, via a thin adapter) and the call records plug in without
this module knowing Redis or SQL. A port that fails is logged with the call id; the mirror goes
on with the next fact.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from dialplans.events import (
    CallerAbandoned,
    CallerJoined,
    CallerLeft,
    DeviceState,
    Fact,
    Garbage,
    MemberRemoved,
    MemberState,
    OperatorConnected,
    OperatorFinished,
    OperatorMissed,
    OperatorRung,
    OriginateDone,
    WaitingEntry,
)

log = logging.getLogger(__name__)


class Presence(StrEnum):
    """An operator's standing as seen from queue membership."""

    READY = "ready"
    PAUSED = "paused"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class OperatorPresence:
    operator_id: str
    presence: Presence
    reason: str | None


def presence_of(state: MemberState) -> Presence:
    """Unreachable devices count as logged out; otherwise paused or ready.

    >>> from dialplans.events import DeviceState, MemberState
    >>> presence_of(MemberState("q", "PJSIP/a", "a", DeviceState.UNAVAILABLE, False, "", 0))
    <Presence.OFFLINE: 'offline'>
    """
    if state.device in (DeviceState.INVALID, DeviceState.UNAVAILABLE):
        return Presence.OFFLINE
    return Presence.PAUSED if state.paused else Presence.READY


class LiveQueues(Protocol):
    """What the mirror needs from the routing live state (float epoch seconds)."""

    def caller_waiting(self, call_id: str, queue: str, priority: int, now: float) -> object: ...

    def caller_dequeued(self, call_id: str, now: float) -> object:
        """Out of the waiting list without abandoning (taken by an operator, or timed out
        towards an overflow queue); nothing if the caller is not waiting."""

    def caller_abandoned(self, call_id: str, now: float) -> object: ...

    def operator_offered(
        self, operator_id: str, call_id: str, queue: str, now: float
    ) -> object: ...

    def operator_missed(self, operator_id: str, now: float) -> object: ...

    def operator_answered(self, operator_id: str, now: float) -> object: ...

    def operator_finished(self, operator_id: str, now: float) -> object: ...

    def operator_presence(
        self, operator_id: str, presence: Presence, reason: str | None, now: float
    ) -> object: ...

    def resynchronise(
        self, operators: Sequence[OperatorPresence], callers: Sequence[WaitingEntry], now: float
    ) -> object:
        """Replace the Asterisk-mode picture after a reconnect: who is logged in (and paused)
        and who waits where; anything not listed is no longer there."""


class QueueCallLog(Protocol):
    """What the mirror writes into the call records."""

    def priority_of(self, call_id: str) -> int | None: ...

    def joined(self, call_id: str, queue: str, at: datetime) -> None: ...

    def answered(
        self, call_id: str, operator_id: str | None, wait_s: int, at: datetime
    ) -> None: ...

    def finished(self, call_id: str, talk_s: int, at: datetime) -> None: ...

    def abandoned(self, call_id: str, wait_s: int, at: datetime) -> None: ...


class OperatorDirectory(Protocol):
    def operator_for(self, interface: str) -> str | None: ...


class OriginateListener(Protocol):
    def originate_finished(self, done: OriginateDone) -> None: ...


class QueueMirror:
    """Applies facts to the ports; keeps only the last presence seen per member."""

    def __init__(
        self,
        *,
        operators: OperatorDirectory,
        clock: Callable[[], datetime],
        live: LiveQueues | None = None,
        calls: QueueCallLog | None = None,
        originates: OriginateListener | None = None,
    ) -> None:
        self._operators = operators
        self._clock = clock
        self._live = live
        self._calls = calls
        self._originates = originates
        self._presence: dict[str, tuple[Presence, str | None]] = {}
        self.applied = 0

    def apply(self, fact: Fact) -> None:
        """Apply one fact; a failing port is logged and skipped, never raised."""
        try:
            self._apply(fact, self._clock())
            self.applied += 1
        except Exception:
            log.exception("AMI fact %s could not be applied", fact)

    def _apply(self, fact: Fact, at: datetime) -> None:
        now = at.timestamp()
        live, calls = self._live, self._calls
        match fact:
            case CallerJoined(call_id=call_id, queue=queue):
                priority = (calls.priority_of(call_id) if calls else None) or 0
                if live:
                    live.caller_waiting(call_id, queue, priority, now)
                if calls:
                    calls.joined(call_id, queue, at)
            case CallerLeft(call_id=call_id):
                if live:
                    live.caller_dequeued(call_id, now)
            case CallerAbandoned(call_id=call_id, wait_s=wait_s):
                if live:
                    live.caller_abandoned(call_id, now)
                if calls:
                    calls.abandoned(call_id, wait_s, at)
            case OperatorRung() | OperatorMissed() | OperatorConnected() | OperatorFinished():
                self._operator_call(fact, at)
            case MemberState():
                self._member(fact, now)
            case MemberRemoved(interface=interface):
                self._presence_changed(interface, Presence.OFFLINE, None, now)
            case OriginateDone():
                if self._originates:
                    self._originates.originate_finished(fact)
            case Garbage(event=event, reason=reason):
                log.warning("AMI sent an unusable %s event: %s", event or "(unnamed)", reason)
            case _:
                pass

    def _operator_call(
        self,
        fact: OperatorRung | OperatorMissed | OperatorConnected | OperatorFinished,
        at: datetime,
    ) -> None:
        operator_id = self._operator(fact.interface)
        now = at.timestamp()
        live, calls = self._live, self._calls
        if isinstance(fact, OperatorConnected) and calls:
            calls.answered(fact.call_id, operator_id, fact.wait_s, at)
        if isinstance(fact, OperatorFinished) and calls:
            calls.finished(fact.call_id, fact.talk_s, at)
        if operator_id is None or live is None:
            return
        if isinstance(fact, OperatorRung):
            live.operator_offered(operator_id, fact.call_id, fact.queue, now)
        elif isinstance(fact, OperatorMissed):
            live.operator_missed(operator_id, now)
        elif isinstance(fact, OperatorConnected):
            live.operator_answered(operator_id, now)
        else:
            live.operator_finished(operator_id, now)

    def _member(self, state: MemberState, now: float) -> None:
        presence = presence_of(state)
        reason = (state.reason or None) if presence is Presence.PAUSED else None
        self._presence_changed(state.interface, presence, reason, now)

    def _presence_changed(
        self, interface: str, presence: Presence, reason: str | None, now: float
    ) -> None:
        # Member events repeat per queue and on every device change (ringing, in use): only a
        # change of presence is news for the live state.
        if self._presence.get(interface) == (presence, reason):
            return
        self._presence[interface] = (presence, reason)
        operator_id = self._operator(interface)
        if operator_id is not None and self._live is not None:
            self._live.operator_presence(operator_id, presence, reason, now)

    def _operator(self, interface: str) -> str | None:
        operator_id = self._operators.operator_for(interface)
        if operator_id is None:
            log.warning("AMI: queue member %s is not an operator we know", interface)
        return operator_id

    def resynchronise(self, facts: Sequence[Fact]) -> None:
        """After a (re)connect: the `QueueStatus` listing replaces what we believed."""
        at = self._clock()
        presences: dict[str, OperatorPresence] = {}
        callers = [f for f in facts if isinstance(f, WaitingEntry)]
        self._presence.clear()
        for fact in facts:
            if not isinstance(fact, MemberState):
                continue
            operator_id = self._operators.operator_for(fact.interface)
            presence = presence_of(fact)
            self._presence[fact.interface] = (presence, fact.reason or None)
            if operator_id is not None:
                reason = (fact.reason or None) if presence is Presence.PAUSED else None
                presences[operator_id] = OperatorPresence(operator_id, presence, reason)
        if self._live is not None:
            try:
                self._live.resynchronise(list(presences.values()), callers, at.timestamp())
            except Exception:
                log.exception("AMI resynchronisation could not be applied")
        log.info(
            "AMI resynchronised: %d operators, %d waiting callers", len(presences), len(callers)
        )
