"""Lookups every console user needs: consumer search, the fault board, pending feedback calls.

Search takes an IVRS number, a mobile number or part of a name (at least three characters);
results link to the consumer's record, where a complaint can be registered without a call.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from console import optional
from console.security import EVERYONE, check_csrf, current_user, login_required
from services.console_faults import active_faults
from services.container import Services

DIGITS = re.compile(r"\D")
FEEDBACK_OUTCOMES = {
    "satisfied": "Satisfied / संतुष्ट",
    "not_satisfied": "Not satisfied / असंतुष्ट",
    "unreached": "No answer / उत्तर नहीं",
}


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console_boards", __name__, url_prefix="/console")
    bp.before_request(check_csrf)

    @bp.get("/search")
    @login_required(*EVERYONE)
    def search() -> Any:
        text = (request.args.get("q") or "").strip()
        error, results = None, []
        if text:
            query = _normalised(text)
            if len(query) < 3:
                error = "Type at least 3 characters. / कम से कम 3 अक्षर लिखें।"
            else:
                results = services.network.search_consumers(query, limit=25)
                if len(results) == 1 and request.args.get("go") != "no":
                    return redirect(url_for("console_desk.consumer", consumer_id=results[0]["id"]))
        return render_template(
            "console/search.html", q=text, results=results, error=error
        ), 400 if error else 200

    @bp.get("/faults")
    @login_required(*EVERYONE)
    def faults() -> Any:
        company = request.args.get("company") or None
        if company is not None and company not in services.settings.companies:
            company = None
        rows = active_faults(services, services.clock(), company)
        return render_template(
            "console/faults.html",
            faults=rows,
            company=company,
            companies=sorted(services.settings.companies),
        )

    @bp.get("/feedback")
    @login_required(*EVERYONE)
    def feedback() -> Any:
        make_desk = optional.function("services.complaint_desk", "complaint_desk")
        rows = None if make_desk is None else make_desk(services).pending_feedback(limit=100)
        return render_template("console/feedback.html", rows=rows, outcomes=FEEDBACK_OUTCOMES)

    @bp.post("/feedback/<int:feedback_id>")
    @login_required(*EVERYONE)
    def record_feedback(feedback_id: int) -> Any:
        make_desk = optional.function("services.complaint_desk", "complaint_desk")
        outcome = request.form.get("outcome", "")
        user = current_user()
        assert user is not None
        if make_desk is None or outcome not in FEEDBACK_OUTCOMES:
            flash("Choose what the consumer said. / उपभोक्ता का उत्तर चुनें।", "error")
        else:
            done = make_desk(services).record_feedback(
                feedback_id, outcome, operator_id=user.operator_id, actor=f"console:{user.username}"
            )
            if done is None or not done.get("recorded", True):
                flash("This feedback call was already closed. / यह पहले ही दर्ज है।", "error")
            else:
                flash(f"Feedback recorded: {FEEDBACK_OUTCOMES[outcome]}", "info")
        return redirect(url_for("console_boards.feedback"))

    return bp


def _normalised(text: str) -> str:
    """A phone or IVRS number typed with spaces, dashes or +91 becomes its digits."""
    digits = DIGITS.sub("", text)
    if digits and len(digits) >= 10 and not re.search(r"[A-Za-z\u0900-\u097F]", text):
        return digits[-10:] if len(digits) == 12 and digits.startswith("91") else digits
    return text
