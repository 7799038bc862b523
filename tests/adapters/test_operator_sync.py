"""Operator changes in the helpline become the right AMI actions for app_queue."""

from __future__ import annotations

import tomllib
from pathlib import Path

from dialplans.operator_sync import actions_for
from routing.operators import Operator, Tier
from routing.queues import Company, Language, load_queue_definitions

ROOT = Path(__file__).resolve().parents[2]
QUEUES = load_queue_definitions(tomllib.loads((ROOT / "config/queues.toml").read_text("utf-8")))
OP = Operator(
    id="cz-op09",
    name="Geeta",
    phone="+918500000009",
    sip_interface="PJSIP/cz-op09",
    languages=frozenset({Language("hi")}),
    companies=frozenset({Company("CZ")}),
    tier=Tier.STANDBY_1,
)


def test_ready_from_offline_joins_the_operators_queues_then_unpauses() -> None:
    actions = actions_for(OP, "ready", "", QUEUES, was_offline=True)
    adds = [a for a in actions if a.name == "QueueAdd"]
    assert {a.headers["Queue"] for a in adds} == {"CZ-hi", "CZ-hazard"}
    assert all(a.headers["Penalty"] == "1" and a.as_list is False for a in adds)
    assert actions[-1].name == "QueuePause" and actions[-1].headers["Paused"] == "false"


def test_pause_carries_the_reason_and_logout_leaves_every_queue() -> None:
    (paused,) = actions_for(OP, "pause", "tea", QUEUES, was_offline=False)
    assert paused.headers["Reason"] == "tea" and paused.headers["Paused"] == "true"
    removed = actions_for(OP, "logout", "", QUEUES, was_offline=False)
    assert {a.name for a in removed} == {"QueueRemove"} and len(removed) == 2
