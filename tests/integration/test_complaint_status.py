"""Main menu 7 (status of my complaint) through the terminal phone, and complaints reported by a
transformer's painted code, on a real database and Redis."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from sqlalchemy import select

from complaints.docket import make_docket
from services.complaint_desk import complaint_desk
from services.terminal_phone import run_call
from store import schema as t


def call(services: Any, caller: str, keys: list[str]) -> list[str]:
    out = io.StringIO()
    run_call(services, caller=caller, keys=keys, out=out, read_line=lambda: None)
    return out.getvalue().splitlines()


def ivr(lines: list[str]) -> str:
    return "\n".join(line for line in lines if line.startswith("IVR:"))


def register(services: Any, caller: str = "9000000002") -> str:
    line = call(services, caller, ["2", "1", "1"])[-1]
    assert line.startswith("OUTCOME: docket")
    return line.split()[-1]


def spoken(docket: str) -> str:
    return " ".join(docket[2:])


def test_menu_7_tells_the_latest_complaint_of_the_caller(services: Any) -> None:
    docket = register(services)
    said = ivr(call(services, "9000000002", ["2", "1", "7"]))
    assert f"{spoken(docket)}: registered and sent to the field team." in said
    assert "We aim to resolve it by tomorrow at" in said
    assert "To check another complaint number, press 1." in said


def test_menu_7_without_complaints_asks_for_a_number(services: Any) -> None:
    said = ivr(call(services, "9000000002", ["2", "1", "7"]))
    assert "Please key in the 13 digits of your complaint number" in said


def test_keyed_docket_with_a_wrong_check_digit_is_not_valid(services: Any) -> None:
    docket = register(services)
    digits = docket[2:]
    wrong = digits[:-1] + str((int(digits[-1]) + 1) % 10)
    lines = call(services, "9000000002", ["2", "1", "7", "1", wrong, digits])
    said = ivr(lines)
    assert "That is not a valid complaint number. Please check it and key it again." in said
    assert said.count(f"{spoken(docket)}: registered and sent to the field team.") == 2


def test_keyed_docket_of_another_company_is_refused(services: Any) -> None:
    other = register(services, "9000000003")  # an East complaint, keyed by a West consumer
    said = ivr(call(services, "9000000002", ["2", "1", "7", other[2:]]))
    assert "belongs to another distribution company" in said
    assert spoken(other) + ":" not in said


def test_keyed_unknown_docket_is_not_found(services: Any) -> None:
    unknown = make_docket("WZ", date(2026, 1, 5), 4321)
    said = ivr(call(services, "9000000002", ["2", "1", "7", unknown[2:]]))
    assert f"We have no complaint numbered {spoken(unknown)}." in said


def test_resolved_complaint_has_no_due_time(services: Any) -> None:
    docket = register(services)
    with services.engine.begin() as conn:
        conn.execute(
            t.complaints.update().where(t.complaints.c.docket == docket).values(status="resolved")
        )
    said = ivr(call(services, "9000000002", ["2", "1", "7"]))
    assert f"{spoken(docket)}: resolved." in said and "We aim to resolve" not in said


def rural_transformer(services: Any) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(
            select(t.transformers, t.distribution_centres.c.field_mobile)
            .join(t.distribution_centres, t.transformers.c.dc_id == t.distribution_centres.c.id)
            .where(t.distribution_centres.c.area == "rural")
            .order_by(t.transformers.c.id.desc())
            .limit(1)
        ).one()


def test_a_transformer_reported_by_its_code_goes_to_its_centre(services: Any) -> None:
    dtr = rural_transformer(services)
    desk = complaint_desk(services)
    done = desk.register_by_transformer(
        dtr.code, channel="console", notify_mobile="9812345678", language="en"
    )
    assert done is not None and done["kind"] == "transformer"
    assert done["limit_minutes"] == 72 * 60  # the rural transformer limit
    with services.engine.connect() as conn:
        row = conn.execute(select(t.complaints).where(t.complaints.c.id == done["id"])).one()
        dispatch = conn.execute(
            select(t.outbox).where(t.outbox.c.request_key == f"dispatch:{done['docket']}")
        ).one()
    assert row.dc_id == dtr.dc_id and row.consumer_id is None
    assert dispatch.to_number == dtr.field_mobile and dtr.code in dispatch.body
    assert desk.register_by_transformer("0000000000", channel="console") is None


def test_a_caller_without_a_bill_reports_a_transformer_by_its_code(services: Any) -> None:
    """An unknown mobile presses 8 (and #) at the IVRS prompt, keys the pole's code and gets
    a docket for the transformer's own centre, by SMS as well."""
    dtr = rural_transformer(services)
    lines = call(services, "9812345678", ["2", "8#", "123", dtr.code])
    said = ivr(lines)
    assert "code painted on the transformer's pole" in said
    assert "The transformer code has 10 digits" in said  # "123" was refused first
    assert lines[-1].startswith("OUTCOME: docket ")
    docket = lines[-1].split()[-1]
    with services.engine.connect() as conn:
        row = conn.execute(select(t.complaints).where(t.complaints.c.docket == docket)).one()
        sms = conn.execute(select(t.outbox).where(t.outbox.c.to_number == "9812345678")).all()
    assert (row.kind, row.dc_id, row.consumer_id) == ("transformer", dtr.dc_id, None)
    assert row.remarks == f"reported by transformer code {dtr.code}"
    assert any(docket in message.body for message in sms)


def test_menu_8_and_an_unknown_code_reach_an_operator_after_three_tries(services: Any) -> None:
    lines = call(services, "9000000002", ["2", "1", "8", "0000000000", "0000000001", "0000000002"])
    assert ivr(lines).count("We could not find that transformer code") == 2
    assert lines[-1].startswith("OUTCOME: queued ")
    with services.engine.connect() as conn:
        assert conn.execute(select(t.complaints)).first() is None
