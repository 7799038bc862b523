"""Scripted calls through the pure engine: events in, commands out (no I/O)."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ivr.commands import Enqueue, Gather, Hangup, Lookup, Record, Say
from ivr.engine import new_session, step
from ivr.errors import FlowError
from ivr.events import (
    CallerHungUp,
    CallStarted,
    DigitsEntered,
    NoInput,
    RepeatRequested,
    ResultReturned,
)
from ivr.flow import load_flow
from ivr.session import Session

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 28, 18, 0)
CONSUMER = {"id": 7, "ivrs": "1000000002", "ending": "0002", "company": "WZ"}


@pytest.fixture(scope="module")
def flow() -> Any:
    with (ROOT / "config/flows/1912.toml").open("rb") as fh:
        return load_flow(tomllib.load(fh), name="1912")


class Call:
    """Drives the engine, answering lookups and records from a table of canned answers."""

    def __init__(self, flow: Any, answers: dict[str, Any]) -> None:
        self.flow = flow
        self.answers = answers
        self.session: Session = new_session("c1", caller="", channel="test", language="hi")
        self.records: list[Record] = []
        self.lookups: list[Lookup] = []

    def send(self, event: Any) -> list[Any]:
        self.session, commands = step(self.flow, self.session, event, NOW)
        out: list[Any] = []
        while commands and isinstance(commands[-1], (Lookup, Record)):
            pending = commands[-1]
            out += commands[:-1]
            (self.records if isinstance(pending, Record) else self.lookups).append(pending)
            value = self.answers.get(pending.name)
            self.session, commands = step(
                self.flow, self.session, ResultReturned(pending.name, value), NOW
            )
        return out + list(commands)

    def prompts(self, commands: list[Any]) -> list[str]:
        ids: list[str] = []
        for c in commands:
            if isinstance(c, Say):
                ids.append(c.prompt)
            elif isinstance(c, Gather):
                ids += [s.prompt for s in c.prompts]
        return ids


def test_known_caller_registers_a_complaint_and_hears_the_docket(flow: Any) -> None:
    call = Call(
        flow,
        {
            "connections_by_caller": [CONSUMER],
            "active_fault": None,
            "complaint": {"docket": "WZ2611280000012", "limit_minutes": 1440},
        },
    )
    assert call.prompts(call.send(CallStarted("+919000000002"))) == ["welcome", "language_menu"]
    assert call.prompts(call.send(DigitsEntered("2"))) == ["connection_confirm"]
    assert call.session.language == "en"
    assert call.prompts(call.send(DigitsEntered("1"))) == ["main_menu"]
    out = call.send(DigitsEntered("1"))
    assert call.prompts(out) == ["docket_registered", "docket_sms", "goodbye"]
    assert isinstance(out[-1], Hangup)
    said = next(c for c in out if isinstance(c, Say) and c.prompt == "docket_registered")
    assert {p.name: p.value for p in said.params}["docket"] == "WZ2611280000012"
    assert call.records[0].args == (("kind", "no_supply"), ("consumer", 7))
    assert call.session.outcome is not None and call.session.outcome.kind == "docket"


def test_silence_at_the_language_menu_keeps_hindi(flow: Any) -> None:
    call = Call(flow, {"connections_by_caller": [CONSUMER]})
    call.send(CallStarted("9000000002"))
    assert call.prompts(call.send(NoInput())) == ["connection_confirm"]
    assert call.session.language == "hi"


def test_invalid_keys_explain_then_three_failures_go_to_an_operator(flow: Any) -> None:
    call = Call(
        flow,
        {
            "connections_by_caller": [CONSUMER],
            "active_fault": None,
            "queue": {"queue": "WZ-en", "priority": 0},
        },
    )
    call.send(CallStarted("9000000002"))
    call.send(DigitsEntered("2"))
    call.send(DigitsEntered("1"))
    assert call.prompts(call.send(DigitsEntered("9"))) == ["invalid_choice", "main_menu"]
    assert call.prompts(call.send(NoInput())) == ["no_input", "main_menu"]
    out = call.send(DigitsEntered("9"))  # 7 is the complaint status, 8 a transformer
    assert isinstance(out[-1], Enqueue) and out[-1].queue == "WZ-en"
    assert call.session.ended


def test_star_repeats_without_counting_a_failure(flow: Any) -> None:
    call = Call(flow, {"connections_by_caller": [CONSUMER], "active_fault": None})
    call.send(CallStarted("9000000002"))
    call.send(DigitsEntered("1"))
    call.send(DigitsEntered("1"))
    for _ in range(5):
        assert call.prompts(call.send(DigitsEntered("*"))) == ["main_menu"]
    assert call.session.failures == {}


def test_repeat_request_re_renders_the_same_turn(flow: Any) -> None:
    call = Call(flow, {"connections_by_caller": [CONSUMER]})
    first = call.send(CallStarted("9000000002"))
    turn = call.session.turn
    again = call.send(RepeatRequested())
    assert again == first[-1:] and call.session.turn == turn


def test_zero_reaches_an_operator_from_a_collect_node(flow: Any) -> None:
    call = Call(flow, {"connections_by_caller": [], "queue": {"queue": "CZ-hi", "priority": 0}})
    call.send(CallStarted("07552551234"))
    call.send(DigitsEntered("1"))
    out = call.send(DigitsEntered("0"))
    assert isinstance(out[-1], Enqueue)
    assert dict(call.lookups[-1].args)["hazard"] is False


def test_unknown_ivrs_is_retried_then_operator(flow: Any) -> None:
    call = Call(
        flow,
        {
            "connections_by_caller": [],
            "consumer_by_ivrs": None,
            "queue": {"queue": "CZ-hi", "priority": 0},
        },
    )
    call.send(CallStarted("07552551234"))
    call.send(DigitsEntered("1"))
    assert call.prompts(call.send(DigitsEntered("123"))) == ["ivrs_invalid", "enter_ivrs"]
    assert call.prompts(call.send(DigitsEntered("1234567890"))) == ["ivrs_not_found", "enter_ivrs"]
    out = call.send(DigitsEntered("1234567891"))
    assert isinstance(out[-1], Enqueue)


def test_outage_news_carries_cause_and_times(flow: Any) -> None:
    fault = {
        "id": 3,
        "cause": "tree",
        "started_at": "2026-11-28T12:30:00+00:00",
        "etr": "2026-11-28T15:00:00+00:00",
    }
    call = Call(
        flow,
        {"connections_by_caller": [CONSUMER], "active_fault": fault, "complaint": {"docket": "X"}},
    )
    call.send(CallStarted("9000000002"))
    call.send(DigitsEntered("2"))
    out = call.send(DigitsEntered("1"))
    news = next(
        c for g in out if isinstance(g, Gather) for c in g.prompts if c.prompt == "fault_news"
    )
    params = {p.name: p.value for p in news.params}
    assert params == {"cause": "cause.tree", "since": fault["started_at"], "etr": fault["etr"]}
    call.send(DigitsEntered("1"))
    assert dict(call.records[0].args)["fault"] == 3


def test_hang_up_keeps_an_outcome_already_reached(flow: Any) -> None:
    call = Call(
        flow,
        {
            "connections_by_caller": [CONSUMER],
            "active_fault": None,
            "complaint": {"docket": "WZ1"},
            "queue": {"queue": "WZ-hazard", "priority": 10},
        },
    )
    call.send(CallStarted("9000000002"))
    call.send(DigitsEntered("2"))
    call.send(DigitsEntered("1"))
    call.send(DigitsEntered("5"))
    assert call.session.outcome is not None and call.session.outcome.kind == "queued"
    call.send(CallerHungUp())
    assert call.session.outcome.kind == "queued"
    assert call.session.outcome.detail["docket"] == "WZ1"


def test_events_after_the_end_change_nothing(flow: Any) -> None:
    call = Call(flow, {"connections_by_caller": [CONSUMER]})
    call.send(CallStarted("9000000002"))
    call.send(CallerHungUp())
    before = call.session
    assert call.send(DigitsEntered("1")) == []
    assert call.session == before


def test_a_result_nobody_asked_for_is_ignored(flow: Any) -> None:
    call = Call(flow, {"connections_by_caller": [CONSUMER]})
    call.send(CallStarted("9000000002"))
    before = call.session
    assert call.send(ResultReturned("complaint", {"docket": "X"})) == []
    assert call.session == before


def test_session_round_trips_through_json(flow: Any) -> None:
    import json

    call = Call(flow, {"connections_by_caller": [CONSUMER]})
    call.send(CallStarted("9000000002"))
    data = json.loads(json.dumps(call.session.to_dict()))
    assert Session.from_dict(data) == call.session


def _collect(**extra: Any) -> dict[str, Any]:
    node = {"type": "collect", "prompt": "x", "validator": "ivrs", "max_digits": 10}
    return node | {"store": "v", "invalid_prompt": "x", "next": "a"} | extra


def test_a_single_key_at_the_ivrs_prompt_leads_to_the_transformer_code(flow: Any) -> None:
    """8 (then #) leaves the IVRS collection; the keyed pole code is looked up and the
    complaint recorded against the transformer; 10 digits are never taken for the 8."""
    transformer = {"id": 3, "code": "2010010001", "company": "CZ"}
    call = Call(
        flow,
        {
            "connections_by_caller": [],
            "transformer_by_code": transformer,
            "transformer_complaint": {"docket": "CZ2611280000017", "limit_minutes": 4320},
        },
    )
    call.send(CallStarted("9812345678"))
    assert call.prompts(call.send(DigitsEntered("2"))) == ["enter_ivrs"]
    assert call.prompts(call.send(DigitsEntered("8#"))) == ["enter_transformer_code"]
    assert call.prompts(call.send(DigitsEntered("12"))) == [
        "transformer_code_invalid",
        "enter_transformer_code",
    ]
    out = call.send(DigitsEntered("2010010001"))
    assert dict(call.lookups[-1].args)["value"] == "2010010001"
    assert [r.name for r in call.records] == ["transformer_complaint"]
    assert call.session.vars["transformer"] == transformer
    assert "docket_registered" in call.prompts(out) and isinstance(out[-1], Hangup)
    assert call.session.outcome is not None and call.session.outcome.kind == "docket"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"start": "a", "nodes": {"a": {"type": "dance"}}}, "t.nodes.a.type: unknown node type"),
        (
            {"start": "a", "nodes": {"a": {"type": "say", "prompt": "x", "next": "b"}}},
            "t.nodes.a.next: no node named 'b'",
        ),
        (
            {"start": "a", "nodes": {"a": {"type": "menu", "prompt": "x", "options": {"12": "a"}}}},
            "t.nodes.a.options: keys must be single keypad keys",
        ),
        (
            {
                "start": "a",
                "nodes": {
                    "a": {
                        "type": "collect",
                        "prompt": "x",
                        "validator": "nope",
                        "max_digits": 2,
                        "store": "v",
                        "invalid_prompt": "x",
                        "next": "a",
                    }
                },
            },
            "t.nodes.a.validator: unknown validator",
        ),
        (
            {"start": "a", "nodes": {"a": _collect(options={"88": "a"})}},
            "t.nodes.a.options: keys must be single keypad keys",
        ),
        (
            {"start": "a", "nodes": {"a": _collect(options={"8": "b"})}},
            "t.nodes.a.options.8: no node named 'b'",
        ),
        (
            {"start": "a", "nodes": {"a": {"type": "hangup", "colour": "red"}}},
            "t.nodes.a: unknown key(s) colour",
        ),
        (
            {
                "start": "a",
                "nodes": {
                    "a": {"type": "say", "prompt": "x", "next": "a", "params": {"n": "shout:x"}}
                },
            },
            "t.nodes.a.params.n: unknown kind 'shout'",
        ),
    ],
)
def test_bad_flows_are_refused_with_the_path(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(FlowError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_flow(spec, name="t")
