"""Administrator pages: queues (applied live), operators and tiers, console logins, audit log.

Administrators only. Every form re-displays with a message per field when a value is refused;
a save against values someone else changed meanwhile is refused as stale (queues by version,
operators by a fingerprint of the values the form showed). Each saved change is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from console.security import check_csrf, current_user, login_required
from routing.operators import Tier
from routing.queues import Company, Language, Strategy
from services import console_operators, console_queues
from services.console_faults import audit_entries
from services.container import Services
from services.users import UserError, UserRole

ADMIN = UserRole.ADMIN


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console_admin", __name__, url_prefix="/console/admin")
    bp.before_request(check_csrf)

    def actor() -> str:
        user = current_user()
        return user.username if user else "?"

    @bp.get("/")
    @login_required(ADMIN)
    def index() -> Any:
        return render_template("console/admin_index.html", audit=audit_entries(services, limit=15))

    @bp.get("/queues")
    @login_required(ADMIN)
    def queues() -> Any:
        return render_template(
            "console/admin_queues.html",
            queues=list(services.queues),
            versions=console_queues.stored_versions(services),
        )

    def render_queue(name: str, status: int = 200, **extra: Any) -> Any:
        if name not in services.queues:
            abort(404)
        queue = services.queues[name]
        values = extra.pop("values", None) or console_queues.as_table(queue)
        version = extra.pop("version", None)
        if version is None:
            version = console_queues.stored_versions(services).get(name, 0)
        return render_template(
            "console/admin_queue.html",
            queue=queue,
            values=values,
            version=version,
            strategies=[s.value for s in Strategy],
            errors=extra.pop("errors", {}),
            **extra,
        ), status

    @bp.get("/queues/<name>")
    @login_required(ADMIN)
    def queue(name: str) -> Any:
        return render_queue(name)

    @bp.post("/queues/<name>")
    @login_required(ADMIN)
    def save_queue(name: str) -> Any:
        raw_version = request.form.get("version", "")
        if not raw_version.isdigit():
            abort(400, description="the form has no version: reload the page")
        result = console_queues.save(
            services,
            name,
            request.form,
            version=int(raw_version),
            actor=actor(),
            now=services.clock(),
        )
        if not result.ok:
            return render_queue(
                name,
                409 if "" in result.errors else 400,
                values=dict(request.form),
                version=int(raw_version),
                errors=result.errors,
            )
        note = f" {result.asterisk}." if result.asterisk else ""
        flash(f"Queue {name} saved (version {result.version}); the ACD uses it now.{note}", "info")
        return redirect(url_for("console_admin.queue", name=name))

    @bp.get("/operators")
    @login_required(ADMIN)
    def operators() -> Any:
        routing = services.extras.get("routing")
        states = {}
        if routing is not None:
            try:
                states = {k: v["state"] for k, v in routing.live_view()["operators"].items()}
            except Exception:  # the list is useful without live states
                states = {}
        return render_template(
            "console/admin_operators.html",
            operators=console_operators.rows(services),
            states=states,
        )

    def render_operator(operator_id: str, status: int = 200, **extra: Any) -> Any:
        found = console_operators.row(services, operator_id)
        if found is None:
            abort(404)
        shown = {**found, **extra.pop("values", {})}
        return render_template(
            "console/admin_operator.html",
            op=shown,
            seen=extra.pop("seen", console_operators.fingerprint(found)),
            tiers=[x.value for x in Tier],
            languages=[x.value for x in Language],
            companies=[x.value for x in Company],
            errors=extra.pop("errors", {}),
            **extra,
        ), status

    @bp.get("/operators/<operator_id>")
    @login_required(ADMIN)
    def operator(operator_id: str) -> Any:
        return render_operator(operator_id)

    @bp.post("/operators/<operator_id>")
    @login_required(ADMIN)
    def save_operator(operator_id: str) -> Any:
        values, errors = console_operators.parse(request.form)
        seen = request.form.get("seen", "")
        if errors:
            return render_operator(operator_id, 400, values=values, seen=seen, errors=errors)
        problem = console_operators.save(
            services, operator_id, values, seen=seen, actor=actor(), now=services.clock()
        )
        if problem:
            return render_operator(operator_id, 409, values=values, seen=seen, errors={"": problem})
        flash(f"Operator {operator_id} saved.", "info")
        return redirect(url_for("console_admin.operator", operator_id=operator_id))

    @bp.route("/users", methods=["GET", "POST"])
    @login_required(ADMIN)
    def users() -> Any:
        from console.security import users as sql_users

        error, form = None, {}
        if request.method == "POST":
            form = dict(request.form)
            error = _add_user(services, sql_users(), request.form, actor())
            if error is None:
                flash(f"Login {request.form.get('username', '')} created.", "info")
                return redirect(url_for("console_admin.users"))
        return render_template(
            "console/admin_users.html",
            users=sql_users().all(),
            roles=[r.value for r in UserRole],
            error=error,
            form=form,
        ), 400 if error else 200

    @bp.get("/audit")
    @login_required(ADMIN)
    def audit() -> Any:
        return render_template("console/admin_audit.html", entries=audit_entries(services))

    return bp


def _add_user(services: Services, sql_users: Any, form: Any, actor: str) -> str | None:
    from sqlalchemy import insert

    from store import schema as t

    try:
        role = UserRole(form.get("role", ""))
    except ValueError:
        return "choose a role"
    if form.get("password", "") != form.get("password2", ""):
        return "the two passwords differ"
    try:
        user = sql_users.add(
            form.get("username", ""),
            form.get("password", ""),
            role,
            services.clock(),
            operator_id=form.get("operator_id") or None,
        )
    except UserError as exc:
        return str(exc)
    with services.engine.begin() as conn:
        conn.execute(
            insert(t.audit_log).values(
                at=services.clock(),
                actor=actor,
                action="user.add",
                subject=user.username,
                detail={"role": user.role.value, "operator_id": user.operator_id},
            )
        )
    return None
