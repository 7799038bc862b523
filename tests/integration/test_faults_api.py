"""The fault-feed API: report, ETR update, restore, repeats and refusals, and what callers hear."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from services.terminal_phone import run_call
from store import schema as t
from store.tokens import Role, SqlTokens
from webhooks.app import create_app


@pytest.fixture
def api(services: Any) -> Any:
    services.extras["routing"].sync_operators()
    return create_app(services).test_client()


def token(services: Any, role: Role) -> dict[str, str]:
    operator = "wz-op01" if role is Role.OPERATOR else None
    value = SqlTokens(services.engine).create(
        role, datetime.now(UTC), operator_id=operator, label=f"test-{role.value}"
    )
    return {"Authorization": f"Bearer {value}"}


def demo_feeder(services: Any) -> str:
    return str(services.network.consumer_by_ivrs("1000000002")["feeder_code"])


def snapshot(services: Any) -> dict[str, int]:
    """Row counts of everything a fault message may write."""
    tables = (t.faults, t.fault_etr_history, t.fault_messages, t.audit_log, t.outbox)
    with services.engine.connect() as conn:
        counts = {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in tables
        }
        counts["restored"] = conn.execute(
            select(func.count()).select_from(t.faults).where(t.faults.c.restored_at.is_not(None))
        ).scalar_one()
    return counts


def report(feeder: str, message_id: str = "feed-1", **extra: Any) -> dict[str, Any]:
    return {"message_id": message_id, "action": "report", "asset_code": feeder,
            "level": "feeder", "cause": "tree", **extra}  # fmt: skip


def iso_in(services: Any, **delta: float) -> str:
    return (services.clock() + timedelta(**delta)).astimezone(services.settings.zone).isoformat()


def test_report_opens_a_fault_with_consumers_counted_from_the_network(
    api: Any, services: Any
) -> None:
    feeder = demo_feeder(services)
    answer = api.post("/api/faults", json=report(feeder, etr=iso_in(services, hours=3)),
                      headers=token(services, Role.FEED))  # fmt: skip
    assert answer.status_code == 201, answer.get_json()
    fault = answer.get_json()["fault"]
    assert fault["asset_code"] == feeder and fault["company"] == "WZ"
    with services.engine.connect() as conn:
        supply = t.consumers.join(
            t.transformers, t.consumers.c.transformer_id == t.transformers.c.id
        ).join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
        expected = conn.execute(
            select(func.count()).select_from(supply).where(t.feeders.c.code == feeder)
        ).scalar_one()
        history = conn.execute(select(t.fault_etr_history).where(
            t.fault_etr_history.c.fault_id == fault["id"])).all()  # fmt: skip
        audit = conn.execute(select(t.audit_log.c.action).where(
            t.audit_log.c.subject == f"fault:{fault['id']}")).scalars().all()  # fmt: skip
    assert fault["consumers_affected"] == expected > 0
    assert len(history) == 1 and audit == ["fault_reported"]
    listed = api.get("/api/faults", headers=token(services, Role.OPERATOR)).get_json()["faults"]
    assert fault["id"] in {f["id"] for f in listed}


def test_the_caller_on_that_feeder_hears_the_fault(api: Any, services: Any) -> None:
    feeder = demo_feeder(services)
    out = io.StringIO()
    run_call(services, caller="9000000002", keys=["2", "1"], out=out, read_line=lambda: None)
    assert "tree" not in out.getvalue().lower()  # no fault known before the report
    answer = api.post("/api/faults", json=report(feeder, etr=iso_in(services, hours=3)),
                      headers=token(services, Role.FEED))  # fmt: skip
    assert answer.status_code == 201
    out = io.StringIO()
    run_call(services, caller="9000000002", keys=["2", "1"], out=out, read_line=lambda: None)
    news = [line for line in out.getvalue().splitlines() if "tree on the line" in line]
    assert news, out.getvalue()
    assert "We expect it back by" in news[0]


def test_etr_update_then_restore_then_duplicate(api: Any, services: Any) -> None:
    feeder, feed = demo_feeder(services), token(services, Role.FEED)
    opened = api.post("/api/faults", json=report(feeder), headers=feed).get_json()["fault"]
    assert opened["etr"] is None
    update = {"message_id": "feed-2", "action": "update_etr", "asset_code": feeder,
              "etr": iso_in(services, hours=2)}  # fmt: skip
    changed = api.post("/api/faults", json=update, headers=feed)
    assert changed.status_code == 200 and changed.get_json()["outcome"] == "etr_changed"
    restore = {"message_id": "feed-3", "action": "restore", "asset_code": feeder}
    restored = api.post("/api/faults", json=restore, headers=feed)
    assert restored.status_code == 200 and restored.get_json()["outcome"] == "restored"
    before = snapshot(services)
    again = api.post("/api/faults", json=restore, headers=feed)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert snapshot(services) == before
    with services.engine.connect() as conn:
        history = conn.execute(select(func.count()).select_from(t.fault_etr_history).where(
            t.fault_etr_history.c.fault_id == opened["id"])).scalar_one()  # fmt: skip
    assert history == 2  # the report (no ETR yet) and the update
    listed = api.get("/api/faults", headers=feed).get_json()["faults"]
    assert opened["id"] not in {f["id"] for f in listed}


def test_restore_sends_the_subscribers_their_sms(api: Any, services: Any) -> None:
    feeder, feed = demo_feeder(services), token(services, Role.FEED)
    fault = api.post("/api/faults", json=report(feeder), headers=feed).get_json()["fault"]
    with services.engine.begin() as conn:
        conn.execute(t.restore_subscriptions.insert().values(
            fault_id=fault["id"], mobile="9000000002", created_at=services.clock()))  # fmt: skip
    restore = {"message_id": "feed-9", "action": "restore", "asset_code": feeder}
    body = api.post("/api/faults", json=restore, headers=feed).get_json()
    assert body["sms_queued"] >= 1
    with services.engine.connect() as conn:
        sms = conn.execute(select(t.outbox).where(t.outbox.c.kind == "restored")).all()
        notified = conn.execute(select(t.restore_subscriptions.c.notified_at)).scalar_one()
    assert [m.to_number for m in sms] == ["9000000002"] and feeder in sms[0].body
    assert notified is not None


@pytest.mark.parametrize(
    ("payload", "status", "path"),
    [
        ({"message_id": "x1", "action": "report", "asset_code": "NO-SUCH-FEEDER",
          "level": "feeder", "cause": "tree"}, 422, "asset_code"),
        ({"message_id": "x2", "action": "report", "level": "feeder", "cause": "tree"}, 422,
         "asset_code"),
        ({"message_id": "x3", "action": "explode", "asset_code": "F1"}, 422, "action"),
        ({"message_id": "x4", "action": "report", "asset_code": "{feeder}", "level": "feeder",
          "cause": "tree", "eta": "18:00"}, 422, "eta"),
    ],
)  # fmt: skip
def test_bad_messages_are_refused_with_the_field_at_fault(
    api: Any, services: Any, payload: dict[str, Any], status: int, path: str
) -> None:
    payload = {k: (v.format(feeder=demo_feeder(services)) if isinstance(v, str) else v)
               for k, v in payload.items()}  # fmt: skip
    before = snapshot(services)
    answer = api.post("/api/faults", json=payload, headers=token(services, Role.FEED))
    assert answer.status_code == status, answer.get_json()
    assert path in {e["path"] for e in answer.get_json()["errors"]}
    assert snapshot(services) == before


def test_etr_in_the_past_is_refused_and_nothing_changes(api: Any, services: Any) -> None:
    feeder = demo_feeder(services)
    before = snapshot(services)
    payload = report(feeder, etr=iso_in(services, hours=-2))
    answer = api.post("/api/faults", json=payload, headers=token(services, Role.FEED))
    assert answer.status_code == 422
    [problem] = answer.get_json()["errors"]
    assert problem["path"] == "etr" and "in the past" in problem["message"]
    assert snapshot(services) == before
    # the same message id, corrected, is accepted: a refusal is not remembered
    fixed = report(feeder, etr=iso_in(services, hours=2))
    accepted = api.post("/api/faults", json=fixed, headers=token(services, Role.FEED))
    assert accepted.status_code == 201


def test_restore_of_an_unknown_fault_is_a_conflict(api: Any, services: Any) -> None:
    before = snapshot(services)
    restore = {"message_id": "r1", "action": "restore", "asset_code": demo_feeder(services)}
    answer = api.post("/api/faults", json=restore, headers=token(services, Role.FEED))
    assert answer.status_code == 409 and "unknown fault" in answer.get_json()["message"]
    assert snapshot(services) == before


def test_tokens_and_roles(api: Any, services: Any) -> None:
    payload = report(demo_feeder(services))
    before = snapshot(services)
    assert api.post("/api/faults", json=payload).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert api.post("/api/faults", json=payload, headers=bad).status_code == 401
    operator = SqlTokens(services.engine).create(Role.OPERATOR, datetime.now(UTC),
                                                 operator_id="wz-op01")  # fmt: skip
    headers = {"Authorization": f"Bearer {operator}"}
    assert api.post("/api/faults", json=payload, headers=headers).status_code == 403
    assert snapshot(services) == before
    not_json = api.post("/api/faults", data="x", headers=token(services, Role.ADMIN))
    assert not_json.status_code == 400
    assert api.post("/api/faults", json=payload, headers=token(services, Role.SUPERVISOR)
                    ).status_code == 201  # fmt: skip


def test_restore_cancels_the_waiting_callbacks_under_the_fault(api: Any, services: Any) -> None:
    feeder, feed = demo_feeder(services), token(services, Role.FEED)
    fault = api.post("/api/faults", json=report(feeder), headers=feed).get_json()["fault"]
    live = services.extras["routing"].live
    now = services.clock().timestamp()
    waiting = (("c1", "1000000002", str(fault["id"])), ("c2", "1000000002x", None))
    for call_id, ivrs, fault_id in waiting:
        live.enqueue(call_id, "WZ-hi", 0, now)
        live.request_callback(call_id, consumer_id=ivrs, phone="+919000000002", now=now,
                              fault_id=fault_id, language="en")  # fmt: skip
    restore = {"message_id": "feed-r", "action": "restore", "asset_code": feeder}
    body = api.post("/api/faults", json=restore, headers=feed).get_json()
    assert body["callbacks_cancelled"] == 1
    assert live.pending_callback("1000000002") is None
    assert live.pending_callback("1000000002x") is not None  # not under this fault
    with services.engine.connect() as conn:
        [sms] = conn.execute(select(t.outbox).where(t.outbox.c.kind == "callback_cancelled")).all()
    assert sms.to_number == "+919000000002" and feeder in sms.body and "call back" in sms.body


def test_restore_cancels_callbacks_booked_through_asterisk(api: Any, services: Any) -> None:
    """Rows in `callbacks` (booked after app_queue turned the caller away) of consumers under
    the fault are cancelled with the SMS; one being dialled, or another feeder's, is left."""
    feeder, feed = demo_feeder(services), token(services, Role.FEED)
    api.post("/api/faults", json=report(feeder), headers=feed)
    now = datetime.now(UTC)
    with services.engine.begin() as conn:
        under = conn.execute(
            select(t.consumers.c.id).where(t.consumers.c.ivrs == "1000000002")
        ).scalar_one()
        elsewhere = conn.execute(
            select(t.consumers.c.id)
            .join(t.transformers, t.consumers.c.transformer_id == t.transformers.c.id)
            .join(t.feeders, t.transformers.c.feeder_id == t.feeders.c.id)
            .where(t.feeders.c.code != feeder)
            .limit(1)
        ).scalar_one()
        rows = [("a1", under, "pending"), ("a2", under, "dialling"), ("a3", elsewhere, "pending")]
        for call_id, consumer, status in rows:
            conn.execute(insert(t.callbacks).values(
                call_id=call_id, consumer_id=consumer, number="9000000002", queue="WZ-hi",
                priority=0, joined_at=now, status=status, attempts=0, created_at=now,
            ))  # fmt: skip
    restore = {"message_id": "feed-r2", "action": "restore", "asset_code": feeder}
    body = api.post("/api/faults", json=restore, headers=feed).get_json()
    assert body["callbacks_cancelled"] == 1
    with services.engine.connect() as conn:
        status = dict(conn.execute(select(t.callbacks.c.call_id, t.callbacks.c.status)).all())
        [sms] = conn.execute(select(t.outbox).where(t.outbox.c.kind == "callback_cancelled")).all()
    assert status == {"a1": "cancelled", "a2": "dialling", "a3": "pending"}
    assert sms.to_number == "9000000002" and feeder in sms.body


def _lifecycle_present() -> bool:
    try:
        from services.complaint_lifecycle import resolve_linked_to_fault  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(
    not _lifecycle_present(),
    reason="services.complaint_lifecycle.resolve_linked_to_fault not available",
)
def test_restore_resolves_the_complaints_linked_to_the_fault(api: Any, services: Any) -> None:
    out = io.StringIO()
    run_call(services, caller="9000000001", keys=["2", "1", "1"], out=out, read_line=lambda: None)
    with services.engine.connect() as conn:
        complaint = conn.execute(select(t.complaints)).one()
    assert complaint.fault_id is not None, out.getvalue()
    feeder = str(services.network.consumer_by_ivrs("1000000001")["feeder_code"])
    restore = {"message_id": "demo-restore", "action": "restore", "asset_code": feeder}
    body = api.post("/api/faults", json=restore, headers=token(services, Role.FEED)).get_json()
    assert body["outcome"] == "restored" and body["complaints_resolved"] == [complaint.id]
    with services.engine.connect() as conn:
        status = conn.execute(select(t.complaints.c.status).where(
            t.complaints.c.id == complaint.id)).scalar_one()  # fmt: skip
    assert status not in ("open", "acknowledged")
