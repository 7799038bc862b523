"""The Asterisk front-ends on their own event loop in a daemon thread, for `serve`.

`BackgroundFrontEnds` runs what `start_frontends` builds next to the blocking HTTP server and
makes it reachable from any thread: other parts of the service find it in
`services.extras["asterisk"]` and send AMI actions through its `send`. With the AMI link
configured it also starts the `AmiDialler` (`services.extras["ami"]`, through which the
complaint lifecycle places feedback calls), the `CallbackPlacer` that places the call backs
turned-away callers asked for, and the watch that reloads Asterisk's queues after a console
edit saved in another process, each on its own daemon thread until `stop`. It logs as
`dialplans.cli`, like the rest of the Asterisk front-end's start-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from dialplans.actions import AmiAction
from dialplans.ami import ActionResult
from dialplans.callback_placer import PASS_INTERVAL_S, CallbackPlacer
from dialplans.dialler import AmiDialler
from dialplans.frontends import AsteriskFrontEnds, callback_records, start_frontends
from services import console_queues
from services.asterisk_queues import WATCH_INTERVAL_S, QueueEditWatcher
from services.complaint_desk import complaint_desk

# One logger for the Asterisk front-end's commands and start-up, whichever module writes.
log = logging.getLogger("dialplans.cli")
T = TypeVar("T")


class BackgroundFrontEnds:
    """The FastAGI server and AMI link on an event loop in a daemon thread (for `serve`)."""

    def __init__(self, settings: Any, services: Any) -> None:
        self._settings = settings
        self._services = services
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="asterisk", daemon=True)
        self._fronts: AsteriskFrontEnds | None = None
        self._started = threading.Event()
        self._failure: BaseException | None = None
        self._placing = threading.Event()  # set: the callback placer stops

    def start(self, timeout: float = 15.0) -> BackgroundFrontEnds:
        dialler = self._dialler() if self._settings.ami_enabled else None
        self._thread.start()
        if not self._started.wait(timeout) or self._failure is not None:
            raise RuntimeError(f"the Asterisk front-end did not start: {self._failure}")
        self._services.extras["asterisk"] = self
        if dialler is not None:
            self._services.extras["ami"] = dialler
            self._start_placer(dialler)
            self._start_queue_watch()
        return self

    def _start_queue_watch(self) -> None:
        """Reload Asterisk's queues when a console edit saved in another process rewrote
        `ASTERISK_QUEUES_FILE` (web workers hold no AMI link)."""
        if self._settings.asterisk_queues_file is None:
            return
        services = self._services
        watcher = QueueEditWatcher(lambda: console_queues.revision(services), self.send)
        log.info("queue edits from other processes reloaded in Asterisk (checked every %.0f s)",
                 WATCH_INTERVAL_S)  # fmt: skip
        threading.Thread(
            target=watcher.run_forever, args=(self._placing,), name="queue-edits", daemon=True
        ).start()

    def _start_placer(self, dialler: AmiDialler) -> None:
        """Place pending call backs through the AMI link, on a daemon thread until `stop`."""
        services = self._services
        placer = CallbackPlacer(
            records=callback_records(services),
            live=services.extras["live_queue"],
            queues=services.queues,
            dialler=dialler,
            clock=services.clock,
            link_ready=self.ami_ready,
        )
        dialler.callback_finished = placer.finished
        policy = self._settings.callbacks
        log.info(
            "callback placer on: pending call backs dialled every %.0f s through AMI when an "
            "operator of their queue is ready (%d tries, %.0f min apart)",
            PASS_INTERVAL_S,
            policy.attempts,
            policy.retry_after_s / 60,
        )
        threading.Thread(
            target=placer.run_forever, args=(self._placing,), name="callbacks", daemon=True
        ).start()

    def ami_ready(self) -> bool:
        """True while the AMI link is logged in."""
        fronts = self._fronts
        return fronts is not None and fronts.ami is not None and fronts.ami.ready

    def _dialler(self) -> AmiDialler:
        """The outbound dialler, made the mirror's originate listener before the link starts
        (any listener already there still hears of the calls it placed)."""
        services = self._services
        dialler = AmiDialler(
            dial=self._settings.ami_dial,
            send=self.send,
            call_ended=lambda feedback_id, status: complaint_desk(services).feedback_call_ended(
                feedback_id, status
            ),
            previous=services.extras.get("originate_listener"),
        )
        services.extras["originate_listener"] = dialler
        return dialler

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._fronts = self._loop.run_until_complete(
                start_frontends(self._settings, self._services)
            )
        except BaseException as exc:  # reported to the starting thread, which raises it
            self._failure = exc
            self._started.set()
            return
        self._started.set()
        self._loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 15.0) -> T:
        """Run a coroutine on the front-end's loop from any thread and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def send(self, action: AmiAction) -> ActionResult:
        """Send an AMI action from any thread (console, storm controller)."""
        fronts = self._fronts
        if fronts is None or fronts.ami is None:
            return ActionResult(False, "AMI link off")
        return self.run(fronts.ami.send(action))

    def stop(self) -> None:
        self._placing.set()
        if self._fronts is not None:
            with contextlib.suppress(Exception):
                self.run(self._fronts.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()
