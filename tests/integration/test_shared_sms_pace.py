"""The bulk SMS pace shared by every outbox worker of an install, through real Redis.

Each worker here has its own Redis connection, as separate processes or machines would, over
one SQL outbox. The shared bucket runs on the Redis server's clock, which a test cannot set:
the tests measure how long they ran and hold the total to what the pace allows in that time.
The workers' own clocks are set apart on purpose: they must not matter.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import Engine, insert, select

from services.outbox_worker import OutboxWorker
from store import schema as t
from store.live import LiveStateUnavailable
from store.outbox import SmsPriority
from store.sms_pace import RedisSmsPace

T0 = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


class Carrier:
    """An `SmsSender` that accepts every message and keeps whom it was for."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, *, to: str, body: str, sender: str | None) -> str:
        self.sent.append(to)
        return f"SM{len(self.sent):032d}"


@pytest.fixture
def connections(redis_url: str) -> Iterator[list[redis.Redis]]:
    """Two connections to the same Redis, one per worker."""
    clients = [redis.Redis.from_url(redis_url) for _ in range(2)]
    yield clients
    for client in clients:
        client.close()


def unreachable_redis() -> redis.Redis:
    # No retries: the default backoff would only make the test slow.
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2,
                       retry=Retry(NoBackoff(), 0))  # fmt: skip


def queue(engine: Engine, count: int, priority: SmsPriority, *, first: int = 0) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.outbox), [
            {"kind": "outage" if priority == SmsPriority.BULK else "docket",
             "to_number": f"9{first + i:09d}", "body": f"message {first + i}",
             "priority": int(priority), "created_at": T0, "next_attempt_at": T0}
            for i in range(count)
        ])  # fmt: skip


def statuses(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(t.outbox.c.status).order_by(t.outbox.c.id)).scalars())


def test_paces_on_one_redis_hand_out_one_bucket(connections: list[redis.Redis]) -> None:
    one, other = (RedisSmsPace(c, per_second=20.0, capacity=10.0, prefix="t:") for c in connections)
    started = time.monotonic()
    taken = [one.take(8).granted, other.take(8).granted, other.take(8).granted]
    assert taken[0] == 8 and sum(taken) <= 10 + 20 * (time.monotonic() - started) + 1
    time.sleep(0.25)
    refilled = one.take(100)
    assert refilled.granted >= 4 and refilled.tokens_left < 1  # 0.25 s at 20 a second
    assert sum(taken) + refilled.granted <= 10 + 20 * (time.monotonic() - started) + 1
    assert 0 < connections[0].pttl("t:sms:pace") <= 1500  # gone once it would be full again


def test_tokens_not_spent_go_back_to_the_bucket(connections: list[redis.Redis]) -> None:
    slow = RedisSmsPace(connections[0], per_second=0.01, capacity=10.0)
    assert slow.take(10).granted == 10
    assert slow.give_back(3).tokens_left == pytest.approx(3, abs=0.01)
    assert slow.give_back(30).tokens_left == 10  # never beyond a full bucket
    assert connections[1].exists("h1912:sms:pace")  # under the install's prefix


def test_two_workers_send_no_more_than_the_shared_pace_together(
    migrated_engine: Engine, connections: list[redis.Redis]
) -> None:
    queue(migrated_engine, 300, SmsPriority.BULK)
    carrier = Carrier()
    workers = [OutboxWorker(migrated_engine, carrier, bulk_per_second=20, bulk_chunk=40,
                            redis_client=client) for client in connections]  # fmt: skip
    # Clocks an hour apart, standing still: only the Redis server's clock refills the bucket.
    clocks = [T0 + timedelta(minutes=5), T0 + timedelta(hours=1)]
    started = time.monotonic()
    first = [w.run_once(now).bulk_sent for w, now in zip(workers, clocks, strict=True)]
    # Paced each on its own, both would send their 40-message burst; together they have one.
    assert sum(first) <= 40 + 20 * (time.monotonic() - started) + 1
    while time.monotonic() - started < 1.2:
        for worker, now in zip(workers, clocks, strict=True):
            worker.run_once(now)
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    assert 40 + 20 * 0.6 <= len(carrier.sent) <= 40 + 20 * elapsed + 1
    assert len(set(carrier.sent)) == len(carrier.sent)  # and never one message twice


def test_urgent_messages_go_when_the_shared_pace_is_spent(
    migrated_engine: Engine, connections: list[redis.Redis]
) -> None:
    queue(migrated_engine, 5, SmsPriority.BULK)
    queue(migrated_engine, 3, SmsPriority.URGENT, first=100)
    worker = OutboxWorker(migrated_engine, Carrier(), bulk_per_second=0.01,
                          redis_client=connections[0])  # fmt: skip
    RedisSmsPace(connections[1], per_second=0.01, capacity=1.0).take(1)  # another worker's turn
    report = worker.run_once(T0)
    assert (report.sent, report.bulk_sent, report.bulk_waiting) == (3, 0, True)
    assert statuses(migrated_engine) == ["queued"] * 5 + ["sent"] * 3


def test_unreachable_redis_leaves_each_worker_its_own_pace(
    migrated_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    queue(migrated_engine, 40, SmsPriority.BULK)
    queue(migrated_engine, 1, SmsPriority.URGENT, first=100)
    carrier = Carrier()
    worker = OutboxWorker(migrated_engine, carrier, bulk_per_second=5,
                          redis_client=unreachable_redis())  # fmt: skip
    with pytest.raises(LiveStateUnavailable):
        RedisSmsPace(unreachable_redis(), per_second=5, capacity=10).take(1)
    caplog.set_level(logging.WARNING, logger="services.bulk_pace")
    first = worker.run_once(T0)
    assert (first.sent, first.bulk_sent, first.bulk_waiting) == (11, 10, True)  # 2 s' worth
    assert worker.run_once(T0).bulk_sent == 0  # spent, on this worker's clock
    assert worker.run_once(T0 + timedelta(seconds=1)).bulk_sent == 5
    warnings = [r for r in caplog.records if "paced by this worker alone" in r.getMessage()]
    assert len(warnings) == 1  # not one a round
    assert worker.run_once(T0 + timedelta(seconds=62)).bulk_sent == 10
    warnings = [r for r in caplog.records if "paced by this worker alone" in r.getMessage()]
    assert len(warnings) == 2 and "(4 rounds so far)" in warnings[1].getMessage()


@pytest.fixture
def silent_redis() -> Iterator[tuple[redis.Redis, list[bytes]]]:
    """A "Redis" that accepts connections and reads what it is sent but never answers (a host
    dropping replies), with a client that gives up after 0.3 s; and what it received."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        conns = []
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.settimeout(0.05)
                conns.append(conn)
            except TimeoutError:
                pass
            for conn in conns:
                try:
                    if data := conn.recv(65536):
                        received.append(data)
                except (TimeoutError, OSError):
                    pass
        for conn in conns:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=0.3,
                         socket_connect_timeout=0.3, retry=Retry(NoBackoff(), 0))  # fmt: skip
    yield client, received
    stop.set()
    thread.join()
    server.close()
    client.close()


def test_a_redis_that_does_not_answer_is_asked_again_only_after_a_pause(
    migrated_engine: Engine, silent_redis: tuple[redis.Redis, list[bytes]]
) -> None:
    client, received = silent_redis
    queue(migrated_engine, 40, SmsPriority.BULK)
    worker = OutboxWorker(migrated_engine, Carrier(), bulk_per_second=5, redis_client=client)
    assert worker.run_once(T0).bulk_sent == 10  # its own pace: 2 s' worth
    asked = len(received)
    assert asked >= 1  # the shared bucket was asked first
    assert worker.run_once(T0 + timedelta(seconds=1)).bulk_sent == 5
    assert worker.run_once(T0 + timedelta(seconds=9)).bulk_sent == 10
    time.sleep(0.2)  # let the silent server read anything sent
    assert len(received) == asked  # not asked again while the pause lasts
    worker.run_once(T0 + timedelta(seconds=11))
    deadline = time.monotonic() + 2
    while len(received) == asked and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(received) > asked  # asked again once it is over
