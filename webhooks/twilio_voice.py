"""The Twilio voice front-end: the number's Voice URL, the IVR turns and the call status callback.

`POST /twilio/voice` (the number's Voice URL) starts the IVR for the `CallSid`; every later URL
comes from the TwiML we return. A `<Gather>` posts to `/twilio/voice/gather?turn=N` and its
no-input `<Redirect>` to `/twilio/voice/silence?turn=N`; the turn number makes a retried or
duplicated request re-render the current prompt (CallService) instead of advancing, so a
complaint is never registered twice. `POST /twilio/voice/status` (the number's status callback)
completes the call record (`webhooks.twilio_call_records`). Twilio never gets a 500: any
failure, including an unreachable Redis, is logged with the CallSid and answered with an
apology and the default company's general queue for the call's language. `register` also
installs the signature check and the queue routes (`webhooks.twilio_queue`).
"""

from __future__ import annotations

import logging
import tomllib
from typing import Any

from flask import Blueprint, Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Gather, Param, ParamKind, Say
from ivr.events import CallerHungUp, DigitsEntered, NoInput
from ivr.session import Session
from routing.queues import choose_queue
from services.calls import TurnResult
from webhooks import twilio_queue, twilio_security
from webhooks.twilio_call_records import TwilioCallRecords
from webhooks.twilio_queue import LIVE_ERRORS, QueueDesk, Waiting
from webhooks.twiml import TurnUrls, TwimlRenderer, Voices, link, load_prompt_audio

log = logging.getLogger(__name__)

VOICE, GATHER = "/twilio/voice", "/twilio/voice/gather"
SILENCE, STATUS = "/twilio/voice/silence", "/twilio/voice/status"
CALLBACK_STATUS = twilio_queue.CALLBACK_STATUS  # a status callback: no TwiML to re-route
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


class VoiceFront:
    """Turns → TwiML, the fallback, and the call status; one per application."""

    def __init__(
        self, services: Any, renderer: TwimlRenderer, desk: QueueDesk, call_log: TwilioCallRecords
    ) -> None:
        self._services = services
        self._render = renderer
        self.desk = desk
        self._log = call_log
        self._base = services.settings.public_base_url
        self.last_resort_queue, _ = choose_queue(
            services.queues,
            company=services.settings.default_company,
            language=services.calls.flow.default_language,
            hazard=False,
        )

    def twiml(self, call_id: str, result: TurnResult | None) -> VoiceResponse:
        if result is None:
            log.warning("call %s: no IVR session (expired or unknown); to an operator", call_id)
            return self.fallback(call_id)
        session = result.session
        if not result.commands and session.ended:
            return self._ending(session)  # a retried last request: say where the call went
        return self._render.turn(
            result.commands,
            self._services.local_now(),
            urls=lambda gather: self._turn_urls(gather),
            enqueue=lambda resp, cmd: self.desk.enqueue_command(
                resp, cmd, session.language, call_id
            ),
        )

    def _turn_urls(self, gather: Gather) -> TurnUrls:
        return TurnUrls(
            link(self._base, GATHER, turn=gather.turn), link(self._base, SILENCE, turn=gather.turn)
        )

    def _ending(self, session: Session) -> VoiceResponse:
        """A request for a call whose IVR part is over (a retry whose answer was lost): say
        again what matters — the docket, or the queue — rather than just hanging up."""
        response = VoiceResponse()
        detail = session.outcome.detail if session.outcome else {}
        now = self._services.local_now()
        if detail.get("docket"):
            docket = Param("docket", ParamKind.DIGITS, str(detail["docket"]))
            self._render.say(response, Say("docket_repeat", session.language, (docket,)), now)
        if session.outcome and session.outcome.kind == "queued" and detail.get("queue"):
            who = Waiting(
                session.call_id,
                str(detail["queue"]),
                int(detail.get("priority", 0)),
                session.language,
            )
            self.desk.enqueue(response, who)
        else:
            if detail.get("docket"):
                self._render.say(response, Say("goodbye", session.language), now)
            response.hangup()
        return response

    def fallback(self, call_id: str | None) -> VoiceResponse:
        """Apology, then the default company's general queue in the call's language."""
        services = self._services
        language = services.calls.flow.default_language
        try:
            session = services.calls.current(call_id) if call_id else None
            language = session.language if session else language
        except Exception:  # Redis down: the default language will do
            pass
        queue, priority = choose_queue(
            services.queues,
            company=services.settings.default_company,
            language=language,
            hazard=False,
        )
        response = VoiceResponse()
        self._render.say(response, Say("apology", language), services.local_now())
        self.desk.enqueue(response, Waiting(call_id or "", queue, priority, language))
        return response

    def status(self, call_id: str, status: str, duration: int | None) -> None:
        """The caller's call ended: close the IVR session, leave the queue, complete the row."""
        if status not in FINAL_STATUSES:
            return
        services = self._services
        try:
            services.calls.handle(call_id, CallerHungUp())
            live = services.extras.get("live_queue")
            if live is not None:
                live.caller_left(call_id, services.clock().timestamp())
        except LIVE_ERRORS as exc:  # the record below still completes
            log.warning("call %s: live state unreachable at hang-up: %s", call_id, exc)
        self._log.call_completed(call_id, duration, services.clock())


def register(app: Flask, services: Any) -> None:
    """Signature check, voice routes and queue routes."""
    settings = services.settings
    twilio_security.install(app, settings)
    catalogue = services.catalogue
    prompts = tomllib.loads((settings.config_dir / "prompts.toml").read_text(encoding="utf-8"))
    renderer = TwimlRenderer(
        catalogue,
        Voices(settings.twilio_voice_hi, settings.twilio_voice_en),
        load_prompt_audio(prompts, settings.prompt_audio_url),
    )
    for pid in (
        "apology",
        "queue_position",
        "queue_wait",
        "queue_wait_long",
        "queue_hold",
        "callback_offer",
        "callback_confirmed",
        "callback_connecting",
        "queue_full",
        "connecting_operator",
        "docket_repeat",
    ):
        catalogue.text(pid, "hi")  # a missing prompt stops start-up, not a live call
    call_log = TwilioCallRecords(services.engine)
    desk = QueueDesk(
        renderer=renderer,
        services=services,
        call_log=call_log,
        live=services.extras.get("live_queue"),
        rest=services.extras.get("twilio_rest"),
    )
    front = VoiceFront(services, renderer, desk, call_log)
    routing = services.extras.get("routing")
    if routing is not None:
        routing.add_executor(desk.execute)
    app.extensions["helpline.twilio_voice"] = front
    app.extensions["helpline.twilio_error_handler"] = _error_handler(front)
    app.register_blueprint(_blueprint(services, front))
    app.register_blueprint(twilio_queue.blueprint(desk, _error_handler(front)))


def _blueprint(services: Any, front: VoiceFront) -> Blueprint:
    bp = Blueprint("twilio_voice", __name__)
    calls = services.calls

    def reply(response: VoiceResponse) -> Response:
        return Response(str(response), mimetype="text/xml")

    @bp.post(VOICE)
    def incoming() -> Response:
        call_id = request.form["CallSid"]
        log.info("call %s: incoming", call_id)
        return reply(
            front.twiml(call_id, calls.start(call_id, request.form.get("From", ""), "twilio"))
        )

    def once(step: str, event: Any) -> Response:
        # The answer is rendered inside the call's turn and stored with it: a retried webhook
        # hears exactly the answer that was lost (the docket read-out included).
        call_id = request.form["CallSid"]
        body = calls.handle_once(
            call_id, event, turn=_turn(), request=f"{step}{_turn()}",
            render=lambda result: str(front.twiml(call_id, result)),
        )  # fmt: skip
        return Response(body, mimetype="text/xml")

    @bp.post(GATHER)
    def gathered() -> Response:
        digits = request.form.get("Digits", "")
        return once(f"g{digits}:", DigitsEntered(digits) if digits else NoInput())

    @bp.post(SILENCE)
    def silence() -> Response:
        return once("s", NoInput())

    @bp.post(STATUS)
    def status() -> Response:
        front.status(
            request.form["CallSid"],
            request.form.get("CallStatus", ""),
            twilio_queue.form_int(request.form.get("CallDuration")),
        )
        return reply(VoiceResponse())

    bp.register_error_handler(Exception, _error_handler(front))
    return bp


def _turn() -> int | None:
    raw = request.args.get("turn", "")
    return int(raw) if raw.isdigit() else None


def _error_handler(front: VoiceFront) -> twilio_queue.ErrorHandler:
    def handle(exc: Exception) -> Response:
        call_id = request.form.get("CallSid")
        log.exception(
            "call %s: %s %s failed; answering with the fallback",
            call_id or "-",
            request.method,
            request.path,
            exc_info=exc,
        )
        if request.path in (twilio_queue.WAIT, STATUS, twilio_queue.OPERATOR, CALLBACK_STATUS):
            response = VoiceResponse()  # wait music or a callback: nothing to re-route
            if request.path == twilio_queue.WAIT:
                response.pause(length=twilio_queue.POLL_S)
        else:
            try:
                response = front.fallback(call_id)
            except Exception:  # even the fallback failed: Twilio's own hold music will do
                log.exception("call %s: fallback failed too", call_id or "-")
                response = VoiceResponse()
                response.enqueue(front.last_resort_queue)
        return Response(str(response), mimetype="text/xml")

    return handle
