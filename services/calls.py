"""Running one call turn: load the session, step the engine, carry out lookups and records.

`CallService.handle` takes an event for a call and returns the caller-facing commands (say,
gather, enqueue, hangup). `Lookup` and `Record` commands never leave this module: they are
answered here (from SQL) and the answer fed back into the engine at once. Writes are
committed before the engine gets their result, so a docket is in the database before any
front-end can speak it. Turns of one call are serialised by a Redis lock
(`store.call_sessions`: lock and session in one round trip, session and answer stored and the
lock released in another); a turn number that does not match the session's (a retried
webhook) re-renders the current prompt instead of advancing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ivr.commands import Command, Enqueue, Gather, Lookup, Record
from ivr.engine import new_session, step
from ivr.events import CallStarted, Event, RepeatRequested, ResultReturned
from ivr.flow import Flow
from ivr.session import Session
from services.call_log import CallLog
from services.records import CallRecords
from store.call_sessions import CallTurn

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TurnResult:
    session: Session
    commands: tuple[Command, ...]

    @property
    def gather(self) -> Gather | None:
        last = self.commands[-1] if self.commands else None
        return last if isinstance(last, Gather) else None

    @property
    def enqueue(self) -> Enqueue | None:
        return next((c for c in self.commands if isinstance(c, Enqueue)), None)


class CallService:
    def __init__(
        self,
        *,
        flow: Flow,
        sessions: Any,
        records: CallRecords,
        clock: Callable[[], datetime],
        default_language: str = "hi",
        call_log: CallLog | None = None,
    ) -> None:
        self._flow = flow
        self._sessions = sessions
        self._records = records
        self._log: CallLog = records if call_log is None else call_log
        self._clock = clock
        self._default_language = default_language

    def with_call_log(self, call_log: CallLog) -> CallService:
        """The same service (flow, sessions, records) putting its call records in `call_log`."""
        return CallService(
            flow=self._flow,
            sessions=self._sessions,
            records=self._records,
            clock=self._clock,
            default_language=self._default_language,
            call_log=call_log,
        )

    @property
    def flow(self) -> Flow:
        return self._flow

    def start(self, call_id: str, caller: str, channel: str) -> TurnResult:
        """A new call (or a repeated start of the same call, which re-renders)."""
        with self._sessions.turn(call_id) as opened:
            if opened.session is not None:
                return self._turn(opened, opened.session, RepeatRequested())
            language = self._records.remembered_language(caller) or self._default_language
            session = new_session(call_id, caller=caller, channel=channel, language=language)
            self._log.call_started(call_id, caller=caller, channel=channel, now=self._clock())
            return self._turn(opened, session, CallStarted(caller, channel, language))

    def handle(self, call_id: str, event: Event, *, turn: int | None = None) -> TurnResult | None:
        """Feed an event to a call; None when the call is unknown (expired or never started)."""
        with self._sessions.turn(call_id) as opened:
            return self._advance(opened, event, turn)

    def handle_once(
        self,
        call_id: str,
        event: Event,
        *,
        turn: int | None,
        request: str,
        render: Callable[[TurnResult | None], str],
    ) -> str:
        """`handle` for a front-end whose requests may be retried (Twilio): the answer is
        rendered within the turn and stored with the session, so a retry of `request` gets
        exactly the answer that was lost (a docket read-out included), never a later step."""
        with self._sessions.turn(call_id, request=request) as opened:
            if opened.reply is not None:
                log.info("call %s: repeated request %s; same answer", call_id, request)
                return str(opened.reply)
            text = render(self._advance(opened, event, turn))
            opened.keep_reply(text)
            return text

    def _advance(self, opened: CallTurn, event: Event, turn: int | None) -> TurnResult | None:
        session = opened.session
        if session is None:
            return None
        if turn is not None and turn != session.turn:
            log.info("call %s: input for turn %s at turn %s, repeating", session.call_id, turn,
                     session.turn)  # fmt: skip
            return self._turn(opened, session, RepeatRequested())
        return self._turn(opened, session, event)

    def current(self, call_id: str) -> Session | None:
        found: Session | None = self._sessions.load(call_id)
        return found

    def _turn(self, opened: CallTurn, session: Session, event: Event) -> TurnResult:
        before = session
        now = self._clock()
        session, commands = step(self._flow, session, event, now)
        out: list[Command] = []
        while commands and isinstance(commands[-1], (Lookup, Record)):
            out.extend(commands[:-1])
            pending = commands[-1]
            value = self._records.answer(pending, session, now)
            session, commands = step(self._flow, session, ResultReturned(pending.name, value), now)
        out.extend(commands)
        opened.save(session)
        self._after(before, session, now)
        return TurnResult(session, tuple(out))

    def _after(self, before: Session, after: Session, now: datetime) -> None:
        # The call started in the remembered language (or the default): a choice that keeps
        # it is not written again.
        if after.language != before.language and before.awaiting.value != "start":
            self._log.remember_language(after.caller, after.language, now)
        if after.ended and not before.ended:
            self._log.call_ended(after, now)


def summarise(session: Session) -> Mapping[str, Any]:
    consumer = session.vars.get("consumer") or {}
    return {
        "call_id": session.call_id,
        "caller": session.caller,
        "language": session.language,
        "node": session.node,
        "consumer": consumer,
        "outcome": session.outcome.describe() if session.outcome else None,
    }
