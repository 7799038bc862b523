"""Asterisk mode: app_queue's facts, as the AMI mirror reports them, shown in the live state."""

from __future__ import annotations

from typing import Any

from dialplans.events import WaitingEntry
from dialplans.mirror import OperatorPresence, Presence
from routing.metrics import interval_start
from routing.queues import decode_score


def states(services: Any) -> dict[str, str]:
    live = services.extras["routing"].live_view()
    return {op_id: data["state"] for op_id, data in live["operators"].items()}


def test_a_call_through_app_queue_is_mirrored(services: Any) -> None:
    routing = services.extras["routing"]
    routing.sync_operators()
    port = services.extras["asterisk_live_queues"]
    now = services.clock().timestamp()
    port.operator_presence("cz-op01", Presence.READY, None, now)
    port.caller_waiting("1732.55", "CZ-hi", 0, now)
    live = routing.live_view()
    assert live["queues"]["CZ-hi"]["waiting"] == 1
    port.operator_offered("cz-op01", "1732.55", "CZ-hi", now + 2)
    assert states(services)["cz-op01"] == "ringing"
    port.caller_dequeued("1732.55", now + 5)
    port.operator_answered("cz-op01", now + 5)
    assert routing.live_view()["queues"]["CZ-hi"]["waiting"] == 0
    assert states(services)["cz-op01"] == "on-call"
    port.operator_finished("cz-op01", now + 60)
    assert states(services)["cz-op01"] in {"wrap-up", "ready"}


def test_resync_replaces_the_picture(services: Any) -> None:
    routing = services.extras["routing"]
    routing.sync_operators()
    port = services.extras["asterisk_live_queues"]
    now = services.clock().timestamp()
    port.caller_waiting("gone.1", "CZ-hi", 0, now)
    entry = WaitingEntry(
        call_id="stays.2", queue="CZ-en", position=1, priority=0, wait_s=30, channel="PJSIP/trunk-1"
    )
    port.resynchronise([OperatorPresence("cz-op02", Presence.PAUSED, "lunch")], [entry], now)
    live = routing.live_view()
    assert live["queues"]["CZ-hi"]["waiting"] == 0
    assert live["queues"]["CZ-en"]["waiting"] == 1
    assert live["operators"]["cz-op02"]["state"] == "paused"
    assert live["operators"]["cz-op02"]["reason"] == "lunch"


def test_unknown_operator_and_unknown_queue_are_ignored(services: Any) -> None:
    port = services.extras["asterisk_live_queues"]
    now = services.clock().timestamp()
    assert port.operator_answered("nobody", now) is None
    assert port.caller_waiting("x.1", "no-such-queue", 0, now) is None


def test_an_answered_callback_leg_joins_at_the_consumers_original_place(services: Any) -> None:
    routing = services.extras["routing"]
    routing.sync_operators()
    port = services.extras["asterisk_live_queues"]
    live = services.extras["live_queue"]
    now = services.clock().timestamp()
    first_joined = now - 600
    # The FastAGI `callback` route keeps the place before the dialplan runs Queue().
    live.keep_place("1800.7", first_joined)
    port.caller_waiting("1800.7", "CZ-hi", 1, now)
    queue = routing.live_view()["queues"]["CZ-hi"]
    assert (queue["waiting"], queue["longest_wait_s"]) == (1, 600.0)
    assert decode_score(live.score("1800.7", "CZ-hi")) == (1, first_joined)
    assert live.take_kept_place("1800.7") is None  # taken by the join
    # Answered: the wait counts from the original place; app_queue's join is one offer.
    port.operator_presence("cz-op01", Presence.READY, None, now)
    port.operator_offered("cz-op01", "1800.7", "CZ-hi", now + 1)
    port.caller_dequeued("1800.7", now + 1)
    port.operator_answered("cz-op01", now + 2)
    stats = live.interval_stats("CZ-hi", interval_start(now))
    assert (stats.offered, stats.answered, stats.wait_sum_s) == (1, 1, 602.0)


def test_a_caller_with_no_kept_place_joins_now_and_is_answered_from_there(
    services: Any,
) -> None:
    routing = services.extras["routing"]
    routing.sync_operators()
    port = services.extras["asterisk_live_queues"]
    live = services.extras["live_queue"]
    now = services.clock().timestamp()
    live.keep_place("other.1", now - 900)  # another leg's place is not this caller's
    port.caller_waiting("1732.60", "CZ-hi", 0, now)
    assert routing.live_view()["queues"]["CZ-hi"]["longest_wait_s"] == 0.0
    assert live.waiting_calls("CZ-hi") == ["1732.60"]
    port.operator_presence("cz-op01", Presence.READY, None, now)
    port.operator_offered("cz-op01", "1732.60", "CZ-hi", now + 4)
    port.caller_dequeued("1732.60", now + 4)
    assert live.waiting_calls("CZ-hi") == []
    port.operator_answered("cz-op01", now + 5)
    stats = live.interval_stats("CZ-hi", interval_start(now))
    assert (stats.offered, stats.answered, stats.wait_sum_s) == (1, 1, 5.0)


def test_a_consumers_contact_is_one_offer_however_their_call_back_came_about(
    services: Any,
) -> None:
    port = services.extras["asterisk_live_queues"]
    live = services.extras["live_queue"]
    start = interval_start(services.clock().timestamp())
    # Waited in app_queue until it timed out (an offer then), asked for a call back, answered it.
    port.caller_waiting("1900.1", "CZ-hi", 0, start + 100)
    port.caller_dequeued("1900.1", start + 400)
    live.keep_place("1900.9", start + 100, counted=True)
    port.caller_waiting("1900.9", "CZ-hi", 1, start + 700)
    # Turned away at once (queue full: never in the queue), asked for a call back, answered it.
    live.keep_place("1901.9", start + 200, counted=False)
    port.caller_waiting("1901.9", "CZ-hi", 1, start + 710)
    stats = live.interval_stats("CZ-hi", start)
    assert stats.offered == 2  # two consumers, two contacts
    assert decode_score(live.score("1900.9", "CZ-hi")) == (1, start + 100)  # the place is kept
