"""The field teams' side: a small mobile page per complaint, and their ACK/DONE SMS handler.

`GET /field/<token>` shows one complaint (docket, kind, consumer, address, supply point,
status, time limit) with buttons to mark it acknowledged or done, with remarks. The token is
the signed link from the dispatch SMS (`services.complaint_links`); it names the complaint and
its centre, and expires. The form posts the token back in a hidden field, which must equal the
one in the URL: there is no cookie to ride on, so another site cannot post for the team
(CSRF-safe without a session). A forged, altered or expired token gets 403. Responses are not
cached, not framed and send no referrer (the link is the credential). The same state changes
as the SMS are used (`ComplaintDesk.field_report_by_id`), so a page and an SMS racing on one
complaint change it once.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from flask import Blueprint, Flask, Response, render_template_string, request

from config.errors import ConfigError
from services.complaint_desk import ComplaintDesk, complaint_desk
from services.complaint_lifecycle import FieldAction, FieldOutcome
from services.complaint_links import FIELD_PAGE, FieldLinks, field_links
from services.field_sms_handler import FieldSmsHandler
from webhooks import twilio_sms

log = logging.getLogger(__name__)

MESSAGES = {
    FieldOutcome.ACKNOWLEDGED: "Acknowledged. Mark it done when fixed.",
    FieldOutcome.RESOLVED: "Recorded as resolved. Thank you.",
    FieldOutcome.ALREADY: "Nothing changed: the complaint is already {status}.",
    FieldOutcome.OTHER_CENTRE: "Refused: this complaint belongs to another centre.",
    FieldOutcome.NOT_FOUND: "This complaint no longer exists.",
}

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Complaint {{ card.docket }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;padding:1rem;max-width:32rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .8rem}
dt{color:#555} dd{margin:0;font-weight:600} textarea{width:100%;min-height:4rem;font-size:1rem}
button{font-size:1.1rem;padding:.8rem;margin:.5rem 0;width:100%;border:0;border-radius:.4rem}
.ack{background:#dde7f7} .done{background:#1e7d34;color:#fff}
.note{padding:.6rem;background:#fff3c4}
</style></head><body>
<h1>Complaint {{ card.docket }}</h1>
{% if message %}<p class="note" role="status">{{ message }}</p>{% endif %}
<dl>
<dt>Type</dt><dd>{{ card.kind }}</dd><dt>Consumer</dt><dd>{{ card.name }}</dd>
<dt>Address</dt><dd>{{ card.address }}</dd><dt>Supply</dt><dd>{{ card.supply }}</dd>
<dt>Registered</dt><dd>{{ card.registered }}</dd><dt>Due by</dt><dd>{{ card.deadline }}</dd>
<dt>Status</dt><dd>{{ card.status }}</dd>
</dl>
{% if card.status in ("open", "linked", "acknowledged") %}
<form method="post" action="{{ action }}">
<input type="hidden" name="token" value="{{ token }}">
<label for="remarks">Remarks</label>
<textarea id="remarks" name="remarks" maxlength="500"></textarea>
{% if card.status != "acknowledged" %}
<button class="ack" name="action" value="ack">Acknowledge (taken)</button>{% endif %}
<button class="done" name="action" value="done">Done (fixed)</button>
</form>
{% endif %}
</body></html>"""

REFUSED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not valid</title>
</head><body><p>This link is not valid or has expired. Use ACK / DONE by SMS, or ask for a new
link.</p></body></html>"""


def register(app: Flask, services: Any) -> None:
    """The field page and the field teams' SMS handler."""
    desk = complaint_desk(services)
    for kind in (
        "field_acknowledged",
        "field_resolved",
        "field_already",
        "field_other_centre",
        "field_not_found",
        "field_invalid",
        "field_form",
        "complaint_resolved",
        "field_reopened",
        "escalation",
    ):
        if kind not in services.settings.sms_templates:  # stop at start-up, not on an SMS
            raise ConfigError(f"helpline.toml: sms.{kind} is missing")
    twilio_sms.add_handler(
        app, FieldSmsHandler(services.engine, desk, services.settings.sms_templates)
    )
    app.register_blueprint(_blueprint(desk, field_links(services.settings)))


def _blueprint(desk: ComplaintDesk, links: FieldLinks) -> Blueprint:
    bp = Blueprint("field_page", __name__)

    def page(token: str, message: str = "", status: int = 200) -> Response:
        checked = links.check(token)
        card = desk.complaint_card(checked.complaint_id) if checked is not None else None
        if checked is None or card is None or card["dc_id"] != checked.dc_id:
            return _response(REFUSED, 403)
        html = render_template_string(
            PAGE, card=card, token=token, message=message, action=f"{FIELD_PAGE}/{token}"
        )
        return _response(html, status)

    @bp.get(f"{FIELD_PAGE}/<token>")
    def show(token: str) -> Response:
        return page(token)

    @bp.post(f"{FIELD_PAGE}/<token>")
    def update(token: str) -> Response:
        posted = request.form.get("token", "")
        checked = links.check(token)
        if checked is None or not hmac.compare_digest(posted.encode(), token.encode()):
            log.warning("field page: refused a post with a bad or missing token")
            return _response(REFUSED, 403)
        try:
            action = FieldAction(request.form.get("action", ""))
        except ValueError:
            return page(token, "Choose Acknowledge or Done.", 400)
        remarks = request.form.get("remarks", "").strip()[:500]
        result = desk.field_report_by_id(
            checked.complaint_id,
            action,
            dc_id=checked.dc_id,
            actor=f"field-page:dc{checked.dc_id}",
            remarks=remarks,
        )
        log.info("field page: %s %s -> %s", action.value, result.docket, result.outcome.value)
        return page(token, MESSAGES[result.outcome].format(status=result.status))

    return bp


def _response(html: str, status: int) -> Response:
    response = Response(html, status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
