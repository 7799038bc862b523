"""Supervisor pages: faults (report, ETR, restore), the storm panel with the staffing
calculator, and the SoP compliance report with its CSV export.

Supervisors and administrators. Changes go through the services that own them: fault messages
through the fault service (`services.extras["faults"]`, the same path as the outage feed, so a
console report is validated, stored, audited and acted on exactly like a feed message; the form
carries a message id minted when it was drawn, so a double submit applies once), storm
overrides through the storm controller (`services.extras["storm"]`), the report through the
complaint desk. Without one of them the page shows what it can read and says what is missing.
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from console import optional
from console.security import STAFF, check_csrf, current_user, login_required
from console.storm_panel import decisions, fault_payload, staffing_form
from outages.faults import Cause, FaultLevel
from services.console_faults import active_faults
from services.container import Services
from services.storm_warnings import companies_named


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console_supervision", __name__, url_prefix="/console/admin")
    bp.before_request(check_csrf)

    def actor() -> str:
        user = current_user()
        return f"console:{user.username}" if user else "console"

    def render_faults(status: int = 200, **extra: Any) -> Any:
        return render_template(
            "console/admin_faults.html",
            faults=active_faults(services, services.clock()),
            available=optional.service(services, "faults") is not None,
            levels=[x.value for x in FaultLevel],
            causes=[x.value for x in Cause],
            message_id=lambda: "console-" + secrets.token_urlsafe(12),
            form=extra.pop("form", {}),
            errors=extra.pop("errors", []),
            **extra,
        ), status

    @bp.get("/faults")
    @login_required(*STAFF)
    def faults() -> Any:
        return render_faults()

    @bp.post("/faults")
    @login_required(*STAFF)
    def fault_message() -> Any:
        service = optional.service(services, "faults")
        if service is None:
            flash("Fault changes need the fault service, which is not running here.", "error")
            return redirect(url_for("console_supervision.faults"))
        payload = fault_payload(request.form, services.settings.zone)
        result = service.submit(payload, source="console", actor=actor())
        if result.outcome.refused:
            problems = [f"{e.path}: {e.message}" for e in result.errors] or [result.message]
            if request.form.get("action") == "report":
                return render_faults(400, form=dict(request.form), errors=problems)
            flash("; ".join(problems), "error")
        else:
            flash(f"{result.outcome.value}: {result.message}", "info")
        return redirect(url_for("console_supervision.faults"))

    @bp.get("/storm")
    @login_required(*STAFF)
    def storm() -> Any:
        controller = optional.service(services, "storm")
        status = controller.status() if controller is not None else None
        notices = controller.notices(20) if controller is not None else []
        return render_template(
            "console/admin_storm.html",
            status=status,
            notices=notices,
            decisions=decisions(services),
            calc=staffing_form(request.args),
            companies=sorted(services.settings.companies),
            warning_levels=[name for name, _ in getattr(controller_config(), "warning_levels", ())],
            warning_lead=f"{getattr(controller_config(), 'warning_lead_minutes', 90):g}",
        )

    def controller_config() -> Any:
        controller = optional.service(services, "storm")
        return None if controller is None else controller.config

    @bp.post("/storm/warning")
    @login_required(*STAFF)
    def storm_warning() -> Any:
        controller = optional.service(services, "storm")
        if controller is None:
            flash("Storm warnings need the storm controller, which is not running here.", "error")
            return redirect(url_for("console_supervision.storm"))
        company = request.form.get("company", "all")
        if request.form.get("action") == "clear":
            chosen = companies_named(company)
            for each in [] if isinstance(chosen, str) else chosen:
                controller.set_warning(each, None, actor=actor())
            flash(f"Storm warning cleared for {company}.", "info")
            return redirect(url_for("console_supervision.storm"))
        fields = ("from", "until", "level", "note")
        body = {key: request.form.get(key, "").strip() for key in fields}
        parsed = controller.warn({"company": company, **body}, actor=actor())
        if isinstance(parsed, str):
            flash(parsed, "error")
        else:
            chosen, warning = parsed
            flash(
                f"Storm warning set for {', '.join(c.value for c in chosen)}: "
                f"{warning.starts:%d %b %H:%M} to {warning.ends:%H:%M}; standby operators are "
                "called in ahead of it.",
                "info",
            )
        return redirect(url_for("console_supervision.storm"))

    @bp.post("/storm/override")
    @login_required(*STAFF)
    def storm_override() -> Any:
        controller = optional.service(services, "storm")
        parse = optional.function("services.storm_service", "parse_override")
        if controller is None or parse is None:
            flash("Storm mode needs the storm controller, which is not running here.", "error")
            return redirect(url_for("console_supervision.storm"))
        raw_target = (request.form.get("target") or "").strip()
        body = {
            "company": request.form.get("company", "all"),
            "mode": request.form.get("mode", "auto"),
            "target": int(raw_target) if raw_target.isdigit() else (raw_target or None),
        }
        parsed = parse(body, actor=actor())
        if isinstance(parsed, str):
            flash(parsed, "error")
        else:
            chosen, override = parsed
            for company in chosen:
                controller.set_override(company, override, actor=actor())
            flash(
                f"Storm mode {override.mode.value} for {', '.join(c.value for c in chosen)}; "
                "the controller applies it on its next round.",
                "info",
            )
        return redirect(url_for("console_supervision.storm"))

    @bp.get("/sop")
    @login_required(*STAFF)
    def sop() -> Any:
        make_desk = optional.function("services.complaint_desk", "complaint_desk")
        today = services.local_now().date()
        start, end, error = _period(request.args, today)
        if make_desk is None:
            return render_template(
                "console/admin_sop.html", rows=None, columns=[], start=start, end=end, error=None
            )
        rows = [] if error else [r.as_dict() for r in make_desk(services).sop_report(start, end)]
        columns = list(rows[0]) if rows else []
        if request.args.get("format") == "csv" and not error:
            return _csv(rows, columns, start, end)
        return render_template(
            "console/admin_sop.html", rows=rows, columns=columns, start=start, end=end, error=error
        ), 400 if error else 200

    return bp


def _period(args: Any, today: date) -> tuple[date, date, str | None]:
    try:
        start = date.fromisoformat(args.get("start") or today.replace(day=1).isoformat())
        end = date.fromisoformat(args.get("end") or today.isoformat())
    except ValueError:
        return today.replace(day=1), today, "Dates look like 2026-11-01. / तारीख ऐसे लिखें।"
    if end < start:
        return start, end, "The end comes before the start. / अंत तिथि पहले है।"
    if (end - start).days > 366:
        return start, end, "At most a year at a time."
    return start, end, None


def _csv(rows: list[dict[str, Any]], columns: list[str], start: date, end: date) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or ["level", "company"], extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    name = f"sop-{start.isoformat()}-{end.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename={name}"},
    )
