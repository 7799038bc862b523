"""Supervisor pages: faults (report, ETR, restore), the storm panel with the staffing
calculator, and the SoP compliance report with its CSV export.

Supervisors and administrators. Changes go through the services that own them — the fault
service and the storm controller — when they are installed (`services.extras["faults"]`,
`services.extras["storm"]`); without them the page shows what it can read and says which part
is not available. The staffing calculator needs nothing but `routing.staffing`.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from console import optional
from console.security import STAFF, check_csrf, current_user, login_required
from console.storm_panel import decisions, staffing_form, storm_status
from services.console_faults import active_faults
from services.container import Services

SOP_SOURCES = (("services.complaint_reports", "sop_report"),
               ("services.complaint_lifecycle", "sop_report"),
               ("services.complaint_sop", "sop_report"))


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console_supervision", __name__, url_prefix="/console/admin")
    bp.before_request(check_csrf)

    def actor() -> str:
        user = current_user()
        return user.username if user else "?"

    @bp.get("/faults")
    @login_required(*STAFF)
    def faults() -> Any:
        fault_service = optional.service(services, "faults", "fault_service")
        return render_template("console/admin_faults.html",
                               faults=active_faults(services, services.clock()),
                               available=fault_service is not None)

    @bp.post("/faults/<int:fault_id>/<action>")
    @login_required(*STAFF)
    def fault_action(fault_id: int, action: str) -> Any:
        fault_service = optional.service(services, "faults", "fault_service")
        method = getattr(fault_service, {"etr": "update_etr", "restore": "restore"}.get(
            action, ""), None)
        if method is None:
            flash("Fault changes need the fault service, which is not running here.", "error")
        else:
            try:
                method(fault_id, **_fault_args(action, request.form), actor=actor(),
                       now=services.clock())
                flash(f"Fault {fault_id}: {action} saved.", "info")
            except (ValueError, LookupError) as exc:
                flash(f"Fault {fault_id}: {exc}", "error")
        return redirect(url_for("console_supervision.faults"))

    @bp.get("/storm")
    @login_required(*STAFF)
    def storm() -> Any:
        calculator = staffing_form(request.args)
        return render_template("console/admin_storm.html", status=storm_status(services),
                               decisions=decisions(services), calc=calculator)

    @bp.post("/storm/mode")
    @login_required(*STAFF)
    def storm_mode() -> Any:
        storm_service = optional.service(services, "storm")
        setter = getattr(storm_service, "set_mode", None)
        mode = request.form.get("mode", "")
        if setter is None:
            flash("Storm mode needs the storm controller, which is not running here.", "error")
        elif mode not in ("automatic", "manual-on", "manual-off"):
            flash("Choose automatic, on or off.", "error")
        else:
            setter(mode, actor=actor(), now=services.clock())
            flash(f"Storm mode: {mode}.", "info")
        return redirect(url_for("console_supervision.storm"))

    @bp.get("/sop")
    @login_required(*STAFF)
    def sop() -> Any:
        report = next((f for f in (optional.function(m, n) for m, n in SOP_SOURCES) if f),
                      None)
        if report is None:
            return render_template("console/admin_sop.html", rows=None, columns=[])
        rows = list(report(services.engine, now=services.clock()))
        columns = list(rows[0].keys()) if rows else []
        if request.args.get("format") == "csv":
            return _csv(rows, columns)
        return render_template("console/admin_sop.html", rows=rows, columns=columns)

    return bp


def _fault_args(action: str, form: Any) -> dict[str, Any]:
    if action == "etr":
        return {"etr": form.get("etr", "")}
    return {}


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=sop-compliance.csv"})
