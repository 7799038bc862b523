"""The JSON API: bearer tokens and roles, the live view, operator actions and the ACD."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from store.tokens import Role, SqlTokens
from webhooks.app import create_app


@pytest.fixture
def api(services: Any) -> Any:
    services.extras["routing"].sync_operators()
    return create_app(services).test_client()


def token(services: Any, role: Role, operator: str | None = None) -> dict[str, str]:
    value = SqlTokens(services.engine).create(role, datetime.now(UTC), operator_id=operator)
    return {"Authorization": f"Bearer {value}"}


def test_live_needs_a_valid_token(api: Any, services: Any) -> None:
    assert api.get("/api/live").status_code == 401
    assert api.get("/api/live", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.get("/api/live", headers={"Authorization": "Basic abc"}).status_code == 401
    feed = token(services, Role.FEED)
    assert api.get("/api/live", headers=feed).status_code == 403
    assert api.get("/api/live", headers=token(services, Role.ADMIN)).status_code == 200


def test_revoked_token_is_refused(api: Any, services: Any) -> None:
    tokens = SqlTokens(services.engine)
    value = tokens.create(Role.ADMIN, datetime.now(UTC))
    principal = tokens.verify(value)
    assert principal is not None
    tokens.revoke(principal.token_id, datetime.now(UTC))
    assert api.get("/api/live", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_ready_operator_takes_the_highest_priority_caller(api: Any, services: Any) -> None:
    routing = services.extras["routing"]
    routing.join("call-normal", "WZ-hi", 0)
    services.clock.advance(seconds=5)
    routing.join("call-hazard", "WZ-hazard", 100)
    admin = token(services, Role.ADMIN)
    live = api.get("/api/live", headers=admin).get_json()
    assert live["queues"]["WZ-hi"]["waiting"] == 1 and live["queues"]["WZ-hazard"]["waiting"] == 1
    ops = {o["id"]: o for o in live["operators"]}
    assert ops["wz-op01"]["state"] == "offline"

    answer = api.post("/api/operators/wz-op01/ready", headers=admin)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["state"] == "ringing" and body["caller"].endswith("call-hazard")
    live = api.get("/api/live", headers=admin).get_json()
    assert live["queues"]["WZ-hazard"]["waiting"] == 0
    assert live["queues"]["WZ-hi"]["waiting"] == 1


def test_operator_token_acts_only_for_its_operator(api: Any, services: Any) -> None:
    mine = token(services, Role.OPERATOR, "cz-op01")
    assert api.post("/api/operators/cz-op01/login", headers=mine).status_code == 200
    assert api.post("/api/operators/cz-op02/login", headers=mine).status_code == 403
    paused = api.post("/api/operators/cz-op01/pause", headers=mine, json={"reason": "tea"})
    assert paused.get_json()["state"] == "paused" and paused.get_json()["reason"] == "tea"


def test_bad_requests_are_refused_and_change_nothing(api: Any, services: Any) -> None:
    admin = token(services, Role.SUPERVISOR)
    assert api.post("/api/operators/cz-op01/dance", headers=admin).status_code == 404
    assert api.post("/api/operators/nobody/ready", headers=admin).status_code == 404
    assert api.post("/api/operators/cz-op01/pause", headers=admin, json={}).status_code == 400
    assert (
        api.post(
            "/api/operators/cz-op01/pause",
            headers=admin,
            data="not json",
            content_type="application/json",
        ).status_code
        == 400
    )
    # offline → pause is not a valid transition: 409 with the state, and still offline
    refused = api.post("/api/operators/cz-op01/pause", headers=admin, json={"reason": "x"})
    assert refused.status_code == 409 and refused.get_json()["state"] == "offline"
    live = api.get("/api/live", headers=admin).get_json()
    assert {o["id"]: o["state"] for o in live["operators"]}["cz-op01"] == "offline"


def test_redis_down_is_a_clear_503(api: Any, services: Any) -> None:
    import redis

    from store.live_routing import RedisLiveState

    services.extras["routing"].live = RedisLiveState(
        redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2), services.queues
    )
    response = api.get("/api/live", headers=token(services, Role.ADMIN))
    assert response.status_code == 503 and "unavailable" in response.get_json()["error"]


def test_a_round_after_redis_lost_its_data_reloads_the_operators(
    api: Any, services: Any, caplog: Any
) -> None:
    routing = services.extras["routing"]
    assert routing.live.knows_operators()
    services.redis.flushdb()  # a Redis restarted without persistence
    assert not routing.live.knows_operators()
    with caplog.at_level("WARNING"):
        assert routing.dispatch() == []  # nobody waits, nobody is ready
    assert routing.live.knows_operators()
    assert "reloading from SQL" in caplog.text
    ops = {view.operator.id for view in routing.live.operators(services.clock().timestamp())}
    assert "wz-op01" in ops


def test_the_live_view_after_redis_lost_its_data_lists_the_operators(
    api: Any, services: Any
) -> None:
    admin = token(services, Role.ADMIN)  # tokens live in SQL: they outlive Redis
    services.redis.flushdb()
    live = api.get("/api/live", headers=admin).get_json()
    ops = {o["id"]: o["state"] for o in live["operators"]}
    assert ops.get("wz-op01") == "offline"
