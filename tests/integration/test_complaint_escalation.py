"""Escalation on the SoP clock (injected clock), complaints closed with their fault, and the SoP
report, on a real database."""

from __future__ import annotations

import argparse
import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select, update

import run_ivr
from complaints.docket import ValidDocket, parse_docket
from services import complaint_cli
from services.complaint_desk import complaint_desk
from services.complaint_lifecycle import FieldAction, resolve_linked_to_fault
from services.terminal_phone import run_call
from store import schema as t


def valid(text: str) -> ValidDocket:
    docket = parse_docket(text)
    assert isinstance(docket, ValidDocket), text
    return docket


def cli_parser() -> argparse.ArgumentParser:
    """The complaint commands as `run_ivr.py` mounts them."""
    parser = argparse.ArgumentParser(prog="run_ivr.py")
    complaint_cli.add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def register(services: Any, caller: str, keys: str) -> str:
    line = run_call(
        services, caller=caller, keys=keys.split(","), out=io.StringIO(), read_line=lambda: None
    )
    assert line.startswith("OUTCOME: docket"), line
    return line.split()[-1]


def row_of(services: Any, docket: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.complaints).where(t.complaints.c.docket == docket)).one()


def levels(services: Any, complaint_id: int) -> list[str]:
    with services.engine.connect() as conn:
        rows = conn.execute(
            select(t.complaint_events.c.detail)
            .where(
                t.complaint_events.c.complaint_id == complaint_id,
                t.complaint_events.c.kind == "escalated",
            )
            .order_by(t.complaint_events.c.id)
        )
        return [d["level"] for (d,) in rows]


def test_the_ladder_climbs_at_fractions_of_the_limit(services: Any, clock: Any) -> None:
    docket = register(services, "9000000002", "2,1,1")  # rural no supply: 24 h
    row = row_of(services, docket)
    desk = complaint_desk(services)
    clock.advance(hours=11, minutes=59)
    assert desk.escalate_due() == []
    clock.advance(minutes=1)
    [ae] = desk.escalate_due()
    assert (ae.docket, ae.level.value) == (docket, "AE")
    assert desk.escalate_due() == []  # once per level, however often the pass runs
    clock.advance(hours=12)
    assert [e.level.value for e in desk.escalate_due()] == ["EE"]
    clock.advance(hours=30)  # the scheduler was down: every level due since is told
    assert [e.level.value for e in desk.escalate_due()] == ["SE", "CGM"]
    assert levels(services, row.id) == ["AE", "EE", "SE", "CGM"]
    with services.engine.connect() as conn:
        sms = conn.execute(
            select(t.outbox.c.to_number, t.outbox.c.body)
            .where(t.outbox.c.kind == "escalation")
            .order_by(t.outbox.c.id)
        ).all()
        audit = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "complaint.escalated")
        ).all()
        place = conn.execute(
            select(t.distribution_centres.c.division_id, t.divisions.c.circle_id)
            .join(t.divisions)
            .where(t.distribution_centres.c.id == row.dc_id)
        ).one()
    assert [n for n, _ in sms] == [
        f"94{place.division_id:08d}",
        f"95{place.division_id:08d}",
        f"96{place.circle_id:08d}",
        sms[3][0],
    ]
    assert all(docket in body for _, body in sms) and "SoP time limit passed" in sms[1][1]
    assert len(audit) == 4
    [top] = desk.escalations(company="WZ")
    assert (top["docket"], top["level"]) == (docket, "CGM")
    assert desk.escalations(company="CZ") == []


def test_resolved_and_fault_linked_complaints_do_not_escalate(services: Any, clock: Any) -> None:
    fixed = register(services, "9000000002", "2,1,1")
    linked = register(services, "9000000001", "2,1,1")  # under the demo fault
    assert row_of(services, linked).status == "linked"
    desk = complaint_desk(services)
    desk.field_report(valid(fixed), FieldAction.DONE, dc_id=None, actor="test")
    clock.advance(days=3)
    assert desk.escalate_due() == []
    assert desk.escalations() == []


def test_restoring_a_fault_resolves_its_linked_complaints_once(services: Any, clock: Any) -> None:
    docket = register(services, "9000000001", "2,1,1")
    row = row_of(services, docket)
    with services.engine.connect() as conn:
        dispatched = conn.execute(select(t.outbox).where(t.outbox.c.kind == "field_dispatch")).all()
    assert dispatched == []  # a complaint under a known fault is not dispatched alone
    clock.advance(minutes=50)
    with services.engine.begin() as conn:
        ids = resolve_linked_to_fault(conn, row.fault_id, now=clock(), actor="fault-restore")
    assert ids == [row.id]
    with services.engine.begin() as conn:
        assert resolve_linked_to_fault(conn, row.fault_id, now=clock(), actor="again") == []
    after = row_of(services, docket)
    assert after.status == "resolved" and after.remarks == "supply restored"
    with services.engine.connect() as conn:
        told = conn.execute(select(t.outbox).where(t.outbox.c.kind == "complaint_resolved")).one()
        calls = conn.execute(select(t.feedback_calls)).all()
    assert told.to_number == "9000000001" and docket in told.body
    assert [(c.complaint_id, c.status) for c in calls] == [(row.id, "scheduled")]


def test_a_rolled_back_restoration_resolves_nothing(services: Any, clock: Any) -> None:
    docket = register(services, "9000000001", "2,1,1")
    row = row_of(services, docket)
    try:
        with services.engine.begin() as conn:
            resolve_linked_to_fault(conn, row.fault_id, now=clock(), actor="fault-restore")
            raise RuntimeError("the restoration failed later in its transaction")
    except RuntimeError:
        pass
    assert row_of(services, docket).status == "linked"
    with services.engine.connect() as conn:
        assert conn.execute(select(t.feedback_calls)).all() == []


def test_sop_report_counts_breaches_with_and_without_force_majeure(
    services: Any, clock: Any, tmp_path: Any, capsys: Any
) -> None:
    desk = complaint_desk(services)
    in_time = register(services, "9000000002", "2,1,1")  # rural, 24 h
    late = register(services, "9000000002", "2,1,1")
    storm = register(services, "9000000002", "2,1,1")
    with services.engine.begin() as conn:
        conn.execute(
            update(t.complaints).where(t.complaints.c.docket == storm).values(force_majeure=True)
        )
    clock.advance(hours=2)
    desk.field_report(valid(in_time), FieldAction.DONE, dc_id=None, actor="t")
    clock.advance(hours=23)
    desk.field_report(valid(late), FieldAction.DONE, dc_id=None, actor="t")
    [company, circle, division, centre] = desk.sop_report(date(2026, 11, 27), date(2026, 11, 27))
    assert [r.level for r in (company, circle, division, centre)] == [
        "company",
        "circle",
        "division",
        "centre",
    ]
    for row in (company, centre):
        assert (row.complaints, row.with_limit, row.resolved_within) == (3, 3, 1)
        assert (row.breaches, row.breaches_excl_force_majeure) == (2, 1)
        assert row.mean_resolution_minutes == (120 + 25 * 60) / 2
    assert desk.sop_report(date(2026, 11, 28), date(2026, 11, 30)) == []

    out = tmp_path / "sop.csv"
    ctx = run_ivr.Context(services.settings)
    ctx._services = services
    args = cli_parser().parse_args(
        ["report", "sop", "--from", "2026-11-27", "--to", "2026-11-27", "--csv", str(out)]
    )
    assert args.func(args, ctx) == 0
    printed = capsys.readouterr().out
    assert "SoP compliance, complaints registered 2026-11-27 to 2026-11-27" in printed
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["level"] for r in rows] == ["company", "circle", "division", "centre"]
    assert rows[0]["company"] == "WZ" and rows[0]["breaches_excl_force_majeure"] == "1"


def test_cli_escalate_and_feedback_due(services: Any, clock: Any, capsys: Any) -> None:
    docket = register(services, "9000000002", "2,1,1")
    clock.advance(hours=13)
    ctx = run_ivr.Context(services.settings)
    ctx._services = services
    args = cli_parser().parse_args(["complaints", "escalate"])
    assert args.func(args, ctx) == 0
    assert f"{docket}: AE notified" in capsys.readouterr().out
    complaint_desk(services).field_report(
        valid(docket),
        FieldAction.DONE,
        dc_id=None,
        actor="t",
    )
    args = cli_parser().parse_args(["feedback", "due", "--place"])
    assert args.func(args, ctx) == 0
    printed = capsys.readouterr().out
    assert "stay in the list for operators" in printed and docket in printed
    assert "WZ: 0 of 500 feedback calls today" in printed
