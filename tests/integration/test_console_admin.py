"""Administrator and supervisor pages: live queue edits, operators, logins, storm, SoP."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from console.cli import cmd_users
from services.users import SqlUsers, UserRole
from store import schema as t
from webhooks.app import create_app


@pytest.fixture
def app(services: Any) -> Any:
    services.extras["routing"].sync_operators()
    return create_app(services)


def csrf(client: Any) -> str:
    with client.session_transaction() as session:
        return str(session["csrf"])


def logged_in(app: Any, username: str, password: str) -> Any:
    client = app.test_client()
    client.get("/console/login")
    assert (
        client.post(
            "/console/login",
            data={"username": username, "password": password, "csrf_token": csrf(client)},
        ).status_code
        == 302
    )
    return client


def queue_form(client: Any, **changes: str) -> dict[str, str]:
    base = {
        "strategy": "leastrecent",
        "ring_timeout_s": "15",
        "wrapup_s": "10",
        "max_length": "200",
        "announce_frequency_s": "30",
        "callback_offer_s": "180",
        "service_level_s": "20",
        "version": "0",
    }
    return {**base, **changes, "csrf_token": csrf(client)}


def test_a_wrapup_edit_is_used_by_the_live_acd_and_audited(app: Any, services: Any) -> None:
    admin = logged_in(app, "admin", "admin-demo")
    saved = admin.post("/console/admin/queues/CZ-hi", data=queue_form(admin, wrapup_s="45"))
    assert saved.status_code == 302
    assert "version 1" in admin.get(saved.headers["Location"]).get_data(as_text=True)
    routing, now = services.extras["routing"], services.clock().timestamp()
    routing.act(
        "cz-op01", __import__("services.routing_service").routing_service.OperatorAction.READY
    )
    routing.join("call-1", "CZ-hi", 0)
    live = routing.live
    live.answered("cz-op01", now)
    ended = live.call_ended("cz-op01", now + 60)
    assert ended.state.value == "wrap-up" and ended.wrapup_until == pytest.approx(now + 105)
    with services.engine.connect() as conn:
        entry = conn.execute(
            select(t.audit_log).where(t.audit_log.c.action == "queue.update")
        ).one()
        stored = conn.execute(select(t.queues).where(t.queues.c.name == "CZ-hi")).one()
    assert entry.actor == "admin" and entry.detail["changes"]["wrapup_s"] == [10, 45]
    assert stored.version == 1 and stored.definition["wrapup_s"] == 45


def test_another_process_picks_up_the_stored_edit(
    app: Any, services: Any, settings: Any, clock: Any
) -> None:
    import run_ivr

    admin = logged_in(app, "admin", "admin-demo")
    admin.post(
        "/console/admin/queues/WZ-en", data=queue_form(admin, wrapup_s="33", strategy="rrmemory")
    )
    other = run_ivr.build_services(settings, clock=clock)
    try:
        other_app = create_app(other)
        assert other.queues["WZ-en"].wrapup_s == 33
        assert other.extras["routing"].live.queues["WZ-en"].strategy.value == "rrmemory"
        admin.post("/console/admin/queues/WZ-en", data=queue_form(admin, wrapup_s="7", version="1"))
        assert other.queues["WZ-en"].wrapup_s == 33
        other_app.config["QUEUE_EDITS_CHECK_S"] = 0.0  # (1 s by default)
        other_app.test_client().get("/healthz")  # a request after the interval picks it up
        assert other.queues["WZ-en"].wrapup_s == 7
    finally:
        other.engine.dispose()
        other.redis.close()


def test_stale_and_bad_queue_edits_are_refused_with_messages(app: Any, services: Any) -> None:
    admin = logged_in(app, "admin", "admin-demo")
    assert (
        admin.post("/console/admin/queues/EZ-hi", data=queue_form(admin, wrapup_s="20")).status_code
        == 302
    )
    stale = admin.post("/console/admin/queues/EZ-hi", data=queue_form(admin, wrapup_s="25"))
    assert stale.status_code == 409 and "Someone else changed" in stale.get_data(as_text=True)
    bad = admin.post(
        "/console/admin/queues/EZ-hi", data=queue_form(admin, wrapup_s="soon", version="1")
    )
    assert bad.status_code == 400 and "whole number" in bad.get_data(as_text=True)
    negative = admin.post(
        "/console/admin/queues/EZ-hi", data=queue_form(admin, max_length="0", version="1")
    )
    body = negative.get_data(as_text=True)
    assert negative.status_code == 400 and "max_length" in body and 'value="0"' in body
    assert services.queues["EZ-hi"].wrapup_s == 20


def test_operator_tier_edit_reaches_the_live_state_and_detects_staleness(
    app: Any, services: Any
) -> None:
    admin = logged_in(app, "admin", "admin-demo")
    page = admin.get("/console/admin/operators/cz-op02").get_data(as_text=True)
    seen = page.split('name="seen" value="')[1].split('"')[0]
    form = {
        "languages": ["hi"],
        "skills": ["CZ", "WZ"],
        "tier": "standby-1",
        "active": "on",
        "seen": seen,
        "csrf_token": csrf(admin),
    }
    assert admin.post("/console/admin/operators/cz-op02", data=form).status_code == 302
    view = {v.operator.id: v for v in services.extras["routing"].live.operators(0.0)}
    assert view["cz-op02"].operator.tier.value == "standby-1"
    assert {c.value for c in view["cz-op02"].operator.companies} == {"CZ", "WZ"}
    again = admin.post("/console/admin/operators/cz-op02", data={**form, "tier": "primary"})
    assert again.status_code == 409
    empty = admin.post("/console/admin/operators/cz-op02", data={**form, "languages": []})
    assert empty.status_code == 400 and "at least one language" in empty.get_data(as_text=True)


def test_a_deactivated_operator_is_logged_out_and_cannot_log_in(app: Any, services: Any) -> None:
    from services.routing_service import OperatorAction

    routing = services.extras["routing"]
    assert routing.act("cz-op03", OperatorAction.READY).ok
    admin = logged_in(app, "admin", "admin-demo")
    page = admin.get("/console/admin/operators/cz-op03").get_data(as_text=True)
    seen = page.split('name="seen" value="')[1].split('"')[0]
    form = {
        "languages": ["hi"],
        "skills": ["CZ"],
        "tier": "primary",
        "seen": seen,
        "csrf_token": csrf(admin),
    }  # fmt: skip  (no "active": the box is cleared)
    assert admin.post("/console/admin/operators/cz-op03", data=form).status_code == 302
    assert routing.live.operator_status("cz-op03", services.clock().timestamp()).state.value == (
        "offline"
    )
    refused = routing.act("cz-op03", OperatorAction.LOGIN)
    assert not refused.ok and "deactivated" in refused.message


def test_an_operator_deactivated_on_a_call_leaves_when_it_ends(app: Any, services: Any) -> None:
    from services.routing_service import OperatorAction

    routing, now = services.extras["routing"], services.clock().timestamp()
    live = routing.live
    assert routing.act("cz-op04", OperatorAction.READY).ok
    live.enqueue("CA-deactivate", "CZ-hi", 0, now)
    assert [a.operator_id for a in live.assign(now)] == ["cz-op04"]
    live.answered("cz-op04", now)
    admin = logged_in(app, "admin", "admin-demo")
    page = admin.get("/console/admin/operators/cz-op04").get_data(as_text=True)
    seen = page.split('name="seen" value="')[1].split('"')[0]
    form = {"languages": ["hi"], "skills": ["CZ"], "tier": "primary", "seen": seen,
            "csrf_token": csrf(admin)}  # fmt: skip
    assert admin.post("/console/admin/operators/cz-op04", data=form).status_code == 302
    assert live.operator_status("cz-op04", now).state.value == "on-call"  # not cut off
    live.call_ended("cz-op04", now)
    routing.sync_operators()  # every storm round (30 s) does this
    assert live.operator_status("cz-op04", now).state.value == "offline"


def test_logins_are_added_from_the_page_and_the_command_line(
    app: Any, services: Any, settings: Any, monkeypatch: Any
) -> None:
    admin = logged_in(app, "admin", "admin-demo")
    refused = admin.post(
        "/console/admin/users",
        data={
            "username": "op2",
            "role": "operator",
            "operator_id": "",
            "password": "long-enough-1",
            "password2": "long-enough-1",
            "csrf_token": csrf(admin),
        },
    )
    assert refused.status_code == 400 and "--operator" in refused.get_data(as_text=True)
    made = admin.post(
        "/console/admin/users",
        data={
            "username": "op2",
            "role": "operator",
            "operator_id": "cz-op02",
            "password": "long-enough-1",
            "password2": "long-enough-1",
            "csrf_token": csrf(admin),
        },
    )
    assert made.status_code == 302
    monkeypatch.setattr("sys.stdin", io.StringIO("sup-password-9\n"))
    ctx = argparse.Namespace(settings=settings)
    args = argparse.Namespace(
        users_action="add", name="Sup1", role="supervisor", operator=None, password_stdin=True
    )
    assert cmd_users(args, ctx) == 0
    users = SqlUsers(services.engine)
    sup = users.authenticate("sup1", "sup-password-9", datetime.now(UTC))
    assert sup is not None and sup.role is UserRole.SUPERVISOR
    assert users.authenticate("sup1", "wrong-password", datetime.now(UTC)) is None
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert (
        cmd_users(
            argparse.Namespace(
                users_action="add", name="x2y", role="admin", operator=None, password_stdin=True
            ),
            ctx,
        )
        == 1
    )


def test_storm_panel_calculates_staffing_and_validates(app: Any) -> None:
    supervisor_pages = logged_in(app, "admin", "admin-demo")
    page = supervisor_pages.get(
        "/console/admin/storm?calls_per_hour=200&aht_s=180&target_pct=80&target_s=20&patience_s="
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and '<strong id="required">14</strong>' in body
    bad = supervisor_pages.get(
        "/console/admin/storm?calls_per_hour=lots&aht_s=180"
        "&target_pct=80&target_s=20&patience_s=120"
    ).get_data(as_text=True)
    assert "enter a number" in bad and 'id="required"' not in bad


def test_fault_desk_reports_updates_and_restores_through_the_fault_service(
    app: Any, services: Any, clock: Any
) -> None:
    admin = logged_in(app, "admin", "admin-demo")
    code = services.network.consumer_by_ivrs("1000000002")["transformer_code"]
    etr = (clock() + timedelta(hours=3)).astimezone(services.settings.zone)
    report = {
        "action": "report",
        "message_id": "console-abc123",
        "level": "transformer",
        "asset_code": code,
        "cause": "wind",
        "etr": etr.strftime("%Y-%m-%dT%H:%M"),
        "csrf_token": csrf(admin),
    }
    assert admin.post("/console/admin/faults", data=report).status_code == 302
    assert admin.post("/console/admin/faults", data=report).status_code == 302  # once only
    with services.engine.connect() as conn:
        rows = conn.execute(select(t.faults).where(t.faults.c.asset_code == code)).all()
    assert len(rows) == 1 and rows[0].cause == "wind" and rows[0].restored_at is None
    wrong = admin.post(
        "/console/admin/faults",
        data={**report, "message_id": "console-x2", "asset_code": "NOSUCH1"},
    )
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and "NOSUCH1" in body  # re-displayed with the typed code
    admin.post(
        "/console/admin/faults",
        data={
            "action": "restore",
            "message_id": "console-r1",
            "asset_code": code,
            "level": "transformer",
            "csrf_token": csrf(admin),
        },
    )
    with services.engine.connect() as conn:
        restored = conn.execute(
            select(t.faults.c.restored_at).where(t.faults.c.id == rows[0].id)
        ).scalar_one()
        audited = (
            conn.execute(
                select(t.audit_log.c.actor).where(t.audit_log.c.subject == f"fault:{rows[0].id}")
            )
            .scalars()
            .all()
        )
    assert restored is not None and "console:admin" in audited


def test_storm_override_from_the_panel_reaches_the_controller(app: Any, services: Any) -> None:
    from routing.queues import Company

    admin = logged_in(app, "admin", "admin-demo")
    page = admin.get("/console/admin/storm").get_data(as_text=True)
    assert 'id="storm-CZ"' in page and 'id="storm-unavailable"' not in page
    done = admin.post(
        "/console/admin/storm/override",
        data={"company": "CZ", "mode": "on", "target": "12", "csrf_token": csrf(admin)},
    )
    assert done.status_code == 302
    override = services.extras["storm"].override(Company.CZ)
    assert override.mode.value == "on" and override.fixed_target == 12
    assert services.extras["storm"].override(Company.WZ).mode.value == "auto"
    admin.post(
        "/console/admin/storm/override",
        data={"company": "CZ", "mode": "on", "target": "-3", "csrf_token": csrf(admin)},
    )
    assert services.extras["storm"].override(Company.CZ).fixed_target == 12


def test_storm_warning_from_the_panel(app: Any, services: Any) -> None:
    from routing.queues import Company

    admin = logged_in(app, "admin", "admin-demo")
    page = admin.get("/console/admin/storm").get_data(as_text=True)
    assert 'id="storm-warning"' in page and "<option selected>orange</option>" in page
    form = {"company": "WZ", "from": "18:00", "until": "22:30", "level": "red",
            "note": "IMD nowcast", "action": "set"}  # fmt: skip
    done = admin.post("/console/admin/storm/warning", data={**form, "csrf_token": csrf(admin)})
    assert done.status_code == 302
    storm = services.extras["storm"]
    warning = storm.warning(Company.WZ)
    assert warning is not None and warning.note == "IMD nowcast"
    assert warning.calls_per_hour == storm.config.warning_calls_per_hour("red")
    assert warning.set_by.startswith("console:") and storm.warning(Company.CZ) is None
    shown = admin.get("/console/admin/storm").get_data(as_text=True)
    assert "(IMD nowcast)" in shown and "18:00–22:30" in shown
    bad = {**form, "until": "soon", "csrf_token": csrf(admin)}
    refused = admin.post("/console/admin/storm/warning", data=bad, follow_redirects=True)
    assert "until must be a time" in refused.get_data(as_text=True)
    assert storm.warning(Company.WZ) == warning
    admin.post("/console/admin/storm/warning",
               data={"company": "all", "action": "clear", "csrf_token": csrf(admin)})  # fmt: skip
    assert storm.warning(Company.WZ) is None


def test_sop_report_and_its_csv(app: Any, services: Any) -> None:
    admin = logged_in(app, "admin", "admin-demo")
    consumer = services.network.consumer_by_ivrs("1000000002")
    admin.post(
        "/console/desk/complaint",
        data={
            "kind": "no_supply",
            "request_key": "s" * 24,
            "consumer_id": str(consumer["id"]),
            "csrf_token": csrf(admin),
        },
    )
    page = admin.get("/console/admin/sop")
    assert page.status_code == 200 and "level-company" in page.get_data(as_text=True)
    exported = admin.get("/console/admin/sop?format=csv")
    lines = exported.get_data(as_text=True).splitlines()
    assert exported.mimetype == "text/csv" and lines[0].startswith("level,company")
    assert any(line.startswith("company,WZ") for line in lines[1:])
    assert admin.get("/console/admin/sop?start=2026-13-01").status_code == 400


def test_pending_feedback_is_listed_and_answered(app: Any, services: Any, clock: Any) -> None:
    from sqlalchemy import insert, update

    operator = logged_in(app, "operator1", "operator1-demo")
    consumer = services.network.consumer_by_ivrs("1000000002")
    operator.post(
        "/console/desk/complaint",
        data={
            "kind": "meter",
            "request_key": "f" * 24,
            "consumer_id": str(consumer["id"]),
            "csrf_token": csrf(operator),
        },
    )
    with services.engine.begin() as conn:
        complaint = conn.execute(select(t.complaints)).one()
        conn.execute(update(t.complaints).values(status="resolved", resolved_at=clock()))
        feedback_id = conn.execute(
            insert(t.feedback_calls).values(
                complaint_id=complaint.id,
                number="9000000002",
                status="scheduled",
                attempts=0,
                due_at=clock(),
                created_at=clock(),
            )
        ).inserted_primary_key[0]
    listed = operator.get("/console/feedback").get_data(as_text=True)
    assert complaint.docket in listed
    operator.post(
        f"/console/feedback/{feedback_id}",
        data={"outcome": "satisfied", "csrf_token": csrf(operator)},
    )
    with services.engine.connect() as conn:
        outcome = conn.execute(select(t.feedback_calls.c.outcome)).scalar_one()
    assert outcome == "satisfied"
    assert complaint.docket not in operator.get("/console/feedback").get_data(as_text=True)


class FakeAsterisk:
    """Stands in for the AMI link: records what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, action: Any) -> Any:
        from dialplans.ami import ActionResult

        self.sent.append(action)
        return ActionResult(True, "Success")


def test_a_queue_edit_asks_asterisk_to_reload_the_queue(app: Any, services: Any) -> None:
    link = services.extras["asterisk"] = FakeAsterisk()
    admin = logged_in(app, "admin", "admin-demo")
    saved = admin.post("/console/admin/queues/CZ-en", data=queue_form(admin, max_length="90"))
    page = admin.get(saved.headers["Location"]).get_data(as_text=True)
    assert [(a.name, dict(a.headers)) for a in link.sent] == [
        ("QueueReload", {"Queue": "CZ-en", "Parameters": "yes"})
    ]
    assert "Asterisk asked to reload" in page
