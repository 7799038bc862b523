from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from complaints.errors import ComplaintError
from complaints.escalation import (
    EscalationLadder,
    EscalationLevel,
    EscalationRule,
    default_escalation_config,
    due_escalations,
    load_escalation_ladder,
)

IST = timezone(timedelta(hours=5, minutes=30))
REGISTERED = datetime(2026, 7, 1, 10, 0, tzinfo=IST)
DEADLINE = REGISTERED + timedelta(hours=4)
LADDER = load_escalation_ladder(default_escalation_config())
NONE: frozenset[str] = frozenset()


def levels_due(hours: float, notified: frozenset[str] = NONE) -> list[str]:
    now = REGISTERED + timedelta(hours=hours)
    return [
        s.level.value for s in due_escalations(REGISTERED, DEADLINE, notified, now, ladder=LADDER)
    ]


def test_default_ladder() -> None:
    assert load_escalation_ladder(default_escalation_config()) == EscalationLadder(
        (
            EscalationRule(EscalationLevel.AE, 0.5),
            EscalationRule(EscalationLevel.EE, 1.0),
            EscalationRule(EscalationLevel.SE, 1.5),
            EscalationRule(EscalationLevel.CGM, 2.0),
        )
    )


def test_steps_fall_due_at_fractions_of_the_limit() -> None:
    assert levels_due(1.99) == []
    assert levels_due(2) == ["AE"]
    assert levels_due(4, frozenset({"AE"})) == ["EE"]
    assert levels_due(6, frozenset({"AE", "EE"})) == ["SE"]
    assert levels_due(8, frozenset({"AE", "EE", "SE"})) == ["CGM"]
    assert levels_due(100, frozenset({"AE", "EE", "SE", "CGM"})) == []


def test_a_late_scheduler_gets_every_missed_step_in_order() -> None:
    assert levels_due(7) == ["AE", "EE", "SE"]


def test_step_details() -> None:
    now = REGISTERED + timedelta(hours=4, minutes=1)
    steps = due_escalations(
        REGISTERED,
        DEADLINE,
        frozenset({EscalationLevel.AE}),
        now,
        ladder=LADDER,
        force_majeure=True,
    )
    assert len(steps) == 1
    step = steps[0]
    assert (step.level, step.due_at, step.past_deadline, step.force_majeure) == (
        EscalationLevel.EE,
        DEADLINE,
        True,
        True,
    )
    first = due_escalations(REGISTERED, DEADLINE, NONE, now, ladder=LADDER)[0]
    assert not first.past_deadline and not first.force_majeure


@given(st.integers(0, 12 * 60), st.sets(st.sampled_from(["AE", "EE", "SE", "CGM"])))
def test_due_steps_are_exactly_those_passed_and_not_notified(
    minutes: int, notified: set[str]
) -> None:
    now = REGISTERED + timedelta(minutes=minutes)
    steps = due_escalations(REGISTERED, DEADLINE, frozenset(notified), now, ladder=LADDER)
    # The 4-hour limit puts the steps at 120, 240, 360 and 480 minutes.
    passed = {"AE": 120, "EE": 240, "SE": 360, "CGM": 480}
    expected = [lvl for lvl, at in passed.items() if at <= minutes and lvl not in notified]
    assert [s.level for s in steps] == expected
    assert all(s.due_at <= now for s in steps)


def test_deadline_must_follow_registration() -> None:
    with pytest.raises(ComplaintError):
        due_escalations(REGISTERED, REGISTERED, NONE, REGISTERED, ladder=LADDER)


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ({}, "escalation.steps"),
        ({"steps": []}, "escalation.steps"),
        ({"steps": "AE"}, "escalation.steps"),
        ({"steps": [{"level": "XE", "at_fraction": 0.5}]}, "escalation.steps[0].level"),
        ({"steps": [{"level": "AE"}]}, "escalation.steps[0].at_fraction"),
        ({"steps": [{"level": "AE", "at_fraction": 0}]}, "escalation.steps[0].at_fraction"),
        ({"steps": [{"level": "AE", "at_fraction": 0.5, "sms": True}]}, "escalation.steps[0].sms"),
        (
            {"steps": [{"level": "EE", "at_fraction": 0.5}, {"level": "AE", "at_fraction": 1}]},
            "escalation.steps[1].level",
        ),
        (
            {"steps": [{"level": "AE", "at_fraction": 1}, {"level": "EE", "at_fraction": 1}]},
            "escalation.steps[1].at_fraction",
        ),
        ({"steps": [{"level": "AE", "at_fraction": 1}], "owner": "JE"}, "escalation.owner"),
    ],
)
def test_bad_ladder_names_the_path(config: dict[str, object], path: str) -> None:
    with pytest.raises(ComplaintError) as raised:
        load_escalation_ladder(config)
    assert str(raised.value).startswith(path + ":")
