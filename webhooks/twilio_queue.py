"""Waiting for an operator on Twilio: `<Enqueue>`, the wait announcements, callbacks, and the
hand-over of a caller to the operator our ACD chose.

The queue desk (`QueueDesk`, one per application) and its routes (`blueprint`). A caller waits
in the Twilio queue named like ours; each wait visit joins them to the routing live state, runs
an assignment round and announces their position, the estimated wait, the fault news for their
supply and, when the wait is long, a callback offer (`webhooks.twilio_queue_waiting`). An
assignment dequeues the caller by REST to a `<Dial>` of the chosen operator
(`webhooks.twilio_queue_dispatch`); the operator leg's status callbacks move the operator to
on-call and then wrap-up, and a ring-no-answer puts the caller back at the same place
(`webhooks.twilio_queue_operator_leg`). A callback's turn dials the consumer by REST; an
unanswered one is parked for its next try, or given up with a record and an SMS
(`webhooks.twilio_queue_callbacks`). The parts share one `DeskContext`; the ports, URLs and
the `Waiting` value live in `webhooks.twilio_queue_ports` and are re-exported here. The live
state is a port (`LiveQueue`, which `store.live_routing.RedisLiveState` fits); without it, or
without REST credentials, callers still queue and hear Twilio's own position, but nobody is
dequeued. Whatever fails, every route answers with valid TwiML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, Response, request
from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Enqueue
from routing.acd import Action, PlaceCallback
from webhooks.twilio_queue_callbacks import CallbackDialler, Pacer
from webhooks.twilio_queue_dispatch import Dispatcher
from webhooks.twilio_queue_operator_leg import OperatorLeg
from webhooks.twilio_queue_ports import (
    CALLBACK,
    CALLBACK_ANSWERED,
    CALLBACK_STATUS,
    CONNECT,
    DIALED,
    LIVE_ERRORS,
    NOT_PLACED,
    OPERATOR,
    POLL_S,
    RESULT,
    RETRY_DIAL,
    WAIT,
    CallLog,
    DeskContext,
    LiveQueue,
    Waiting,
    e164,
    form_int,
)
from webhooks.twilio_queue_waiting import WaitingRoom
from webhooks.twiml import TwimlRenderer

__all__ = [
    "CALLBACK",
    "CALLBACK_ANSWERED",
    "CALLBACK_STATUS",
    "CONNECT",
    "DIALED",
    "LIVE_ERRORS",
    "NOT_PLACED",
    "OPERATOR",
    "POLL_S",
    "RESULT",
    "RETRY_DIAL",
    "WAIT",
    "CallLog",
    "ErrorHandler",
    "LiveQueue",
    "Pacer",
    "QueueDesk",
    "Waiting",
    "blueprint",
    "e164",
    "form_int",
]

ErrorHandler = Callable[[Exception], Response]


class QueueDesk:
    """Queue TwiML and the operator hand-over; one per application."""

    def __init__(
        self,
        *,
        renderer: TwimlRenderer,
        services: Any,
        call_log: CallLog,
        live: LiveQueue | None,
        rest: Any | None,
        pace_s: float = 1.0,
    ) -> None:
        ctx = DeskContext(
            renderer, services, call_log, live, rest, services.settings.public_base_url
        )
        self._callbacks = CallbackDialler(ctx, Pacer(pace_s))
        self._dispatcher = Dispatcher(ctx, self._callbacks)
        self._room = WaitingRoom(ctx, self._dispatcher)
        self._operator = OperatorLeg(ctx, self._room, self._dispatcher)

    # --- joining and waiting ------------------------------------------------------------------

    def enqueue(self, response: VoiceResponse, who: Waiting) -> None:
        """`<Enqueue>` into the Twilio queue of the same name as ours."""
        self._room.enqueue(response, who)

    def enqueue_command(
        self, response: VoiceResponse, command: Enqueue, language: str, call_id: str
    ) -> None:
        """`<Enqueue>` for the IVR's `Enqueue` command."""
        self._room.enqueue_command(response, command, language, call_id)

    def wait(self, who: Waiting, form: Mapping[str, str]) -> VoiceResponse:
        """One visit of the wait URL: join the live queue, assign, announce, offer, pause."""
        return self._room.wait(who, form)

    def callback(self, who: Waiting, digits: str) -> VoiceResponse:
        """The caller answered the callback offer; on 1 they become a callback (or keep the one
        they have) and leave."""
        return self._room.callback(who, digits)

    def left(self, who: Waiting, result: str) -> VoiceResponse:
        """The `<Enqueue action>`: record how the caller left the queue, and what next."""
        return self._room.left(who, result)

    # --- hand-over to an operator -------------------------------------------------------------

    def dispatch(self, now: float) -> list[Action]:
        """Run an assignment round and dequeue each Twilio caller to their operator."""
        return self._dispatcher.dispatch(now)

    def execute(self, action: Action, now: float) -> bool:
        """Carry out an assignment if the caller is on Twilio (its id is a CallSid), and every
        callback (they are asked for on the Twilio wait page)."""
        return self._dispatcher.execute(action, now)

    def connect(self, who: Waiting, operator_id: str, callback: str = "") -> VoiceResponse:
        """TwiML for a dequeued caller, or an answered callback (`callback` = consumer id):
        `<Dial>` the operator, with status callbacks."""
        return self._operator.connect(who, operator_id, callback)

    def dialed(
        self, who: Waiting, operator_id: str, status: str, callback: str = ""
    ) -> VoiceResponse:
        """The `<Dial action>`: after a talk the call ends; an unanswered ring requeues."""
        return self._operator.dialed(who, operator_id, status, callback)

    def operator_status(
        self, call_id: str, operator_id: str, status: str, duration: int | None
    ) -> None:
        """Status callback of the operator's leg: answered → on call; completed → wrap-up."""
        self._operator.status(call_id, operator_id, status, duration)

    # --- callbacks ----------------------------------------------------------------------------

    def place_callback(self, action: PlaceCallback, now: float) -> None:
        """Dial the consumer for the reserved operator (or drop the callback if we cannot)."""
        self._callbacks.place(action, now)

    def callback_status(
        self, call_id: str, operator_id: str, consumer_id: str, status: str
    ) -> None:
        """The callback leg's final status. Unanswered, or hung up before the operator
        answered: the operator is freed and the callback tried again later, or given up."""
        self._callbacks.status(call_id, operator_id, consumer_id, status)


def blueprint(desk: QueueDesk, on_error: ErrorHandler) -> Blueprint:
    """The queue routes; `on_error` turns any failure into valid TwiML (never a 500)."""
    bp = Blueprint("twilio_queue", __name__)
    _caller_routes(bp, desk)
    _operator_routes(bp, desk)
    bp.register_error_handler(Exception, on_error)
    return bp


def _waiting() -> Waiting:
    """The caller of this request, from its form (CallSid) and our URL's query."""
    return Waiting(
        request.form.get("CallSid", ""),
        request.args["queue"],
        int(request.args.get("priority", "0")),
        request.args.get("lang", "hi"),
    )


def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _caller_routes(bp: Blueprint, desk: QueueDesk) -> None:
    """The routes of the waiting caller's own call: wait visits, the offer, the queue result."""

    @bp.post(WAIT)
    def wait() -> Response:
        return _twiml(desk.wait(_waiting(), request.form))

    @bp.post(CALLBACK)
    def callback() -> Response:
        return _twiml(desk.callback(_waiting(), request.form.get("Digits", "")))

    @bp.post(RESULT)
    def result() -> Response:
        return _twiml(desk.left(_waiting(), request.form.get("QueueResult", "")))


def _operator_routes(bp: Blueprint, desk: QueueDesk) -> None:
    """The routes of the hand-over: connect, callback legs, the dial result, the operator leg."""

    @bp.post(CONNECT)
    def connect() -> Response:
        return _twiml(desk.connect(_waiting(), request.args["op"]))

    @bp.post(CALLBACK_ANSWERED)
    def callback_answered() -> Response:
        return _twiml(desk.connect(_waiting(), request.args["op"], request.args["cb"]))

    @bp.post(CALLBACK_STATUS)
    def callback_status() -> Response:
        desk.callback_status(
            request.form.get("CallSid", ""),
            request.args["op"],
            request.args["cb"],
            request.form.get("CallStatus", ""),
        )
        return _twiml(VoiceResponse())

    @bp.post(DIALED)
    def dialed() -> Response:
        status = request.form.get("DialCallStatus", "")
        args = request.args
        return _twiml(desk.dialed(_waiting(), args["op"], status, args.get("cb", "")))

    @bp.post(OPERATOR)
    def operator() -> Response:
        desk.operator_status(
            request.args["call"],
            request.args["op"],
            request.form.get("CallStatus", ""),
            form_int(request.form.get("CallDuration")),
        )
        return _twiml(VoiceResponse())
