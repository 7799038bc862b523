"""The complaint desk: the lifecycle's service functions for front-ends, the console and the CLI.

One `ComplaintDesk` per process, built on first use by `complaint_desk(services)` and kept in
`services.extras["complaint_desk"]`. Each method is one transaction with the injected clock:
field reports (ACK/DONE by SMS or the field page), feedback answers and unanswered attempts,
placing due feedback calls, escalation passes, lists for the console (pending feedback calls,
escalated complaints) and the SoP report. `start_background_loops` runs the escalation pass and
the feedback placing beside the web server.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select

from complaints.docket import ValidDocket
from complaints.kinds import ComplaintKind
from services.complaint_config import LifecycleConfig, load_lifecycle_config, register_default
from services.complaint_dialling import FeedbackDialler, PlacingReport, dialler_for, place_due
from services.complaint_escalation import Escalation, escalated_complaints, escalation_pass
from services.complaint_feedback import (
    FeedbackAnswer,
    attempt_failed,
    feedback_context,
    pending_feedback,
    placed_today,
    record_answer,
)
from services.complaint_lifecycle import FieldAction, FieldResult, field_report
from services.complaint_records import by_docket, complaint, dispatch_values, local_text
from services.complaint_report import SopRow, sop_report
from services.complaint_status import register_by_transformer, transformer_by_code
from store import schema as t

log = logging.getLogger(__name__)

UNANSWERED_STATUSES = frozenset({"busy", "no-answer", "failed", "canceled", "completed"})


class ComplaintDesk:
    def __init__(
        self,
        engine: Engine,
        config: LifecycleConfig,
        clock: Callable[[], datetime],
        *,
        dialler: Callable[[], FeedbackDialler | None] = lambda: None,
        records: Any = None,
        network: Any = None,
    ) -> None:
        self._engine = engine
        self.config = config
        self._clock = clock
        self._dialler = dialler
        self._records = records
        self._network = network

    def now(self) -> datetime:
        return self._clock().astimezone(UTC)

    # --- field teams ----------------------------------------------------------------------------

    def field_report(
        self,
        docket: ValidDocket,
        action: FieldAction,
        *,
        dc_id: int | None,
        actor: str,
        remarks: str = "",
    ) -> FieldResult:
        with self._engine.begin() as conn:
            row = by_docket(conn, docket)
            return field_report(
                conn,
                row,
                action,
                dc_id=dc_id,
                actor=actor,
                now=self.now(),
                config=self.config,
                remarks=remarks,
            )

    def field_report_by_id(
        self,
        complaint_id: int,
        action: FieldAction,
        *,
        dc_id: int | None,
        actor: str,
        remarks: str = "",
    ) -> FieldResult:
        with self._engine.begin() as conn:
            row = complaint(conn, complaint_id, for_update=True)
            return field_report(
                conn,
                row,
                action,
                dc_id=dc_id,
                actor=actor,
                now=self.now(),
                config=self.config,
                remarks=remarks,
            )

    def complaint_card(self, complaint_id: int) -> dict[str, Any] | None:
        """What a field team sees of a complaint (the field page)."""
        with self._engine.connect() as conn:
            row = complaint(conn, complaint_id)
            if row is None:
                return None
            card: dict[str, Any] = dict(dispatch_values(conn, row))
        card.update(
            id=row.id,
            status=row.status,
            dc_id=row.dc_id,
            remarks=row.remarks or "",
            registered=local_text(row.registered_at, self.config.zone),
            deadline=local_text(row.deadline, self.config.zone),
        )
        return card

    # --- feedback calls -------------------------------------------------------------------------

    def pending_feedback(self, company: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Scheduled feedback calls, soonest first (for operators who call by hand)."""
        return pending_feedback(self._engine, now=self.now(), company=company, limit=limit)

    def record_feedback(
        self,
        feedback_id: int,
        outcome: str,
        *,
        operator_id: str | None = None,
        actor: str | None = None,
    ) -> dict[str, Any] | None:
        """Record an answer: satisfied, not_satisfied, no_answer, or `unreached` (an operator's
        call nobody answered: retried later or given up)."""
        who = actor or (f"operator:{operator_id}" if operator_id else "ivr")
        with self._engine.begin() as conn:
            if outcome == "unreached":
                status = attempt_failed(
                    conn,
                    feedback_id,
                    now=self.now(),
                    config=self.config,
                    manual=True,
                    operator_id=operator_id,
                )
                return None if status is None else {"status": status, "recorded": True}
            return record_answer(
                conn,
                feedback_id,
                FeedbackAnswer(outcome),
                now=self.now(),
                actor=who,
                config=self.config,
                operator_id=operator_id,
            )

    def feedback_call_ended(self, feedback_id: int, status: str) -> str | None:
        """A placed call ended (carrier status); without an answer it is an unanswered attempt."""
        if status not in UNANSWERED_STATUSES:
            return None
        with self._engine.begin() as conn:
            return attempt_failed(conn, feedback_id, now=self.now(), config=self.config)

    def feedback_context(self, feedback_id: int) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            return feedback_context(conn, feedback_id)

    def place_due_feedback(self, *, sleep: Callable[[float], Any] = time.sleep) -> PlacingReport:
        return place_due(self._engine, self._dialler(), self.config, self.now(), sleep=sleep)

    def has_dialler(self) -> bool:
        return self._dialler() is not None

    def feedback_progress(self) -> dict[str, dict[str, int]]:
        """Feedback calls attempted today against each company's daily target."""
        with self._engine.connect() as conn:
            done = placed_today(conn, self.now(), self.config)
            companies = [r[0] for r in conn.execute(select(t.companies.c.code))]
        return {
            c: {"placed_today": done.get(c, 0), "target": self.config.target_for(c)}
            for c in sorted(companies)
        }

    # --- escalation and reports -----------------------------------------------------------------

    def escalate_due(self) -> list[Escalation]:
        """One escalation pass at the clock's time."""
        return escalation_pass(self._engine, self.config, self.now())

    def escalations(self, company: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Escalated unresolved complaints, highest level first (for the console)."""
        return escalated_complaints(self._engine, company=company, limit=limit)

    def sop_report(self, start: date, end: date) -> list[SopRow]:
        return sop_report(self._engine, start, end, zone=self.config.zone, now=self.now())

    # --- complaints by transformer code ---------------------------------------------------------

    def register_by_transformer(
        self,
        code: str,
        *,
        channel: str,
        reporter: dict[str, Any] | None = None,
        kind: ComplaintKind = ComplaintKind.TRANSFORMER,
        request_key: str | None = None,
        notify_mobile: str | None = None,
        language: str = "hi",
    ) -> dict[str, Any] | None:
        """Register a complaint about the transformer with this painted code (None: no such
        transformer), e.g. from the console for a farmer without an IVRS number."""
        transformer = transformer_by_code(self._engine, code)
        if transformer is None or self._records is None:
            return None
        return register_by_transformer(
            self._records.complaints,
            self._network,
            transformer,
            now=self.now(),
            channel=channel,
            reporter=reporter,
            kind=kind,
            request_key=request_key,
            notify_mobile=notify_mobile,
            language=language,
        )


def complaint_desk(services: Any) -> ComplaintDesk:
    """The process's desk (built on first use from the services)."""
    desk: ComplaintDesk | None = services.extras.get("complaint_desk")
    if desk is None:
        config = load_lifecycle_config(services.settings)
        register_default(config)
        desk = ComplaintDesk(
            services.engine,
            config,
            services.clock,
            dialler=lambda: dialler_for(services),
            records=services.records,
            network=services.network,
        )
        services.extras["complaint_desk"] = desk
    return desk


def start_background_loops(services: Any, stop: threading.Event) -> list[threading.Thread]:
    """Escalation passes and feedback placing on daemon threads, until `stop` is set."""
    desk = complaint_desk(services)
    jobs = (
        ("complaint-escalation", desk.config.escalation_every_s, desk.escalate_due),
        (
            "feedback-calls",
            desk.config.feedback_every_s,
            lambda: desk.place_due_feedback(sleep=stop.wait),
        ),
    )
    threads = []
    for name, every, job in jobs:
        thread = threading.Thread(
            target=_every, args=(every, stop, job, name), name=name, daemon=True
        )
        thread.start()
        threads.append(thread)
    return threads


def _every(interval_s: float, stop: threading.Event, job: Callable[[], Any], name: str) -> None:
    while not stop.is_set():
        try:
            job()
        except Exception:  # a database hiccup must not end the loop: log and try next round
            log.exception("%s: round failed; trying again in %.0f s", name, interval_s)
        stop.wait(interval_s)
