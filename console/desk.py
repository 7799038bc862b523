"""The operator's desk: state buttons, the screen pop, the complaint form and its stream.

Views parse the form, call one service function and render. State changes go through
`RoutingService.act` (a refusal, e.g. pause while offline, is shown, not raised). The desk opens
an event stream of the operator's live status; when a call is routed to them the page fetches
the pop fragment. Every form works without JavaScript too (POST, then redirect back); the
page's script submits state changes in the background so a half-typed complaint stays.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from console.events import operator_status, stream
from console.security import EVERYONE, check_csrf, current_user, login_required
from routing.errors import RoutingError
from services.console_complaints import KIND_LABELS, add_note, check_form, register
from services.console_pop import consumer_card, screen_pop
from services.container import Services
from services.routing_service import OperatorAction
from store.live import LiveStateUnavailable
from store.operators_sql import SqlOperators

PAUSE_REASONS = (
    "Tea break / चाय",
    "Meal / भोजन",
    "Training / प्रशिक्षण",
    "Meeting / बैठक",
    "Technical problem / तकनीकी समस्या",
)
CALL_CONTROL = {"answer", "hangup"}  # for calls with no phone front-end (the terminal phone)


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console_desk", __name__, url_prefix="/console")
    bp.before_request(check_csrf)
    routing = services.extras.get("routing")

    def render_desk(status: int = 200, **extra: Any) -> Any:
        user = current_user()
        assert user is not None
        live = _status(services, routing, user.operator_id)
        call_id = (
            request.values.get("call") or request.values.get("call_id") or (live or {}).get("call")
        )
        pop = screen_pop(services, call_id, services.clock()) if call_id else None
        return render_template(
            "console/desk.html",
            live=live,
            pop=pop,
            operator=user.operator_id,
            reasons=PAUSE_REASONS,
            **_form_context(**extra),
        ), status

    def render_consumer(consumer_id: int, status: int = 200, **extra: Any) -> Any:
        card = consumer_card(services, consumer_id, services.clock())
        if not card:
            abort(404)
        return render_template(
            "console/consumer.html", pop={"call": None, **card}, **_form_context(**extra)
        ), status

    @bp.get("/desk")
    @login_required(*EVERYONE)
    def desk() -> Any:
        return render_desk()

    @bp.post("/desk/state")
    @login_required(*EVERYONE)
    def change_state() -> Any:
        user = current_user()
        assert user is not None
        message, code = _act(services, routing, user.operator_id, request.form)
        if request.headers.get("X-Requested-With"):
            body: dict[str, Any] = {"message": message}
            if routing is not None and user.operator_id:
                body |= {
                    "status": operator_status(
                        routing, user.operator_id, services.clock().timestamp()
                    )
                }
            return jsonify(body), code
        if message:
            flash(message, "error" if code >= 400 else "info")
        return redirect(url_for("console_desk.desk"))

    @bp.get("/desk/events")
    @login_required(*EVERYONE)
    def events() -> Any:
        user = current_user()
        assert user is not None
        if routing is None or not user.operator_id:
            abort(404)
        op = user.operator_id
        return stream(
            lambda: operator_status(routing, op, services.clock().timestamp()),
            name="status",
            every_s=0.25,
            lasts_s=current_app.config.get("CONSOLE_STREAM_S", 300.0),
        )

    @bp.get("/desk/pop/<call_id>")
    @login_required(*EVERYONE)
    def pop(call_id: str) -> Any:
        found = screen_pop(services, call_id, services.clock())
        return render_template("console/pop.html", pop=found, **_form_context())

    @bp.get("/consumer/<int:consumer_id>")
    @login_required(*EVERYONE)
    def consumer(consumer_id: int) -> Any:
        return render_consumer(consumer_id)

    @bp.post("/desk/complaint")
    @login_required(*EVERYONE)
    def complaint() -> Any:
        user = current_user()
        assert user is not None
        checked = check_form(request.form)
        back = _back(request.form)
        if checked.value is None:
            # Re-display the same page with the typed values and a message per field.
            again = {"form_values": request.form, "form_errors": checked.errors}
            raw = request.form.get("consumer_id", "")
            if raw.isdigit() and not request.form.get("call_id"):
                return render_consumer(int(raw), 400, **again)
            return render_desk(400, **again)
        company = _company(services, user.operator_id)
        summary = register(
            services,
            current_app.extensions["helpline.complaints"],
            checked.value,
            operator_id=user.operator_id or user.username,
            company=company,
            now=services.clock(),
        )
        session["registered"] = {
            "docket": summary["docket"],
            "kind": summary["kind"],
            "draft": request.form.get("draft_id", ""),
        }
        return redirect(back)

    @bp.post("/desk/complaint/note")
    @login_required(*EVERYONE)
    def note() -> Any:
        user = current_user()
        assert user is not None
        found, problem = add_note(
            services,
            request.form.get("docket", ""),
            request.form.get("note", ""),
            hazard=request.form.get("hazard") == "on",
            actor=user.operator_id or user.username,
            now=services.clock(),
        )
        if found is None:
            flash(problem, "error")
        else:
            session["registered"] = {
                "docket": found["docket"],
                "kind": found["kind"],
                "draft": request.form.get("draft_id", ""),
                "noted": True,
            }
        return redirect(_back(request.form))

    return bp


def _form_context(**extra: Any) -> dict[str, Any]:
    """What every complaint form needs: kinds, a request key, the last result, any errors."""
    values = extra.pop("form_values", None) or {}
    key = values.get("request_key") or secrets.token_urlsafe(18)
    return {
        "kinds": KIND_LABELS,
        "request_key": key,
        "form_values": values,
        "registered": session.pop("registered", None),
        "form_errors": extra.pop("form_errors", {}),
        **extra,
    }


def _back(form: Any) -> str:
    if (form.get("consumer_id") or "").isdigit() and not form.get("call_id"):
        return url_for("console_desk.consumer", consumer_id=int(form["consumer_id"]))
    call_id = form.get("call_id") or ""
    return url_for("console_desk.desk", call=call_id) if call_id else url_for("console_desk.desk")


def _status(services: Services, routing: Any, operator_id: str | None) -> dict[str, Any] | None:
    if routing is None or not operator_id:
        return None
    try:
        return operator_status(routing, operator_id, services.clock().timestamp())
    except LiveStateUnavailable as exc:
        return {"state": "unknown", "error": str(exc)}


def _company(services: Services, operator_id: str | None) -> str:
    operator = SqlOperators(services.engine).get(operator_id) if operator_id else None
    if operator is not None and len(operator.companies) == 1:
        return next(iter(operator.companies)).value
    return services.settings.default_company


def _act(services: Services, routing: Any, operator_id: str | None, form: Any) -> tuple[str, int]:
    """Carry out a state button; (message for the operator, HTTP status)."""
    if routing is None:
        return "Live routing is not available. / लाइव रूटिंग उपलब्ध नहीं।", 503
    if not operator_id:
        return "This login is not tied to an operator. / यह लॉगिन किसी ऑपरेटर से जुड़ा नहीं।", 400
    action = form.get("action", "")
    reason = (form.get("reason") or form.get("reason_other") or "").strip()
    now = services.clock().timestamp()
    try:
        if action in CALL_CONTROL:
            if not _reported_by_nobody(services, routing, operator_id, now):
                return (
                    "The phone system reports answers and hang-ups for this call. / "
                    "यह फ़ोन सिस्टम स्वयं बताता है।"
                ), 409
            live = routing.live
            done = (
                live.answered(operator_id, now)
                if action == "answer"
                else live.call_ended(operator_id, now)
            )
            message = getattr(done, "message", "")
            return (message, 409) if message else ("", 200)
        try:
            chosen = OperatorAction(action)
        except ValueError:
            return f"Unknown action {action!r}.", 400
        if chosen is OperatorAction.PAUSE and not reason:
            return "Choose a reason to pause. / विराम का कारण चुनें।", 400
        if len(reason) > 80:
            return "The reason may have at most 80 characters.", 400
        result = routing.act(operator_id, chosen, reason)
    except LiveStateUnavailable as exc:
        return f"Live state unavailable: {exc}", 503
    except RoutingError as exc:
        return str(exc), 404
    return (result.message, 409) if not result.ok else ("", 200)


def _reported_by_nobody(services: Services, routing: Any, operator_id: str, now: float) -> bool:
    """Only a terminal-phone call has no front-end to report its answer and hang-up."""
    member = routing.live.operator_status(operator_id, now).caller or ""
    kind, _, call_id = member.partition(":")
    session = services.calls.current(call_id) if kind == "call" else None
    return session is not None and session.channel == "terminal"
