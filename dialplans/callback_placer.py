"""Keeping the promise "we will call you back": placing pending call backs through Asterisk.

A caller app_queue turned away who pressed 1 has a pending row in `callbacks`
(`dialplans.records.SqlCallbackRequests`). `CallbackPlacer` runs in the process that holds the
AMI link, one pass every `PASS_INTERVAL_S` seconds:

1. A row left dialling with no outcome for `STALE_AFTER` (Asterisk restarted, a report lost)
   counts as an unanswered try.
2. Without a logged-in AMI link nothing is dialled: a link that is down is not a try the
   consumer failed to answer.
3. Due call backs (pending, `next_attempt_at` empty or past) are taken highest priority first,
   then by their place (`joined_at`, when the consumer first joined the queue). One is dialled
   when its queue can take it now, as `routing.callback_placement` decides from the live
   state (mirrored from app_queue): an operator serving the queue is ready and not held by
   another call back, and nobody waiting in that queue joined before the call back did.
4. Dialling: the row is marked dialling with one more try and committed, then AMI Originate
   runs the outbound `callback` extension (`CALLBACK_ID`, `CALLBACK_QUEUE`, `CALLBACK_PRIORITY`,
   `CALLBACK_JOINED`: the consumer's place as epoch seconds, `LANGUAGE`). An Originate Asterisk
   refuses is an unanswered try at once.

Asterisk's `OriginateResponse` comes back through the dialler to `finished`: answered → the
row is done (the FastAGI `callback` route greets the consumer and queues them); no answer,
busy, congestion or a failed dial → tried again after `[callbacks] retry_after_minutes`,
keeping the place, up to `[callbacks] attempts` tries; after the last one the row is failed
and the `callback_failed` SMS is queued once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from dialplans.callback_records import DueCallback, SqlCallbacks
from dialplans.events import OriginateResult
from dialplans.generate import ROUTE_CALLBACK
from routing.acd import OperatorView
from routing.callback_placement import QueueBoard, choose
from routing.operators import OperatorState, settle
from routing.queues import QueueSet
from store.live import LiveStateUnavailable

log = logging.getLogger(__name__)

PASS_INTERVAL_S = 5.0
STALE_AFTER = timedelta(minutes=5)  # ringing lasts 30 s: no outcome by then means none will come
GREETING_HOLD = timedelta(seconds=15)  # an answered call back is greeted before it queues


class LiveBoard(Protocol):
    """What placing reads of the routing live state (`store.live_routing.RedisLiveState`)."""

    def operators(self, now: float) -> list[OperatorView]: ...

    def live(self, now: float) -> dict[str, object]: ...


class Originator(Protocol):
    def originate(self, *, number: str, flow: str, variables: Mapping[str, str]) -> bool: ...


@dataclass(frozen=True, slots=True)
class PassReport:
    recovered: int = 0  # stale dialling rows counted as unanswered tries
    dialled: int = 0
    refused: int = 0  # Originate refused: an unanswered try
    waiting: int = 0  # due, but their queue cannot take them yet
    given_up: int = 0  # their queue no longer exists
    link_down: bool = False


def read_board(live: LiveBoard, queues: QueueSet, now: float) -> QueueBoard:
    """The queues as the live state has them now (wrap-ups that ran out count as ready)."""
    ready = [
        view.operator
        for view in live.operators(now)
        if settle(view.status, now).state is OperatorState.READY
    ]
    view = live.live(now).get("queues")
    waiting: Mapping[str, Any] = view if isinstance(view, Mapping) else {}
    oldest: dict[str, float | None] = {}
    for queue in queues:
        entry = waiting.get(queue.name) or {}
        busy = int(entry.get("waiting", 0))
        oldest[queue.name] = now - float(entry.get("longest_wait_s", 0.0)) if busy else None
    return QueueBoard(
        ready={q.name: frozenset(o.id for o in ready if o.serves(q)) for q in queues},
        oldest_waiting=oldest,
    )


class CallbackPlacer:
    """One pass at a time (`place_due`), and the outcomes the dialler reports (`finished`)."""

    def __init__(
        self,
        *,
        records: SqlCallbacks,
        live: LiveBoard,
        queues: QueueSet,
        dialler: Originator,
        clock: Callable[[], datetime],
        link_ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self._records = records
        self._live = live
        self._queues = queues
        self._dialler = dialler
        self._clock = clock
        self._link_ready = link_ready

    def place_due(self) -> PassReport:
        """One pass: recover stale tries, then dial the call backs whose queue can take them."""
        now = self._clock()
        recovered = sum(
            self._records.unanswered(cid, now, "no outcome") is not None
            for cid in self._records.stale(now, STALE_AFTER)
        )
        if not self._link_ready():
            return PassReport(recovered=recovered, link_down=True)
        names = self._queues.names
        given_up = sum(self._give_up(cb, now) for cb in self._records.due_elsewhere(now, names))
        due = self._records.due(now, names)
        if not due:
            return PassReport(recovered=recovered, given_up=given_up)
        try:
            board = read_board(self._live, self._queues, now.timestamp())
        except LiveStateUnavailable as exc:
            log.warning("callbacks: live state unreachable, none placed this pass: %s", exc)
            return PassReport(recovered=recovered, given_up=given_up, waiting=len(due))
        chosen = choose(due, board, self._records.holding_queues(now, GREETING_HOLD))
        placed = [self._dial(cb, now) for cb in chosen]
        return PassReport(
            recovered=recovered,
            dialled=sum(ok is True for ok in placed),
            refused=sum(ok is False for ok in placed),
            waiting=len(due) - len(chosen),
            given_up=given_up,
        )

    def _dial(self, callback: DueCallback, now: datetime) -> bool | None:
        """Claim, then Originate: True dialled, False refused (a try), None not ours/unknown."""
        if not self._records.claim(callback.id, now):
            return None  # another process took it
        variables = {
            "CALLBACK_ID": str(callback.id),
            "CALLBACK_QUEUE": callback.queue,
            "CALLBACK_PRIORITY": str(callback.priority),
            # The answered leg joins the live view at this place (`dialplans.agi_callback`).
            "CALLBACK_JOINED": f"{callback.joined:.3f}",
            "LANGUAGE": callback.language,
        }
        try:
            placed = self._dialler.originate(
                number=callback.number, flow=ROUTE_CALLBACK, variables=variables
            )
        except Exception:  # Asterisk may be dialling: its report or the stale rule settles it
            log.exception("callback %s: Originate failed; left dialling", callback.id)
            return None
        if placed:
            log.info(
                "callback %s: dialling for queue %s (try %d)",
                callback.id,
                callback.queue,
                callback.attempts + 1,
            )
            return True
        self._records.unanswered(callback.id, now, "not placed")
        return False

    def _give_up(self, callback: DueCallback, now: datetime) -> bool:
        log.error("callback %s: queue %s no longer exists; failed", callback.id, callback.queue)
        return self._records.give_up(callback.id, now, f"queue {callback.queue} gone")

    def finished(self, callback_id: int, result: OriginateResult) -> None:
        """Asterisk's word on a dialled call back (from the dialler, once per Originate)."""
        now = self._clock()
        if result is OriginateResult.ANSWERED:
            self._records.answered(callback_id, now)
            return
        status = self._records.unanswered(callback_id, now, result.value)
        if status == "failed":
            log.info("callback %s: %s on the last try; SMS queued", callback_id, result.value)
        elif status == "pending":
            log.info("callback %s: %s; will be tried again", callback_id, result.value)

    def run_forever(self, stop: threading.Event, *, interval_s: float = PASS_INTERVAL_S) -> None:
        """A pass every `interval_s` until `stop` is set; a failed pass is logged and retried."""
        while not stop.is_set():
            try:
                report = self.place_due()
                if report.dialled or report.refused or report.recovered or report.given_up:
                    log.info(
                        "callbacks: %d dialled, %d refused, %d waiting for their turn, "
                        "%d without an outcome retried, %d failed (queue gone)",
                        report.dialled,
                        report.refused,
                        report.waiting,
                        report.recovered,
                        report.given_up,
                    )
            except Exception:  # a database hiccup must not end the loop
                log.exception("callbacks: pass failed; trying again in %.0f s", interval_s)
            stop.wait(interval_s)
