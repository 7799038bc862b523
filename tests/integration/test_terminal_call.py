"""Whole calls through the terminal phone against a real database and Redis."""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import func, select

from complaints.docket import ValidDocket, parse_docket
from services.terminal_phone import run_call
from store import schema as t


def call(services: Any, caller: str, keys: str) -> list[str]:
    out = io.StringIO()
    run_call(services, caller=caller, keys=keys.split(","), out=out, read_line=lambda: None)
    return out.getvalue().splitlines()


def test_no_supply_complaint_ends_with_a_docket_that_exists(services: Any) -> None:
    lines = call(services, "9000000002", "2,1,1")
    outcome = lines[-1]
    assert outcome.startswith("OUTCOME: docket WZ")
    docket = outcome.split()[-1]
    assert isinstance(parse_docket(docket), ValidDocket)
    with services.engine.connect() as conn:
        row = conn.execute(select(t.complaints).where(t.complaints.c.docket == docket)).one()
        sms = conn.execute(select(t.outbox).where(t.outbox.c.to_number == "9000000002")).all()
    assert row.kind == "no_supply" and row.status == "open"
    assert any(docket in m.body for m in sms)
    spoken = " ".join(docket[2:])
    assert any(spoken in line for line in lines if line.startswith("IVR:"))


def test_caller_under_a_fault_hears_cause_and_restoration_time(services: Any) -> None:
    lines = call(services, "+919000000001", "2,1")
    news = [line for line in lines if "tree on the line" in line]
    assert news, lines
    assert "We expect it back by today at" in news[0]


def test_two_connections_on_one_mobile_are_offered_by_position(services: Any) -> None:
    lines = call(services, "9000000003", "2,2,1")
    assert any("connection ending 0 0 0 3, press 1" in line for line in lines)
    assert any("connection ending 0 0 0 4, press 2" in line for line in lines)
    with services.engine.connect() as conn:
        complaint = conn.execute(select(t.complaints)).one()
        consumer = conn.execute(
            select(t.consumers.c.ivrs).where(t.consumers.c.id == complaint.consumer_id)
        ).scalar()
    assert consumer == "1000000004"


def test_unknown_caller_keys_ivrs_and_three_bad_tries_reach_an_operator(services: Any) -> None:
    lines = call(services, "9812345678", "2,123,9999999999,1234567890")
    assert lines[-1].startswith("OUTCOME: queued queue=CZ-en")
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.complaints)).scalar() == 0


def test_landline_is_never_matched_and_keyed_ivrs_identifies(services: Any) -> None:
    lines = call(services, "07552551234", "2,1000000002,1")
    assert lines[-1].startswith("OUTCOME: docket WZ")


def test_hazard_registers_and_queues_with_highest_priority(services: Any) -> None:
    lines = call(services, "9000000002", "2,1,5")
    outcome = lines[-1]
    assert outcome.startswith("OUTCOME: queued queue=WZ-hazard")
    assert "docket=WZ" in outcome


def test_hang_up_mid_flow_leaves_no_complaint(services: Any) -> None:
    lines = call(services, "9000000002", "2")
    assert lines[-1] == "OUTCOME: abandoned at=which_connection"
    with services.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.complaints)).scalar() == 0
        ended = conn.execute(select(t.calls.c.outcome)).scalar()
    assert ended == "abandoned"
