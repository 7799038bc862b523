"""Placing call backs through Asterisk: which pending call back is dialled when, what dialling
records, and what Asterisk's answer does to the row (real SQL, real Redis, and the AMI link
over TCP to a small AMI server in the test)."""

from __future__ import annotations

import asyncio
import doctest
import logging
import socket
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update

import run_ivr
from config.settings import load_settings
from dialplans import agi_peer, callback_placer, callback_records
from dialplans.agi import FastAgiServer
from dialplans.ami import ActionResult, AmiLink
from dialplans.callback_placer import CallbackPlacer
from dialplans.callback_records import DueCallback
from dialplans.cli import BackgroundFrontEnds, answered_callbacks
from dialplans.cli import callback_records as sql_callbacks
from dialplans.dialler import AmiDialler
from dialplans.events import CallerJoined, OriginateDone, OriginateResult
from dialplans.frontends import ivr_over_agi
from dialplans.mirror import Presence, QueueMirror
from dialplans.records import SqlCallbackRequests, SqlOperators, SqlQueueCallLog
from routing.callback_placement import QueueBoard, choose
from routing.queues import decode_score
from store import schema as t

NUMBER = "9000000002"


def book(
    services: Any,
    clock: Any,
    call_id: str,
    *,
    queue: str = "CZ-hi",
    priority: int = 0,
    ago: int = 600,
) -> int:
    """A caller who joined `ago` seconds back, was turned away and pressed 1."""
    joined = clock() - timedelta(seconds=ago)
    with services.engine.begin() as conn:
        conn.execute(
            t.calls.insert().values(
                call_id=call_id,
                channel="asterisk",
                caller=NUMBER,
                language="en",
                started_at=joined,
                queued_at=joined,
                queue=queue,
            )
        )
    requests = SqlCallbackRequests(services.engine)
    kept = requests.request(
        call_id=call_id, number=NUMBER, queue=queue, priority=priority, now=clock()
    )
    assert kept
    query = select(t.callbacks.c.id).where(t.callbacks.c.call_id == call_id)
    with services.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def make_ready(services: Any, operator_id: str, now: datetime) -> None:
    """app_queue reports the operator's device free and unpaused (as the mirror applies it)."""
    live = services.extras["asterisk_live_queues"]
    live.operator_presence(operator_id, Presence.READY, None, now.timestamp())


@dataclass
class Rig:
    services: Any
    clock: Any
    ami: Any  # the small AMI server of tests/conftest.py
    link: AmiLink
    placer: CallbackPlacer
    booked: list[int] = field(default_factory=list)

    def now(self) -> float:
        return float(self.clock().timestamp())

    def ready(self, operator_id: str) -> None:
        make_ready(self.services, operator_id, self.clock())

    def waiting(self, call_id: str, queue: str, joined: datetime) -> None:
        live = self.services.extras["asterisk_live_queues"]
        live.caller_waiting(call_id, queue, 0, joined.timestamp())

    def book(self, call_id: str, **kw: Any) -> int:
        callback_id = book(self.services, self.clock, call_id, **kw)
        self.booked.append(callback_id)
        return callback_id

    def row(self, callback_id: int) -> Any:
        with self.services.engine.connect() as conn:
            return conn.execute(select(t.callbacks).where(t.callbacks.c.id == callback_id)).one()

    def sms(self) -> list[Any]:
        with self.services.engine.connect() as conn:
            return list(conn.execute(select(t.outbox).where(t.outbox.c.kind == "callback_failed")))

    async def place(self) -> callback_placer.PassReport:
        report = await asyncio.to_thread(self.placer.place_due)
        await self.link.drain()
        return report


async def until(condition: Any, timeout: float = 5.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


@pytest_asyncio.fixture
async def rig(services: Any, clock: Any, ami_server: Any) -> AsyncIterator[Rig]:
    services.extras["routing"].sync_operators()
    ami = await ami_server()
    loop = asyncio.get_running_loop()
    holder: list[AmiLink] = []
    dialler = AmiDialler(
        dial="PJSIP/{number}@trunk",
        # As `BackgroundFrontEnds.send` does: the placer's thread waits on the link's loop.
        send=lambda action: asyncio.run_coroutine_threadsafe(holder[0].send(action), loop).result(
            5
        ),
        call_ended=lambda fid, status: None,
    )
    mirror = QueueMirror(
        operators=SqlOperators(services.engine), clock=services.clock, originates=dialler
    )
    link = AmiLink(
        host="127.0.0.1",
        port=ami.port,
        username="helpline1912",
        secret="s3cret",
        apply=mirror.apply,
        resynchronise=mirror.resynchronise,
        base_delay=0.05,
        max_delay=0.2,
        action_timeout_s=2,
    )
    holder.append(link)
    placer = CallbackPlacer(
        records=sql_callbacks(services),
        live=services.extras["live_queue"],
        queues=services.queues,
        dialler=dialler,
        clock=services.clock,
        link_ready=lambda: link.ready,
    )
    dialler.callback_finished = placer.finished
    await link.start()
    assert await link.wait_ready(5)
    yield Rig(services, clock, ami, link, placer)
    await link.close()
    await ami.stop()


# --- which call back is dialled, and when ----------------------------------------------------


@pytest.mark.asyncio
async def test_a_callback_waits_for_a_ready_operator_of_its_queue(rig: Rig) -> None:
    callback_id = rig.book("1800000001.1")
    assert (await rig.place()).dialled == 0  # nobody ready
    rig.ready("wz-op01")  # ready, but serves only the West company's queues
    assert (await rig.place()).dialled == 0 and rig.ami.originates == []
    rig.ready("cz-op01")
    report = await rig.place()
    assert report.dialled == 1
    [sent] = rig.ami.originates
    assert (sent["Channel"], sent["Context"], sent["Exten"]) == (
        f"PJSIP/{NUMBER}@trunk",
        "helpline-1912-out",
        "callback",
    )
    assert sent["variables"] == {
        "CALLBACK_ID": str(callback_id),
        "CALLBACK_QUEUE": "CZ-hi",
        "CALLBACK_PRIORITY": "0",
        "CALLBACK_JOINED": f"{rig.now() - 600:.3f}",  # the consumer's place: joined 600 s ago
        "LANGUAGE": "en",
        "HELPLINE_NUMBER": NUMBER,
        "HELPLINE_FLOW": "callback",
    }
    row = rig.row(callback_id)
    assert (row.status, row.attempts) == ("dialling", 1)
    assert (await rig.place()).dialled == 0 and len(rig.ami.originates) == 1  # not twice


@pytest.mark.asyncio
async def test_a_caller_who_joined_earlier_is_served_first(rig: Rig) -> None:
    callback_id = rig.book("1800000002.1", ago=300)
    rig.ready("cz-op01")
    rig.waiting("1800000002.9", "CZ-hi", rig.clock() - timedelta(seconds=400))
    assert (await rig.place()).dialled == 0
    assert rig.row(callback_id).status == "pending"
    # That caller is answered; a caller who came after the callback's place does not hold it.
    live = rig.services.extras["asterisk_live_queues"]
    live.caller_dequeued("1800000002.9", rig.now())
    rig.waiting("1800000002.8", "CZ-hi", rig.clock() - timedelta(seconds=60))
    assert (await rig.place()).dialled == 1
    assert rig.row(callback_id).status == "dialling"


@pytest.mark.asyncio
async def test_each_callback_being_dialled_holds_one_ready_operator(rig: Rig) -> None:
    low = rig.book("1800000003.1", ago=900)
    high = rig.book("1800000003.2", priority=5, ago=60)
    rig.ready("cz-op01")
    await rig.place()
    # Higher priority first, even though the other consumer called earlier.
    assert [o["variables"]["CALLBACK_ID"] for o in rig.ami.originates] == [str(high)]
    assert rig.row(low).status == "pending"
    assert (await rig.place()).dialled == 0  # the one ready operator is held by the first
    rig.ready("cz-op02")
    assert (await rig.place()).dialled == 1
    assert rig.row(low).status == "dialling"


@pytest.mark.asyncio
async def test_nothing_is_dialled_and_no_try_spent_while_the_link_is_down(rig: Rig) -> None:
    callback_id = rig.book("1800000004.1")
    rig.ready("cz-op01")
    await rig.ami.stop()
    await until(lambda: not rig.link.ready)
    report = await asyncio.to_thread(rig.placer.place_due)
    assert report.link_down and report.dialled == 0
    row = rig.row(callback_id)
    assert (row.status, row.attempts) == ("pending", 0)


# --- what Asterisk says back ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_answered_callback_is_done(rig: Rig) -> None:
    callback_id = rig.book("1800000005.1")
    rig.ready("cz-op01")
    await rig.place()
    await rig.ami.originate_response(rig.ami.originates[0], reason=4)
    await until(lambda: rig.row(callback_id).status == "done")
    row = rig.row(callback_id)
    assert row.closed_at is not None and row.attempts == 1 and rig.sms() == []


async def answer_leg(services: Any, leg: str, callback_id: int, carried: dict[str, str]) -> None:
    """Asterisk runs the outbound `callback` extension for the answered Originate: its FastAGI
    route (with the live state, as the services wire it) greets the consumer before Queue()."""
    calls = ivr_over_agi(
        services,
        callbacks=SqlCallbackRequests(services.engine),
    )
    server = FastAgiServer(calls, answered_callbacks(services))  # as `agi` and `serve` wire it
    address = await server.start("127.0.0.1", 0)
    try:
        args = [str(callback_id), NUMBER]
        placing = agi_peer.call(
            *address,
            uniqueid=leg,
            caller="1912",
            answers=[],
            script="callback",
            args=args,
            channel_variables=carried,
        )
        log = await asyncio.wait_for(placing, 30)
    finally:
        await server.close()
    assert log.variables["HELPLINE_ACTION"] == "queue"


@pytest.mark.asyncio
async def test_an_answered_callback_shows_the_consumers_whole_wait_on_the_wallboard(
    rig: Rig,
) -> None:
    services = rig.services
    callback_id = rig.book("1800000012.1", ago=600)
    rig.ready("cz-op01")
    await rig.place()
    [sent] = rig.ami.originates
    await rig.ami.originate_response(sent, reason=4)
    await until(lambda: rig.row(callback_id).status == "done")
    rig.clock.advance(seconds=20)  # the greeting
    await answer_leg(services, "1800000012.7", callback_id, sent["variables"])
    # app_queue queues the leg (one priority step up); the AMI mirror reports the join.
    mirror = QueueMirror(
        operators=SqlOperators(services.engine),
        clock=services.clock,
        live=services.extras["asterisk_live_queues"],
        calls=SqlQueueCallLog(services.engine),
    )
    mirror.apply(CallerJoined("1800000012.7", "CZ-hi", 1, "PJSIP/trunk-1800000012.7"))
    queue = services.extras["routing"].live_view()["queues"]["CZ-hi"]
    assert (queue["waiting"], queue["longest_wait_s"]) == (1, 620.0)
    place = services.extras["live_queue"].score("1800000012.7", "CZ-hi")
    assert decode_score(place) == (1, rig.now() - 620)


@pytest.mark.asyncio
async def test_unanswered_callback_is_retried_after_the_pause_then_fails_with_one_sms(
    rig: Rig,
) -> None:
    policy = rig.services.settings.callbacks
    assert (policy.attempts, policy.retry_after_s) == (3, 600)  # config/helpline.toml
    callback_id = rig.book("1800000006.1")
    rig.ready("cz-op01")
    for attempt, reason in enumerate((3, 5, 3), start=1):  # no answer, busy, no answer
        await rig.place()
        assert len(rig.ami.originates) == attempt
        await rig.ami.originate_response(rig.ami.originates[-1], reason=reason)
        await until(lambda: rig.row(callback_id).status != "dialling")
        row = rig.row(callback_id)
        if attempt < 3:
            assert (row.status, row.attempts) == ("pending", attempt)
            rig.clock.advance(minutes=9)
            await rig.place()
            assert len(rig.ami.originates) == attempt  # not before the pause is over
            rig.clock.advance(minutes=1, seconds=1)
    row = rig.row(callback_id)
    assert (row.status, row.attempts, row.reason) == ("failed", 3, "no-answer")
    assert row.closed_at is not None
    [sms] = rig.sms()
    assert sms.to_number == NUMBER and "3 times" in sms.body
    # Asterisk repeating its report changes nothing, and queues no second SMS.
    await rig.ami.originate_response(rig.ami.originates[-1], reason=3)
    await rig.place()
    assert len(rig.sms()) == 1 and rig.row(callback_id).status == "failed"


@pytest.mark.asyncio
async def test_refused_originate_is_an_unanswered_try(rig: Rig) -> None:
    callback_id = rig.book("1800000007.1")
    rig.ready("cz-op01")
    rig.ami.refuse.add("Originate")
    report = await rig.place()
    assert (report.dialled, report.refused) == (0, 1)
    row = rig.row(callback_id)
    assert (row.status, row.attempts, row.reason) == ("pending", 1, "not placed")
    assert row.next_attempt_at is not None


@pytest.mark.asyncio
async def test_a_dialling_row_with_no_outcome_is_recovered(rig: Rig) -> None:
    callback_id = rig.book("1800000008.1")
    rig.ready("cz-op01")
    await rig.place()  # Asterisk never reports (it restarted)
    assert rig.row(callback_id).last_attempt_at is not None
    rig.clock.advance(minutes=4)
    assert (await rig.place()).recovered == 0 and rig.row(callback_id).status == "dialling"
    rig.clock.advance(minutes=2)
    report = await rig.place()
    assert (report.recovered, report.dialled) == (1, 0)  # pending again, after the pause
    row = rig.row(callback_id)
    assert (row.status, row.attempts, row.reason) == ("pending", 1, "no outcome")
    # On its last try, a lost outcome fails the callback and tells the consumer.
    with rig.services.engine.begin() as conn:
        conn.execute(
            update(t.callbacks)
            .where(t.callbacks.c.id == callback_id)
            .values(status="dialling", attempts=3, last_attempt_at=rig.clock())
        )
    rig.clock.advance(minutes=6)
    assert (await rig.place()).recovered == 1
    assert rig.row(callback_id).status == "failed" and len(rig.sms()) == 1


@pytest.mark.asyncio
async def test_a_callback_for_a_queue_that_no_longer_exists_fails_with_the_sms(rig: Rig) -> None:
    callback_id = rig.book("1800000009.1")
    with rig.services.engine.begin() as conn:
        conn.execute(
            update(t.callbacks).where(t.callbacks.c.id == callback_id).values(queue="XX-hi")
        )
    assert (await rig.place()).given_up == 1
    row = rig.row(callback_id)
    assert (row.status, row.reason) == ("failed", "queue XX-hi gone") and len(rig.sms()) == 1


@pytest.mark.asyncio
async def test_a_backlog_in_one_queue_hides_no_other_queues_callbacks(rig: Rig) -> None:
    first = rig.book("1800000011.1", priority=5, ago=900)
    rig.book("1800000011.2", priority=5, ago=800)
    english = rig.book("1800000011.3", queue="CZ-en", ago=100)
    records = sql_callbacks(rig.services)
    due = records.due(rig.clock(), rig.services.queues.names, per_queue=1)
    assert [cb.id for cb in due] == [first, english]  # priority first, then place
    assert records.due_elsewhere(rig.clock(), rig.services.queues.names) == []


# --- the pure choice ------------------------------------------------------------------------


def test_module_examples_hold() -> None:
    """The examples in dialplans' callback records (routing's run with every test run)."""
    failed, tried = doctest.testmod(callback_records)
    assert tried and failed == 0


def due(n: int, queue: str, joined: float = 100.0) -> DueCallback:
    return DueCallback(n, NUMBER, queue, 0, joined, 0, "hi")


def test_a_held_operator_is_the_one_serving_fewest_queues() -> None:
    # "a" takes both CZ queues, "b" only Hindi: the Hindi call back being dialled holds "b",
    # which leaves "a" for the English one.
    board = QueueBoard(
        {"CZ-hi": frozenset({"a", "b"}), "CZ-en": frozenset({"a"})},
        {"CZ-hi": None, "CZ-en": None},
    )
    assert [cb.id for cb in choose([due(1, "CZ-en")], board, holding=["CZ-hi"])] == [1]
    assert choose([due(1, "CZ-en")], board, holding=["CZ-hi", "CZ-hi"]) == []


def test_callbacks_of_a_queue_leave_in_order() -> None:
    board = QueueBoard({"CZ-hi": frozenset({"a", "b"})}, {"CZ-hi": 150.0})
    # The first must wait for the caller from 150; the second may not overtake it.
    assert choose([due(1, "CZ-hi", 200.0), due(2, "CZ-hi", 100.0)], board, holding=[]) == []


def test_dialler_hands_every_callback_outcome_on_once() -> None:
    heard: list[tuple[int, OriginateResult]] = []
    sent: list[Any] = []

    def send(action: Any) -> ActionResult:
        sent.append(action)
        return ActionResult(True, "queued")

    dialler = AmiDialler(
        dial="PJSIP/{number}@trunk",
        send=send,
        call_ended=lambda fid, status: None,
        callback_finished=lambda cid, result: heard.append((cid, result)),
    )
    for cid in ("5", "6"):
        dialler.originate(number=NUMBER, flow="callback", variables={"CALLBACK_ID": cid})
    first, second = (str(action.headers["ActionID"]) for action in sent)
    dialler.originate_finished(OriginateDone(first, OriginateResult.ANSWERED, "1.1"))
    dialler.originate_finished(OriginateDone(first, OriginateResult.ANSWERED, "1.1"))
    dialler.originate_finished(OriginateDone(second, OriginateResult.BUSY, None))
    assert heard == [(5, OriginateResult.ANSWERED), (6, OriginateResult.BUSY)]


# --- the running service ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def background_services(env: dict[str, str], clock: Any) -> Any:
    services = run_ivr.build_services(
        load_settings({**env, "AGI_PORT": str(free_port())}), clock=clock
    )
    services.extras["routing"].sync_operators()
    return services


@pytest.mark.asyncio
async def test_the_service_places_callbacks_through_its_ami_link(
    seeded_engine: Any,
    settings_env: dict[str, str],
    clock: Any,
    caplog: pytest.LogCaptureFixture,
    ami_server: Any,
) -> None:
    caplog.set_level(logging.INFO)
    ami = await ami_server()
    ami_env = {"AMI_HOST": "127.0.0.1", "AMI_PORT": str(ami.port)}
    ami_env |= {"AMI_USERNAME": "helpline1912", "AMI_SECRET": "s3cret"}
    services = background_services({**settings_env, **ami_env}, clock)
    fronts = BackgroundFrontEnds(services.settings, services)
    try:
        await asyncio.to_thread(fronts.start)
        assert "callback placer on" in caplog.text
        callback_id = book(services, clock, "1800000010.1")
        make_ready(services, "cz-op01", clock())
        await until(lambda: ami.originates, timeout=15)  # the next pass, within seconds
        await ami.originate_response(ami.originates[0], reason=4)
        query = select(t.callbacks.c.status).where(t.callbacks.c.id == callback_id)

        def status() -> str:
            with services.engine.connect() as conn:
                return str(conn.execute(query).scalar_one())

        await until(lambda: status() == "done")
    finally:
        await asyncio.to_thread(fronts.stop)
        await ami.stop()
        services.engine.dispose()
        services.redis.close()


@pytest.mark.asyncio
async def test_without_ami_no_callback_is_placed(
    seeded_engine: Any, settings_env: dict[str, str], clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    services = background_services(settings_env, clock)
    fronts = BackgroundFrontEnds(services.settings, services)
    try:
        await asyncio.to_thread(fronts.start)
        assert "AMI link off" in caplog.text and "callback placer on" not in caplog.text
        assert "callbacks" not in {thread.name for thread in threading.enumerate()}
    finally:
        await asyncio.to_thread(fronts.stop)
        services.engine.dispose()
        services.redis.close()
