"""Queue events mirrored into the call records of a call the FastAGI server handled (real SQL),
and operator changes turned into AMI actions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from dialplans import actions, agi_peer
from dialplans.agi import FastAgiServer
from dialplans.events import (
    CallerAbandoned,
    CallerJoined,
    CallerLeft,
    OperatorConnected,
    OperatorFinished,
)
from dialplans.frontends import ivr_over_agi
from dialplans.mirror import QueueMirror
from dialplans.records import SqlOperators, SqlQueueCallLog
from routing.operators import Operator, Tier
from routing.queues import Company, Language
from store import schema as t


def queued_call(services: Any, call_id: str) -> str:
    """Run an AGI call that asks for an operator; the queue the IVR chose."""

    async def run() -> agi_peer.PeerLog:
        runner = ivr_over_agi(
            services,
            threads=2,
        )
        server = FastAgiServer(runner)
        host, port = await server.start("127.0.0.1", 0)
        try:
            return await agi_peer.call(
                host, port, uniqueid=call_id, caller="9000000002", answers=["2", "0"]
            )
        finally:
            await server.close()

    return asyncio.run(run()).variables["HELPLINE_QUEUE"]


def row(services: Any, call_id: str) -> Any:
    with services.engine.connect() as conn:
        return conn.execute(select(t.calls).where(t.calls.c.call_id == call_id)).one()


def test_answered_call_gets_operator_wait_and_talk_time(services: Any, clock: Any) -> None:
    queue = queued_call(services, "1795870900.3")
    operators = SqlOperators(services.engine)
    operator = next(o for o in operators.all() if o.sip_interface)
    mirror = QueueMirror(operators=operators, calls=SqlQueueCallLog(services.engine), clock=clock)
    mirror.apply(CallerJoined("1795870900.3", queue, 1, "PJSIP/trunk-01"))
    clock.advance(seconds=14)
    mirror.apply(CallerLeft("1795870900.3", queue))
    mirror.apply(OperatorConnected("1795870900.3", queue, operator.sip_interface, 14))
    clock.advance(seconds=95)
    mirror.apply(OperatorFinished("1795870900.3", queue, operator.sip_interface, 14, 95, "caller"))
    call = row(services, "1795870900.3")
    assert (call.queue, call.priority, call.operator_id) == (queue, 0, operator.id)
    assert (call.queue_result, call.wait_s, call.talk_s) == ("answered", 14, 95)
    assert call.duration_s is not None and call.duration_s >= 109
    assert call.ended_at is not None and call.answered_at is not None


def test_abandoned_call_is_recorded_as_such(services: Any, clock: Any) -> None:
    queue = queued_call(services, "1795870900.4")
    mirror = QueueMirror(
        operators=SqlOperators(services.engine), calls=SqlQueueCallLog(services.engine), clock=clock
    )
    clock.advance(seconds=40)
    mirror.apply(CallerAbandoned("1795870900.4", queue, 40))
    call = row(services, "1795870900.4")
    assert (call.queue_result, call.wait_s, call.operator_id) == ("abandoned", 40, None)


def test_events_for_calls_we_never_saw_change_nothing(services: Any, clock: Any) -> None:
    mirror = QueueMirror(
        operators=SqlOperators(services.engine), calls=SqlQueueCallLog(services.engine), clock=clock
    )
    mirror.apply(CallerAbandoned("no-such-call", "CZ-hi", 3))
    assert mirror.applied == 1
    with services.engine.connect() as conn:
        assert conn.execute(select(t.calls)).all() == []


def test_operator_lookup_by_interface(services: Any) -> None:
    operators = SqlOperators(services.engine)
    known = next(o for o in operators.all() if o.sip_interface)
    assert operators.operator_for(known.sip_interface) == known.id
    assert operators.operator_for("PJSIP/nobody") is None


# --- operator changes -> AMI actions ----------------------------------------------------------

STANDBY = Operator(
    "cz-op09",
    "Standby",
    "+91",
    "PJSIP/cz-op09",
    frozenset({Language.HI}),
    frozenset({Company.CZ}),
    Tier.STANDBY_1,
)


def test_log_in_joins_served_queues_paused_with_the_tier_penalty(services: Any) -> None:
    batch = actions.log_in(STANDBY, services.queues)
    assert {a.headers["Queue"] for a in batch} == {"CZ-hi", "CZ-hazard"}
    assert all(a.name == "QueueAdd" and not a.as_list for a in batch)
    assert all((a.headers["Penalty"], a.headers["Paused"]) == ("1", "true") for a in batch)
    assert [a.name for a in actions.log_out(STANDBY, services.queues)] == ["QueueRemove"] * 2


def test_ready_pause_and_storm_call_in() -> None:
    assert actions.make_ready(STANDBY)[0].as_dict() == {
        "Action": "QueuePause",
        "Interface": "PJSIP/cz-op09",
        "Paused": "false",
    }
    assert actions.pause(STANDBY, "lunch")[0].headers["Reason"] == "lunch"
    assert actions.call_in(STANDBY, Tier.PRIMARY)[0].as_dict() == {
        "Action": "QueuePenalty",
        "Interface": "PJSIP/cz-op09",
        "Penalty": "0",
    }


def test_originate_is_asynchronous_and_carries_variables() -> None:
    action = actions.originate(
        action_id="cb-17-1",
        channel="PJSIP/trunk/9000000002",
        context="helpline-callback",
        exten="s",
        caller_id="1912",
        timeout_s=25,
        variables={"CALLBACK_ID": "17", "LANG": "hi"},
    )
    sent = action.as_dict()
    assert (sent["Async"], sent["Timeout"], sent["ActionID"]) == ("true", "25000", "cb-17-1")
    assert sent["Variable"] == ["CALLBACK_ID=17", "LANG=hi"]
    assert not action.as_list


@pytest.mark.parametrize("paused", [True, False])
def test_queue_add_paused_flag(paused: bool) -> None:
    add = actions.queue_add("q", "PJSIP/a", name="a", penalty=0, paused=paused)
    assert add.headers["Paused"] == ("true" if paused else "false")
