"""200 concurrent simulated calls through the HTTP front-end for a while: 0 errors.

The issue asks for 60 s; CI runs it for `SOAK_SECONDS` (default 20) to stay within its time.
Each caller behaves like a person: pauses between prompts, then keys; call after call.
"""

from __future__ import annotations

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytestmark = pytest.mark.slow
CALLERS = 200
SCRIPTS = [["2", "1", "1"], ["1", "1", "2", "9"], ["2", "1", "0"], ["", "2", "1"], ["2", "9", "*"]]


def test_two_hundred_concurrent_calls_without_an_error(stack: Any, caller: Any) -> None:
    seconds = float(os.environ.get("SOAK_SECONDS", "20"))
    deadline = time.monotonic() + seconds

    def person(n: int) -> list[Any]:
        rng = random.Random(n)
        done = []
        k = 0
        while time.monotonic() < deadline:
            done.append(
                caller.call(
                    f"CA{n:016d}{k:016d}", rng.choice(SCRIPTS), pause_s=rng.uniform(0.5, 1.5)
                )
            )
            k += 1
        return done

    with ThreadPoolExecutor(max_workers=CALLERS) as pool:
        results = [r for batch in pool.map(person, range(CALLERS)) for r in batch]
    requests = sum(len(r.statuses) for r in results)
    errors = [r for r in results if r.errors or any(s != 200 for s in r.statuses)]
    assert requests > CALLERS * 2, requests
    assert not errors, f"{len(errors)} of {len(results)} calls saw errors: {errors[:2]}"
