"""Storm mode in the server: faults in, standby operators called in and stood down, decisions
recorded, notices posted, overrides through the API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from routing.operators import OperatorState
from routing.queues import Company
from services.routing_service import OperatorAction
from services.storm_service import storm_settings
from store import schema as t
from store.tokens import Role, SqlTokens
from webhooks.app import create_app


class FakeAmi:
    """Records QueueAdd requests as the AMI link would send them."""

    def __init__(self) -> None:
        self.added: list[tuple[str, str, int]] = []

    def add_member(self, queue: str, interface: str, penalty: int) -> None:
        self.added.append((queue, interface, penalty))


@pytest.fixture
def storm(services: Any) -> Any:
    routing = services.extras["routing"]
    routing.sync_operators()
    for n in range(1, 7):  # the West company's six primary operators at work
        assert routing.act(f"wz-op{n:02d}", OperatorAction.READY).ok
    assert routing.act("wz-op07", OperatorAction.STANDBY).ok  # a standby-1 in the building
    services.extras["ami"] = FakeAmi()
    return services.extras["storm"]


def big_fault(services: Any, message_id: str = "storm-1") -> dict[str, Any]:
    feeder = services.network.consumer_by_ivrs("1000000002")["feeder_code"]
    result = services.extras["faults"].submit(
        {"message_id": message_id, "action": "report", "asset_code": feeder, "level": "feeder",
         "cause": "wind", "consumers_affected": 60000},
        source="feed", actor="test",
    )  # fmt: skip
    assert result.outcome.value == "opened", result
    return result.fault


def state_of(services: Any, operator: str) -> OperatorState:
    live = services.extras["routing"].live
    return live.operator_status(operator, services.clock().timestamp()).state


def bearer_headers(services: Any) -> tuple[dict[str, str], dict[str, str]]:
    """Authorization headers of a supervisor (asha) and of operator cz-op01."""
    tokens = SqlTokens(services.engine)
    supervisor = tokens.create(Role.SUPERVISOR, datetime.now(UTC), label="asha")
    operator = tokens.create(Role.OPERATOR, datetime.now(UTC), operator_id="cz-op01")
    return ({"Authorization": f"Bearer {supervisor}"}, {"Authorization": f"Bearer {operator}"})


def rows(services: Any, table: Any) -> list[Any]:
    with services.engine.connect() as conn:
        return conn.execute(select(table).order_by(table.c.id)).all()


def test_a_storm_calls_in_standby_and_the_calm_stands_them_down(services: Any, storm: Any) -> None:
    fault = big_fault(services)
    decisions = {d.company: d for d in storm.tick()}
    west = decisions[Company.WZ]
    assert west.action == "storm_on+scale_up", west.reason
    assert state_of(services, "wz-op07") is OperatorState.READY
    assert ("WZ-hi", "PJSIP/wz-op07", 1) in services.extras["ami"].added
    callouts = [m for m in rows(services, t.outbox) if m.kind == "storm_callout"]
    assert callouts and all(m.to_number.startswith("+918") for m in callouts)
    assert len(callouts) == len(west.state.called_out)
    assert storm_settings(services.redis, Company.WZ)["on"] is True
    assert decisions[Company.CZ].action == "hold"  # the demo Central fault is small
    [row] = [r for r in rows(services, t.storm_decisions) if r.company == "WZ"]
    assert row.action == "storm_on+scale_up" and row.staffed_operators == 6
    assert row.inputs["faults"] == 1 and row.reason == west.reason
    notices = [json.loads(n) for n in services.redis.lrange("h1912:notices", 0, -1)]
    assert any(n["company"] == "WZ" and n["text"].startswith("storm_on") for n in notices)

    services.clock.advance(minutes=1)
    assert storm.tick()[list(Company).index(Company.WZ)].action == "hold"
    assert len(rows(services, t.storm_decisions)) == 1
    assert len([m for m in rows(services, t.outbox) if m.kind == "storm_callout"]) == len(callouts)

    services.extras["faults"].submit(
        {"message_id": "storm-2", "action": "restore", "asset_code": fault["asset_code"]},
        source="feed", actor="test",
    )  # fmt: skip
    services.clock.advance(minutes=25)
    west = {d.company: d for d in storm.tick()}[Company.WZ]
    assert "scale_down" in west.action and "storm_off" in west.action, west.reason
    assert state_of(services, "wz-op07") is OperatorState.STANDBY
    assert storm_settings(services.redis, Company.WZ)["on"] is False


def test_an_operator_on_a_call_stands_down_after_it(services: Any, storm: Any) -> None:
    fault = big_fault(services)
    storm.tick()
    routing = services.extras["routing"]
    routing.join("busy-call", "WZ-hazard", 100)  # someone rings wz-op07 or a primary
    working = [f"wz-op{n:02d}" for n in range(1, 8)]
    ringing = [op for op in working if state_of(services, op) is OperatorState.RINGING]
    assert ringing
    services.extras["faults"].submit(
        {"message_id": "s-r", "action": "restore", "asset_code": fault["asset_code"]},
        source="feed", actor="test",
    )  # fmt: skip
    services.clock.advance(minutes=25)
    storm.tick()
    kept = storm.state(Company.WZ).activated
    if ringing[0] == "wz-op07":
        assert "wz-op07" in kept  # could not stand down while ringing: kept for the next round
    else:
        assert state_of(services, "wz-op07") is OperatorState.STANDBY


def test_overrides_and_status_through_the_api(services: Any, storm: Any) -> None:
    api = create_app(services).test_client()
    supervisor, operator = bearer_headers(services)
    body = {"company": "CZ", "mode": "on"}
    assert api.post("/api/storm/override", json=body, headers=operator).status_code == 403
    bad = api.post("/api/storm/override", json={"mode": "maybe"}, headers=supervisor)
    assert bad.status_code == 422 and "mode" in bad.get_json()["error"]
    ok = api.post("/api/storm/override", json=body, headers=supervisor)
    assert ok.status_code == 200 and ok.get_json()["companies"] == ["CZ"]
    central = {d.company: d for d in storm.tick()}[Company.CZ]
    assert central.action.startswith("storm_on") and "override on" in central.reason
    status = api.get("/api/storm", headers=operator)
    assert status.status_code == 200
    data = status.get_json()
    assert set(data["companies"]) == {"EZ", "CZ", "WZ"}
    assert data["companies"]["WZ"]["staffed"] == 6
    assert data["companies"]["CZ"]["override"] == "on"
    assert data["companies"]["CZ"]["settings"]["on"] is True
    assert data["decisions"][0]["company"] == "CZ"
    assert data["target"] == {"service_level": 0.8, "within_s": 20.0}
    audit = [r.action for r in rows(services, t.audit_log)]
    assert "storm_override" in audit


def test_observed_arrivals_raise_the_plan(services: Any, storm: Any) -> None:
    routing = services.extras["routing"]
    quiet = storm.gather(Company.WZ, services.clock())
    for n in range(60):
        routing.live.enqueue(f"obs-{n}", "WZ-hi", 0, services.clock().timestamp())
    busy = storm.gather(Company.WZ, services.clock())
    assert busy.observed_calls_per_hour > quiet.observed_calls_per_hour
    assert busy.staffed == quiet.staffed == 6
    assert {m.operator_id for m in busy.pool} >= {"wz-op08", "wz-op14"}


def test_a_storm_warning_calls_standby_in_before_the_storm(services: Any, storm: Any) -> None:
    api = create_app(services).test_client()
    supervisor, operator = bearer_headers(services)
    # 11:30 in India: a red warning for 12:30-16:00 is inside its 90-minute lead time
    body = {"company": "WZ", "from": "12:30", "until": "16:00", "level": "red", "note": "IMD"}
    assert api.post("/api/storm/warning", json=body, headers=operator).status_code == 403
    for bad, word in (({**body, "level": "purple"}, "level"),
                      ({**body, "until": "2026-11-27T10:00+05:30"}, "after from"),
                      ({**body, "calls_per_hour": 900}, "either"),
                      ({**body, "from": "soon"}, "from")):  # fmt: skip
        refused = api.post("/api/storm/warning", json=bad, headers=supervisor)
        assert refused.status_code == 422 and word in refused.get_json()["error"], bad
    assert storm.warning(Company.WZ) is None
    made = api.post("/api/storm/warning", json=body, headers=supervisor)
    assert made.status_code == 201
    warning = made.get_json()["warning"]
    assert warning["from"] == "2026-11-27T12:30:00+05:30"
    assert warning["until"] == "2026-11-27T16:00:00+05:30"
    assert warning["calls_per_hour"] == storm.config.warning_calls_per_hour("red")
    assert warning["set_by"] == "supervisor:asha"

    west = {d.company: d for d in storm.tick()}[Company.WZ]
    assert west.action == "scale_up" and "storm warning" in west.reason
    assert west.state.mode.value == "normal"  # storm settings wait for the storm itself
    assert state_of(services, "wz-op07") is OperatorState.READY
    status = api.get("/api/storm", headers=operator).get_json()
    assert status["companies"]["WZ"]["warning"]["note"] == "IMD"
    assert status["companies"]["CZ"]["warning"] is None
    ttl = services.redis.ttl("h1912:storm:warning:WZ")
    assert 4 * 3600 < ttl <= 4.5 * 3600  # gone by itself when the warning ends

    cleared = api.delete("/api/storm/warning?company=WZ", headers=supervisor)
    assert cleared.status_code == 200 and storm.warning(Company.WZ) is None
    audit = [r.action for r in rows(services, t.audit_log)]
    assert audit.count("storm_warning") == 2
