"""The JSON API for machines and the console: live view, operators and their actions.

`GET /api/live` — per queue `waiting`, `longest_wait_s`, `operators` by state; per operator
`id`, `state`, `since`. `POST /api/operators/<id>/<action>` with action login, ready, pause
(JSON `{"reason": "…"}`), wrapup-done, standby or logout. Bad input gets a 4xx with a reason
and leaves state unchanged; Redis being down is a 503.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, jsonify, request

from routing.errors import RoutingError
from services.container import Services
from services.routing_service import OperatorAction, RoutingService
from store.live import LiveStateUnavailable
from store.operators_sql import SqlOperators
from store.tokens import Role, SqlTokens
from webhooks.api_auth import error, may_act_for, require

log = logging.getLogger(__name__)
STAFF = (Role.SUPERVISOR, Role.ADMIN)


def register(app: Flask, services: Services) -> None:
    app.extensions["helpline.tokens"] = SqlTokens(services.engine)
    routing: RoutingService | None = services.extras.get("routing")
    app.register_blueprint(blueprint(services, routing))


def blueprint(services: Services, routing: RoutingService | None) -> Blueprint:
    api = Blueprint("api", __name__, url_prefix="/api")
    operators = SqlOperators(services.engine)

    @api.get("/live")
    @require(Role.OPERATOR, *STAFF)
    def live() -> Any:
        if routing is None:
            return error(503, "live routing state is not available")
        try:
            view = routing.live_view()
        except LiveStateUnavailable as exc:
            return error(503, f"live state unavailable: {exc}")
        return jsonify(_with_iso_times(view))

    @api.get("/operators")
    @require(Role.OPERATOR, *STAFF)
    def list_operators() -> Any:
        return jsonify(
            [
                {
                    "id": op.id,
                    "name": op.name,
                    "tier": op.tier.value,
                    "languages": sorted(op.languages),
                    "companies": sorted(op.companies),
                }
                for op in operators.all()
            ]
        )

    @api.post("/operators/<operator_id>/<action>")
    @require(Role.OPERATOR, *STAFF)
    def operator_action(operator_id: str, action: str) -> Any:
        try:
            chosen = OperatorAction(action)
        except ValueError:
            known = ", ".join(a.value for a in OperatorAction)
            return error(404, f"unknown action {action!r} (known: {known})")
        if not may_act_for(operator_id):
            return error(403, "an operator token may act only for its own operator")
        body = request.get_json(silent=True) if request.data else {}
        if body is None or not isinstance(body, dict):
            return error(400, "the body must be a JSON object")
        reason = body.get("reason", "")
        if not isinstance(reason, str) or len(reason) > 80:
            return error(400, "reason must be text of at most 80 characters")
        if chosen is OperatorAction.PAUSE and not reason.strip():
            return error(400, 'pause needs a reason, e.g. {"reason": "tea break"}')
        if routing is None:
            return error(503, "live routing state is not available")
        try:
            result = routing.act(operator_id, chosen, reason.strip())
        except LiveStateUnavailable as exc:
            return error(503, f"live state unavailable: {exc}")
        except RoutingError as exc:
            return error(404, str(exc))
        if not result.ok:
            return error(
                409, result.message, state=result.status.state.value if result.status else None
            )
        status = result.status
        assert status is not None
        return jsonify(
            {
                "id": operator_id,
                "state": status.state.value,
                "since": _iso(status.since),
                "reason": status.reason,
                "caller": status.caller,
                "assigned": result.assignments,
            }
        )

    return api


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).isoformat()


def _with_iso_times(view: dict[str, Any]) -> dict[str, Any]:
    operators = view.get("operators", {})
    listed = []
    for op_id, data in operators.items():
        entry = {"id": op_id, **data}
        if isinstance(entry.get("since"), (int, float)):
            entry["since"] = _iso(entry["since"])
        listed.append(entry)
    return {**view, "operators": listed}
