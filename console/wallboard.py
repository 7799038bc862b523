"""The wallboard: live tiles per company and queue and two-hour charts, pushed by SSE.

The page draws the board once; its event stream re-renders the board's HTML every two seconds
and sends it only when it changed, and the page swaps it in. Large type and high contrast for
a wall screen; `?company=CZ` shows one company only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, render_template, request

from console.charts import interval_chart
from console.events import stream
from console.security import EVERYONE, login_required
from services.console_wallboard import IntervalMemo, board
from services.container import Services
from store.live import LiveStateUnavailable


def blueprint(services: Services) -> Blueprint:
    bp = Blueprint("console_wallboard", __name__, url_prefix="/console")
    memo = IntervalMemo()

    def render_board(company: str | None) -> str:
        data = board(services, memo, services.clock())
        if company:
            data["companies"] = {k: v for k, v in data["companies"].items() if k == company}
        zone = services.settings.zone
        labels = [
            datetime.fromtimestamp(s, UTC).astimezone(zone).strftime("%H:%M")
            for s in data["chart_starts"]
        ]
        charts = {
            code: interval_chart(c["chart"], labels, title=f"{code}: last two hours")
            for code, c in data["companies"].items()
        }
        return render_template("console/_board.html", board=data, charts=charts)

    def company_arg() -> str | None:
        company = request.args.get("company") or None
        return company if company in services.settings.companies else None

    @bp.get("/wallboard")
    @login_required(*EVERYONE)
    def wallboard() -> Any:
        company = company_arg()
        try:
            html, error = render_board(company), None
        except LiveStateUnavailable as exc:
            html, error = "", f"Live state unavailable: {exc}"
        return render_template(
            "console/wallboard.html",
            board_html=html,
            error=error,
            company=company,
            companies=sorted(services.settings.companies),
        )

    @bp.get("/wallboard/events")
    @login_required(*EVERYONE)
    def wallboard_events() -> Any:
        company = company_arg()
        return stream(
            lambda: {"html": render_board(company)},
            name="board",
            every_s=2.0,
            lasts_s=current_app.config.get("CONSOLE_STREAM_S", 300.0),
        )

    return bp
