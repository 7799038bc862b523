"""Queue definitions: the shipped file, strict validation with paths, choosing a queue."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from routing.errors import RoutingError
from routing.queues import (
    Company,
    Language,
    QueueConfigError,
    Strategy,
    choose_queue,
    decode_score,
    load_queue_definitions,
    waiting_score,
)

QUEUES_FILE = Path(__file__).parents[3] / "config" / "queues.toml"


def shipped() -> dict[str, object]:
    return tomllib.loads(QUEUES_FILE.read_text(encoding="utf-8"))


def test_shipped_file_has_a_queue_per_company_and_language_plus_hazard() -> None:
    queues = load_queue_definitions(shipped())
    expected = {f"{c}-{x}" for c in ("EZ", "CZ", "WZ") for x in ("hi", "en", "hazard")}
    assert set(queues.names) == expected
    hazard, normal = queues["CZ-hazard"], queues["CZ-hi"]
    assert hazard.hazard and hazard.language is None and hazard.company is Company.CZ
    assert hazard.weight > max(q.weight for q in queues if not q.hazard)
    assert normal.service_level_s == 20 and normal.strategy is Strategy.LEASTRECENT
    assert normal.overflow_target in queues


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"strategy": "best"}, "queues.CZ-hi.strategy: unknown strategy 'best'"),
        ({"weight": True}, "queues.CZ-hi.weight: expected an integer"),
        ({"caller_priority": 5000}, "queues.CZ-hi.caller_priority: must be between 0 and 1000"),
        ({"colour": "red"}, "queues.CZ-hi.colour: unknown field"),
        ({"language": "fr"}, "queues.CZ-hi.language: unknown language 'fr'"),
        ({"overflow_target": "nowhere"}, "queues.CZ-hi.overflow_target: no other queue"),
        ({"overflow_target": False}, "queues.CZ-hi: overflow_target and overflow_after_s go"),
        ({"ring_timeout_s": 0}, "queues.CZ-hi.ring_timeout_s: must be >= 1"),
    ],
)
def test_bad_values_name_their_path(patch: dict[str, object], message: str) -> None:
    data = shipped()
    data["queues"]["CZ-hi"].update(patch)  # type: ignore[index]
    with pytest.raises(QueueConfigError) as error:
        load_queue_definitions(data)
    assert str(error.value).startswith(message)


def test_defaults_apply_and_may_not_set_per_queue_fields() -> None:
    data = {"defaults": {"wrapup_s": 3}, "queues": {"q": {"company": "EZ", "language": "en"}}}
    assert load_queue_definitions(data)["q"].wrapup_s == 3
    with pytest.raises(QueueConfigError, match=r"^defaults\.company: unknown field"):
        load_queue_definitions({"defaults": {"company": "EZ"}, "queues": data["queues"]})


def test_a_normal_queue_needs_a_language() -> None:
    with pytest.raises(QueueConfigError, match=r"^queues\.q\.language: missing"):
        load_queue_definitions({"queues": {"q": {"company": "EZ"}}})


def test_choose_queue_by_company_language_and_hazard() -> None:
    queues = load_queue_definitions(shipped())
    name, priority = choose_queue(queues, company="WZ", language="en", hazard=False)
    assert name == "WZ-en"
    hazard_name, hazard_priority = choose_queue(
        queues, company=Company.WZ, language=Language.EN, hazard=True
    )
    assert hazard_name == "WZ-hazard" and hazard_priority > priority
    with pytest.raises(RoutingError):
        choose_queue(queues, company="XX", language="hi", hazard=False)


def test_score_orders_priority_before_join_time_and_round_trips() -> None:
    assert waiting_score(1, 2e9) < waiting_score(0, 1e9)
    assert waiting_score(0, 1e9) < waiting_score(0, 1e9 + 0.001)
    for priority, joined in [(0, 1.7e9), (1000, 1.7e9 + 0.5), (3, 4.1e9)]:
        assert decode_score(waiting_score(priority, joined)) == (priority, joined)
