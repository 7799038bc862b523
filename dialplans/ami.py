"""The AMI link: one logged-in panoramisk connection to Asterisk, kept alive and in sync.

`AmiLink` logs in, reconnects with exponential backoff when the connection drops or cannot be
made (panoramisk alone retries every 2 s forever and never resynchronises), and after every
successful login asks `QueueStatus` and hands the listing to the mirror as the new truth. Queue
events are translated by `dialplans.events` and applied by `dialplans.mirror.QueueMirror` off
the event loop, in arrival order per call and per member (`OrderedDispatcher`). Actions are
values from `dialplans.actions`; `send` returns an `ActionResult` and never raises for
Asterisk's refusals, a dropped link or a timeout: those are outcomes. A refused login is logged
as an error naming the user, and retried with the same backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from panoramisk.manager import Manager

from dialplans import actions
from dialplans.dispatch import OrderedDispatcher
from dialplans.events import (
    CallerAbandoned,
    CallerJoined,
    CallerLeft,
    Fact,
    Ignored,
    OriginateDone,
    WaitingEntry,
    translate,
)

log = logging.getLogger(__name__)


def reconnect_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Seconds to wait before connection attempt number `attempt` (0 = the first retry).

    >>> [reconnect_delay(n) for n in range(8)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    """
    return float(min(cap, base * 2 ** min(attempt, 30)))


class LinkState(StrEnum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    LOGGING_IN = "logging-in"
    READY = "ready"
    REFUSED = "refused"  # the last login was refused; retrying with backoff


@dataclass(frozen=True, slots=True)
class ActionResult:
    ok: bool
    message: str
    messages: tuple[Mapping[str, Any], ...] = ()


class _Manager(Manager):  # type: ignore[misc]
    """panoramisk's Manager with its reconnect and login outcome handed to the link."""

    pinger: asyncio.TimerHandle | None

    def __init__(self, link: AmiLink, **config: Any) -> None:
        super().__init__(**config)
        self._link = link

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        failure = None if f.cancelled() else f.exception()
        if f.cancelled() or failure is not None:
            self._link._connect_failed(failure)
            return
        super().connection_made(f)
        self._link._connected()

    def connection_lost(self, exc: Exception | None) -> None:
        self._connected = False
        if self.pinger:
            self.pinger.cancel()
            self.pinger = None
        self._link._lost(exc)

    def login(self, future: asyncio.Future[Any]) -> bool:
        authenticated = bool(super().login(future))
        self._link._login_answered(authenticated, future.result())
        return authenticated


class AmiLink:
    """The service's connection to one Asterisk's manager interface."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        username: str,
        secret: str,
        apply: Callable[[Fact], None] | None = None,
        resynchronise: Callable[[list[Fact]], None] | None = None,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        action_timeout_s: float = 10.0,
        ping_s: int = 10,
    ) -> None:
        self._config = {
            "host": host,
            "port": port,
            "username": username,
            "secret": secret,
            "ping_delay": ping_s,
            "ping_interval": ping_s,
            "events": "on",
        }
        self._apply = apply or (lambda fact: None)
        self._resynchronise = resynchronise or (lambda facts: None)
        self._delays = (base_delay, max_delay)
        self._timeout = action_timeout_s
        self.state = LinkState.STOPPED
        self.logins = 0
        self.events_seen = 0
        self._attempt = 0
        self._retry: asyncio.TimerHandle | None = None
        self._manager: _Manager | None = None
        self._dispatcher: OrderedDispatcher | None = None
        self._ready = asyncio.Event()
        self._waiting: dict[str, tuple[str, str]] = {}  # call id -> (queue, channel)
        self._originating: dict[str, asyncio.Future[OriginateDone]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    # --- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._dispatcher = OrderedDispatcher(self._apply)
        self._dispatcher.start()
        self._manager = _Manager(self, loop=loop, **self._config)
        self._manager.register_event("*", self._on_event)
        self._connect()

    async def wait_ready(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def close(self) -> None:
        self._closed = True
        self.state = LinkState.STOPPED
        if self._retry is not None:
            self._retry.cancel()
        if self._manager is not None:
            self._manager.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._dispatcher is not None:
            await self._dispatcher.close()

    @property
    def ready(self) -> bool:
        return self.state is LinkState.READY

    def _connect(self) -> None:
        self._retry = None
        if self._closed or self._manager is None:
            return
        self.state = LinkState.CONNECTING
        assert self._manager is not None
        self._manager.connect()

    def _schedule_retry(self) -> None:
        if self._closed or self._retry is not None:
            return
        delay = reconnect_delay(self._attempt, base=self._delays[0], cap=self._delays[1])
        self._attempt += 1
        log.info("AMI: reconnecting in %.1f s", delay)
        self._retry = asyncio.get_running_loop().call_later(delay, self._connect)

    # --- callbacks from the manager -----------------------------------------------------------

    def _connect_failed(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        log.warning(
            "AMI: cannot reach %s:%s (%s)",
            self._config["host"],
            self._config["port"],
            exc or "cancelled",
        )
        self._schedule_retry()

    def _connected(self) -> None:
        self.state = LinkState.LOGGING_IN
        log.info(
            "AMI: connected to %s:%s, logging in as %s",
            self._config["host"],
            self._config["port"],
            self._config["username"],
        )

    def _login_answered(self, ok: bool, response: Any) -> None:
        if not ok:
            self.state = LinkState.REFUSED
            message = response.get("Message", "") if hasattr(response, "get") else response
            log.error("AMI: login refused for user %s: %s", self._config["username"], message)
            return
        self.state = LinkState.READY
        self._attempt = 0
        self.logins += 1
        self._ready.set()
        log.info("AMI: logged in as %s", self._config["username"])
        self._spawn(self.resync())

    def _lost(self, exc: Exception | None) -> None:
        self._ready.clear()
        if self._closed:
            return
        log.warning("AMI: connection lost (%s)", exc or "closed by Asterisk")
        self.state = LinkState.CONNECTING
        self._schedule_retry()

    def _on_event(self, _manager: Any, message: Mapping[str, Any]) -> None:
        self.events_seen += 1
        fact = translate(message)
        if isinstance(fact, Ignored):
            return
        self._track(fact)
        assert self._dispatcher is not None
        self._dispatcher.submit(fact)

    def _track(self, fact: Fact) -> None:
        if isinstance(fact, CallerJoined | WaitingEntry):
            self._waiting[fact.call_id] = (fact.queue, fact.channel)
        elif isinstance(fact, CallerLeft | CallerAbandoned):
            self._waiting.pop(fact.call_id, None)
        elif isinstance(fact, OriginateDone):
            pending = self._originating.pop(fact.action_id, None)
            if pending is not None and not pending.done():
                pending.set_result(fact)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- actions ----------------------------------------------------------------------------

    async def send(self, action: actions.AmiAction) -> ActionResult:
        """Send one action; Asterisk's refusal, a dead link or a timeout come back as values."""
        if not self.ready or self._manager is None:
            return ActionResult(False, f"AMI not connected ({self.state.value})")
        future = self._manager.send_action(action.as_dict(), as_list=action.as_list)
        try:
            reply = await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            log.warning("AMI: no answer to %s within %.0f s", action.name, self._timeout)
            return ActionResult(False, "no response")
        messages = tuple(reply) if isinstance(reply, list) else (reply,)
        first = messages[0]
        ok = bool(first.success) and first.get("Response") != "Error"
        if not ok:
            log.warning("AMI: %s refused: %s", action.name, first.get("Message", ""))
        return ActionResult(ok, str(first.get("Message", "")), messages)

    async def send_all(self, batch: list[actions.AmiAction]) -> list[ActionResult]:
        return [await self.send(action) for action in batch]

    async def resync(self) -> int:
        """Ask `QueueStatus` and hand the listing to the mirror; the number of entries read."""
        result = await self.send(actions.queue_status())
        if not result.ok:
            log.warning("AMI: QueueStatus failed (%s); live state may be stale", result.message)
            return 0
        facts = [translate(message) for message in result.messages[1:]]
        facts = [f for f in facts if not isinstance(f, Ignored)]
        self._waiting.clear()
        for fact in facts:
            self._track(fact)
        assert self._dispatcher is not None
        await self._dispatcher.barrier(lambda: self._resynchronise(facts))
        return len(facts)

    async def raise_priority(self, call_id: str, priority: int) -> ActionResult:
        """Move a waiting caller up (a hazard reported to an operator, say)."""
        waiting = self._waiting.get(call_id)
        if waiting is None:
            return ActionResult(False, "caller not waiting in any queue")
        queue, channel = waiting
        return await self.send(actions.change_priority(queue, channel, priority))

    async def originate(
        self, action: actions.AmiAction, *, wait_s: float | None = None
    ) -> OriginateDone | ActionResult:
        """Place a call; with `wait_s`, wait that long for its `OriginateResponse` too."""
        action_id = str(action.headers["ActionID"])
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[OriginateDone] = loop.create_future()
        self._originating[action_id] = waiter
        accepted = await self.send(action)
        if not accepted.ok or wait_s is None:
            if not accepted.ok:
                self._originating.pop(action_id, None)
            return accepted
        try:
            return await asyncio.wait_for(waiter, wait_s)
        except TimeoutError:
            self._originating.pop(action_id, None)
            return ActionResult(False, "no OriginateResponse")

    async def drain(self) -> None:
        """Wait until every fact received so far has been applied (tests, shutdown)."""
        if self._dispatcher is not None:
            await self._dispatcher.drain()
