"""The operator state machine: every cell of the table, rejections, timestamps, wrap-up."""

from __future__ import annotations

import pytest

from routing.operators import (
    NO_ANSWER_REASON,
    TRANSITIONS,
    Answered,
    CallerLeft,
    HungUp,
    LoggedIn,
    LoggedOut,
    MadeReady,
    NotAnswered,
    Offered,
    OperatorEvent,
    OperatorState,
    OperatorStatus,
    Paused,
    Rejected,
    StoodBy,
    is_available,
    settle,
    transition,
)

S = OperatorState
EVENTS: list[OperatorEvent] = [
    LoggedIn(),
    LoggedOut(),
    MadeReady(),
    Paused("tea"),
    StoodBy(),
    Offered("call:c1", "CZ-hi"),
    Answered(),
    NotAnswered(),
    CallerLeft(),
    HungUp(10),
]


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_every_state_event_pair_follows_the_table(state: S, event: OperatorEvent) -> None:
    before = OperatorStatus(state, 100.0, caller="call:c0", queue="CZ-hi")
    after = transition(before, event, 200.0)
    expected = TRANSITIONS[state].get(type(event))
    if expected is None:
        assert isinstance(after, Rejected) and after.state is state
        assert state.value in after.message
    else:
        assert isinstance(after, OperatorStatus)
        assert after.state is expected and after.since == 200.0


def test_no_ringing_an_operator_who_is_paused_or_busy() -> None:
    for state in (S.PAUSED, S.STANDBY, S.ON_CALL, S.RINGING, S.OFFLINE):
        assert isinstance(transition(OperatorStatus(state, 0.0), Offered("c", "q"), 1.0), Rejected)


def test_a_call_cycle_keeps_the_strategy_statistics() -> None:
    status = OperatorStatus(S.READY, 0.0)
    for event, at in [(Offered("call:c1", "CZ-hi"), 1.0), (Answered(), 5.0), (HungUp(30), 65.0)]:
        result = transition(status, event, at)
        assert isinstance(result, OperatorStatus)
        status = result
    assert (status.state, status.calls_taken, status.last_call_end) == (S.WRAP_UP, 1, 65.0)
    assert status.wrapup_until == 95.0
    assert not is_available(status, 94.9) and is_available(status, 95.0)
    settled = settle(status, 100.0)
    assert settled.state is S.READY and settled.since == 95.0 and settled.caller is None


def test_no_answer_pauses_with_its_reason() -> None:
    ringing = OperatorStatus(S.RINGING, 0.0, caller="call:c1", queue="CZ-hi")
    paused = transition(ringing, NotAnswered(), 15.0)
    assert isinstance(paused, OperatorStatus)
    assert paused.reason == NO_ANSWER_REASON and paused.caller is None


def test_pause_reason_is_kept_and_cleared_on_ready() -> None:
    paused = transition(OperatorStatus(S.READY, 0.0), Paused("lunch"), 1.0)
    assert isinstance(paused, OperatorStatus) and paused.reason == "lunch"
    back = transition(paused, MadeReady(), 2.0)
    assert isinstance(back, OperatorStatus) and back.reason is None


def test_expired_wrap_up_takes_events_as_ready() -> None:
    wrap = OperatorStatus(S.WRAP_UP, 0.0, wrapup_until=10.0)
    assert isinstance(transition(wrap, Offered("c", "q"), 9.0), Rejected)
    assert isinstance(transition(wrap, Offered("c", "q"), 10.0), OperatorStatus)
