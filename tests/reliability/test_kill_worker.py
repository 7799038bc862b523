"""A server worker killed with SIGKILL in the middle of 200 concurrent calls: every docket a
caller was told exists in SQL, and every call either finished or fell back to an operator."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, select

from store import schema as t

pytestmark = pytest.mark.slow
CALLS = 200


def test_kill_minus_nine_during_two_hundred_calls(
    stack: Any, caller: Any, database_url: str
) -> None:
    killed: list[int] = []
    started = threading.Semaphore(0)

    def one(n: int) -> Any:
        started.release()
        return caller.call(f"CA{n:032d}", ["2", "1", "1"], pause_s=0.05)

    def killer() -> None:
        for _ in range(CALLS // 3):  # a third of the calls are under way
            started.acquire()
        killed.append(stack.kill_worker())

    threading.Thread(target=killer, daemon=True).start()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(CALLS)))
    assert killed, "the worker was not killed"
    told = [d for r in results for d in r.dockets]
    assert told, "no call reached a docket"
    engine = create_engine(database_url)
    with engine.connect() as conn:
        stored = set(conn.execute(select(t.complaints.c.docket)).scalars())
    engine.dispose()
    assert set(told) <= stored, f"dockets told but lost: {set(told) - stored}"
    assert all(s < 500 for r in results for s in r.statuses)
    unfinished = [r for r in results if not r.ended]
    assert not unfinished, (
        f"{len(unfinished)} calls neither finished nor reached an operator: {unfinished[:2]}"
    )
    assert all(len(r.dockets) <= 1 for r in results), "a call was told two different dockets"
