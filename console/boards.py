"""Lookups every console user needs: consumer search, the fault board, pending feedback calls.

Search takes an IVRS number, a mobile number or part of a name (at least three characters);
results link to the consumer's record, where a complaint can be registered without a call.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from console import optional
from console.security import EVERYONE, check_csrf, login_required
from services.console_faults import active_faults
from services.container import Services

DIGITS = re.compile(r"\D")


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
                    return redirect(url_for("console_desk.consumer",
                                            consumer_id=results[0]["id"]))
        return render_template("console/search.html", q=text, results=results,
                               error=error), 400 if error else 200

    @bp.get("/faults")
    @login_required(*EVERYONE)
    def faults() -> Any:
        company = request.args.get("company") or None
        if company is not None and company not in services.settings.companies:
            company = None
        rows = active_faults(services, services.clock(), company)
        return render_template("console/faults.html", faults=rows, company=company,
                               companies=sorted(services.settings.companies))

    @bp.get("/feedback")
    @login_required(*EVERYONE)
    def feedback() -> Any:
        listing = optional.function("services.complaint_feedback", "pending_feedback")
        rows = None if listing is None else listing(services.engine, now=services.clock(),
                                                    limit=100)
        return render_template("console/feedback.html", rows=rows)

    return bp


def _normalised(text: str) -> str:
    """A phone or IVRS number typed with spaces, dashes or +91 becomes its digits."""
    digits = DIGITS.sub("", text)
    if digits and len(digits) >= 10 and not re.search(r"[A-Za-z\u0900-\u097F]", text):
        return digits[-10:] if len(digits) == 12 and digits.startswith("91") else digits
    return text
