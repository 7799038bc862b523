"""The fault-feed API and storm mode over JSON, plus the field teams' fault SMS.

- `POST /api/faults` (roles feed, supervisor, admin): one fault-status message
  (`outages.messages`: `report`, `update_etr`, `restore`). 201 when a fault is opened, 200 for
  an ETR change, a restoration, a message that changes nothing or a repeat of a processed
  message id (`"outcome": "duplicate"`); 422 with `errors` (field path + problem) for a bad
  message or an unknown asset; 409 for what contradicts the record (restore of an unknown
  fault). Nothing is stored on a 4xx.
- `GET /api/faults` (any staff or feed token; `?company=CZ`): the active faults.
- `GET /api/storm` (operator, supervisor, admin): per company the forecast, target, staffed
  operators, settings, and the last decisions.
- `POST /api/storm/override` (supervisor, admin): `{"company": "CZ"|"all", "mode":
  "auto"|"on"|"off", "target": N|null}`.
- `POST /api/storm/warning` (supervisor, admin): a weather warning, `{"company": "WZ"|"all",
  "from": "19:00", "until": "23:00", "level": "red"}` (or `"calls_per_hour"`; see
  `services.storm_warnings`); `DELETE /api/storm/warning?company=WZ|all` clears it.
`register` also puts the field teams' FAULT / ETR / RESTORED handler in the inbound-SMS chain.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, g, jsonify, request

from services.container import Services
from services.faults import FaultOutcome, FaultService
from services.field_faults_sms import FieldFaultSms
from services.storm_service import StormService, parse_override
from services.storm_warnings import companies_named, warning_json
from store.live import LiveStateUnavailable
from store.tokens import Role, SqlTokens
from webhooks import twilio_sms
from webhooks.api_auth import error, require

log = logging.getLogger(__name__)

_STATUS = {
    FaultOutcome.OPENED: 201,
    FaultOutcome.INVALID: 422,
    FaultOutcome.UNKNOWN_ASSET: 422,
    FaultOutcome.REJECTED: 409,
}


def register(app: Flask, services: Services) -> None:
    app.extensions.setdefault("helpline.tokens", SqlTokens(services.engine))
    faults: FaultService = services.extras["faults"]
    storm: StormService = services.extras["storm"]
    app.register_blueprint(blueprint(faults, storm))
    handler = FieldFaultSms(engine=services.engine, faults=faults,
                            templates=services.settings.sms_templates)  # fmt: skip
    twilio_sms.add_handler(app, handler)


def _actor() -> str:
    principal = g.principal
    return f"{principal.role.value}:{principal.label or principal.token_id}"


def blueprint(faults: FaultService, storm: StormService) -> Blueprint:
    api = Blueprint("faults_api", __name__, url_prefix="/api")

    @api.post("/faults")
    @require(Role.FEED, Role.SUPERVISOR, Role.ADMIN)
    def post_fault() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "the body must be a JSON object (Content-Type: application/json)")
        source = "feed" if g.principal.role is Role.FEED else "console"
        result = faults.submit(body, source=source, actor=_actor())
        response = jsonify(result.as_dict())
        response.status_code = _STATUS.get(result.outcome, 200)
        return response

    @api.get("/faults")
    @require(Role.FEED, Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
    def list_faults() -> Any:
        company = request.args.get("company") or None
        return jsonify({"faults": faults.active(company.upper() if company else None)})

    @api.get("/storm")
    @require(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN)
    def storm_status() -> Any:
        try:
            return jsonify(storm.status())
        except LiveStateUnavailable as exc:
            return error(503, f"live state unavailable: {exc}")

    @api.post("/storm/override")
    @require(Role.SUPERVISOR, Role.ADMIN)
    def storm_override() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "the body must be a JSON object")
        parsed = parse_override(body, actor=_actor())
        if isinstance(parsed, str):
            return error(422, parsed)
        companies, override = parsed
        for company in companies:
            storm.set_override(company, override, actor=_actor())
        return jsonify({"companies": [c.value for c in companies], "mode": override.mode.value,
                        "target": override.fixed_target})  # fmt: skip

    @api.post("/storm/warning")
    @require(Role.SUPERVISOR, Role.ADMIN)
    def storm_warning() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "the body must be a JSON object")
        parsed = storm.warn(body, actor=_actor())
        if isinstance(parsed, str):
            return error(422, parsed)
        companies, warning = parsed
        response = jsonify({"companies": [c.value for c in companies],
                            "warning": warning_json(warning)})  # fmt: skip
        response.status_code = 201
        return response

    @api.delete("/storm/warning")
    @require(Role.SUPERVISOR, Role.ADMIN)
    def clear_storm_warning() -> Any:
        chosen = companies_named(request.args.get("company") or "all")
        if isinstance(chosen, str):
            return error(422, chosen)
        for each in chosen:
            storm.set_warning(each, None, actor=_actor())
        return jsonify({"companies": [c.value for c in chosen], "warning": None})

    return api
