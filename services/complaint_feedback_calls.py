"""Running the `feedback` flow on a placed feedback call, through the same engine as 1912 calls.

A front-end that places or answers a feedback call first binds the carrier's call id to the
feedback call (`bind_feedback_call`, kept in Redis for a day), then drives the call with the
`CallService` from `feedback_call_service(services)`, exactly like a 1912 call. The flow's one
lookup (`feedback_context`: the docket to speak of, via the binding) and one record
(`feedback_answer`) are answered here; the caller's remembered language is shared with 1912
calls. The flow is checked against these handlers when the service is built.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import redis

from ivr.commands import Lookup, Record
from ivr.errors import FlowError
from ivr.session import Session
from services.calls import CallService
from services.complaint_desk import ComplaintDesk, complaint_desk
from services.records import check_flow_handlers
from store.call_sessions import RedisCallSessions
from store.live import LiveStateUnavailable

FLOW = "feedback"
_PREFIX = "h1912:feedback-call:"
_BINDING_TTL_S = 24 * 3600


class FeedbackBindings:
    """Which feedback call a carrier call id belongs to."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def bind(self, call_id: str, feedback_id: int) -> None:
        try:
            self._redis.set(_PREFIX + call_id, str(int(feedback_id)), ex=_BINDING_TTL_S)
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc

    def feedback_id(self, call_id: str) -> int | None:
        try:
            raw = self._redis.get(_PREFIX + call_id)
        except redis.RedisError as exc:
            raise LiveStateUnavailable(str(exc)) from exc
        return int(raw) if raw else None


class FeedbackRecords:
    """The feedback flow's lookup and record; call records are those of the 1912 records."""

    def __init__(self, calls: Any, desk: ComplaintDesk, bindings: FeedbackBindings) -> None:
        self._calls = calls
        self._desk = desk
        self._bindings = bindings
        self.lookups: dict[str, Callable[[Mapping[str, Any], Session, datetime], Any]] = {
            "feedback_context": self._context,
        }
        self.records: dict[str, Callable[[Record, Session, datetime], Any]] = {
            "feedback_answer": self._answer,
        }

    def answer(self, command: Lookup | Record, session: Session, now: datetime) -> Any:
        if isinstance(command, Lookup):
            return self.lookups[command.name](dict(command.args), session, now)
        return self.records[command.name](command, session, now)

    def _context(self, _args: Mapping[str, Any], session: Session, _now: datetime) -> Any:
        feedback_id = self._bindings.feedback_id(session.call_id)
        return None if feedback_id is None else self._desk.feedback_context(feedback_id)

    def _answer(self, cmd: Record, session: Session, _now: datetime) -> Any:
        args = dict(cmd.args)
        if args.get("feedback") is None:
            return {"recorded": False}
        return self._desk.record_feedback(
            int(args["feedback"]),
            str(args["answer"]),
            actor=f"feedback-call:{session.call_id}"[:60],
        )

    # The caller's remembered language is shared with 1912 calls. Feedback calls leave no
    # `calls` row (that table is the inbound traffic the wallboard and reports count); their
    # record is the `feedback_calls` row.
    def remembered_language(self, caller: str) -> str | None:
        return self._calls.remembered_language(caller)  # type: ignore[no-any-return]

    def remember_language(self, number: str, language: str, now: datetime) -> None:
        self._calls.remember_language(number, language, now)

    def call_started(self, call_id: str, *, caller: str, channel: str, now: datetime) -> None:
        pass

    def call_ended(self, session: Session, now: datetime) -> None:
        pass


def feedback_call_service(services: Any) -> CallService:
    """The call service running the `feedback` flow (built once per process)."""
    built = services.extras.get("feedback_calls")
    if built is not None:
        return built  # type: ignore[no-any-return]
    flow = services.flows.get(FLOW)
    if flow is None:
        raise FlowError(f"flows: {FLOW}.toml is missing; feedback calls need it")
    bindings = FeedbackBindings(services.redis)
    records = FeedbackRecords(services.records, complaint_desk(services), bindings)
    check_flow_handlers(flow, records)  # type: ignore[arg-type]
    service = CallService(
        flow=flow,
        records=records,  # type: ignore[arg-type]
        sessions=RedisCallSessions(services.redis, ttl_s=services.settings.session_ttl_s),
        clock=services.clock,
        default_language=flow.default_language,
    )
    services.extras["feedback_calls"] = service
    services.extras["feedback_bindings"] = bindings
    return service


def bind_feedback_call(services: Any, call_id: str, feedback_id: int) -> None:
    """Tie a carrier call id to the feedback call it was placed for (before its first turn)."""
    feedback_call_service(services)
    services.extras["feedback_bindings"].bind(call_id, feedback_id)
