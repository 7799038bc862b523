"""The Twilio voice webhooks of an outbound feedback call, running the `feedback` flow.

The call is placed by `services.complaint_dialling.TwilioFeedbackDialler` with
`url=/twilio/feedback?feedback=<id>` and `statusCallback=/twilio/feedback/status?feedback=<id>`.
When the consumer answers, Twilio fetches the first URL: the call id is bound to the feedback
call and the flow starts, through the same engine and TwiML renderer as a 1912 call. Each
`<Gather>` posts to `/twilio/feedback/gather?turn=N` and its no-input `<Redirect>` goes to
`/twilio/feedback/silence?turn=N` (a retried request re-renders, never advances twice). The
status callback ends the IVR session and, for a call nobody answered, counts an unanswered
attempt (retry or give up). Every route is under `/twilio/`, so the signature check covers it;
a failure is logged and answered with a polite hang-up, never a 500.
"""

from __future__ import annotations

import logging
import tomllib
from typing import Any

from flask import Blueprint, Flask, Response, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.commands import Enqueue, Gather
from ivr.events import CallerHungUp, DigitsEntered, NoInput
from services.calls import CallService, TurnResult
from services.complaint_desk import ComplaintDesk, complaint_desk
from services.complaint_dialling import FEEDBACK_PATH, FEEDBACK_STATUS_PATH
from services.complaint_feedback_calls import bind_feedback_call, feedback_call_service
from webhooks import twilio_security
from webhooks.twiml import TurnUrls, TwimlRenderer, Voices, link, load_prompt_audio

log = logging.getLogger(__name__)

GATHER, SILENCE = FEEDBACK_PATH + "/gather", FEEDBACK_PATH + "/silence"
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def register(app: Flask, services: Any) -> None:
    settings = services.settings
    twilio_security.install(app, settings)
    prompts = tomllib.loads((settings.config_dir / "prompts.toml").read_text(encoding="utf-8"))
    renderer = TwimlRenderer(
        services.catalogue,
        Voices(settings.twilio_voice_hi, settings.twilio_voice_en),
        load_prompt_audio(prompts, settings.prompt_audio_url),
    )
    calls = feedback_call_service(services)  # checks the flow at start-up
    app.register_blueprint(_blueprint(services, calls, renderer, complaint_desk(services)))


def _blueprint(
    services: Any, calls: CallService, renderer: TwimlRenderer, desk: ComplaintDesk
) -> Blueprint:
    bp = Blueprint("twilio_feedback", __name__)
    base = services.settings.public_base_url

    def urls(gather: Gather) -> TurnUrls:
        return TurnUrls(link(base, GATHER, turn=gather.turn), link(base, SILENCE, turn=gather.turn))

    def reply(result: TurnResult | None) -> Response:
        response = VoiceResponse()
        if result is not None and result.commands:
            response = renderer.turn(
                result.commands, services.local_now(), urls=urls, enqueue=_no_queue
            )
        elif result is None or result.session.ended:
            response.hangup()  # an unknown call, or a retried last request
        return Response(str(response), mimetype="text/xml")

    @bp.post(FEEDBACK_PATH)
    def answered() -> Response:
        call_id = request.form["CallSid"]
        feedback_id = _feedback_id()
        if feedback_id is None:
            log.warning("feedback call %s: no feedback id in the URL; hanging up", call_id)
            return reply(None)
        bind_feedback_call(services, call_id, feedback_id)
        log.info("feedback call %s: answered (feedback %s)", call_id, feedback_id)
        return reply(calls.start(call_id, request.form.get("To", ""), "twilio"))

    @bp.post(GATHER)
    def gathered() -> Response:
        call_id, digits = request.form["CallSid"], request.form.get("Digits", "")
        event = DigitsEntered(digits) if digits else NoInput()
        return reply(calls.handle(call_id, event, turn=_turn()))

    @bp.post(SILENCE)
    def silence() -> Response:
        return reply(calls.handle(request.form["CallSid"], NoInput(), turn=_turn()))

    @bp.post(FEEDBACK_STATUS_PATH)
    def status() -> Response:
        call_id, state = request.form.get("CallSid", ""), request.form.get("CallStatus", "")
        feedback_id = _feedback_id()
        if state in FINAL_STATUSES:
            if call_id:
                calls.handle(call_id, CallerHungUp())
            if feedback_id is not None:
                after = desk.feedback_call_ended(feedback_id, state)
                log.info(
                    "feedback call %s: %s (feedback %s -> %s)",
                    call_id or "-",
                    state,
                    feedback_id,
                    after or "unchanged",
                )
        return Response(str(VoiceResponse()), mimetype="text/xml")

    @bp.errorhandler(Exception)
    def failed(exc: Exception) -> Response:
        log.exception(
            "feedback call %s: %s failed; hanging up politely",
            request.form.get("CallSid", "-"),
            request.path,
            exc_info=exc,
        )
        response = VoiceResponse()
        if request.path != FEEDBACK_STATUS_PATH:
            response.hangup()
        return Response(str(response), mimetype="text/xml")

    return bp


def _no_queue(response: VoiceResponse, command: Enqueue) -> None:
    """The feedback flow has no queue; a flow that asks for one is ended instead."""
    log.error("feedback flow asked to enqueue into %s; hanging up", command.queue)
    response.hangup()


def _feedback_id() -> int | None:
    raw = request.args.get("feedback", "")
    return int(raw) if raw.isdigit() else None


def _turn() -> int | None:
    raw = request.args.get("turn", "")
    return int(raw) if raw.isdigit() else None
