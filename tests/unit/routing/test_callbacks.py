"""Callback offer threshold and which pending callbacks a restoration cancels."""

from __future__ import annotations

from routing.callbacks import Callback, should_offer, to_cancel
from routing.queues import load_queue_definitions
from routing.wait import WaitEstimate

QUEUES = load_queue_definitions(
    {
        "queues": {
            "CZ-hi": {"company": "CZ", "language": "hi", "callback_offer_s": 180},
            "CZ-hazard": {"company": "CZ", "hazard": True, "callback_offer_s": False},
        }
    }
)


def callback(consumer: str, fault: str | None) -> Callback:
    return Callback(consumer, "+91", "CZ-hi", 0, 1.0, 2.0, fault_id=fault)


def test_offer_only_past_the_threshold_and_never_for_hazards() -> None:
    assert not should_offer(QUEUES["CZ-hi"], WaitEstimate(179, True))
    assert should_offer(QUEUES["CZ-hi"], WaitEstimate(180, True))
    assert not should_offer(QUEUES["CZ-hazard"], WaitEstimate(3600, False))


def test_cancel_by_fault_or_by_consumer() -> None:
    pending = [callback("1", "F1"), callback("2", "F2"), callback("3", None)]
    assert [c.consumer_id for c in to_cancel(pending, restored_faults={"F1"})] == ["1"]
    assert [c.consumer_id for c in to_cancel(pending, consumers={"3"})] == ["3"]
    assert to_cancel(pending) == []
