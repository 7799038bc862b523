"""Applying AMI facts off the event loop, in arrival order per call and per member.

Facts go to one of a few shard queues chosen by `dialplans.events.ordering_key`, so the facts
of one call (or one queue member) are applied one after another, in the order Asterisk sent
them, while different calls proceed in parallel. Each shard's worker runs the blocking apply
function on a thread. `barrier` runs a function after everything submitted before it and before
anything submitted after it: the resynchronisation after a reconnect uses it, so a listing is
never overwritten by older events nor applied on top of newer ones still waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from dialplans.events import Fact, ordering_key


@dataclass(frozen=True, slots=True)
class _Barrier:
    arrived: asyncio.Event
    release: asyncio.Event


class OrderedDispatcher:
    """Applies facts on worker threads, in arrival order per ordering key, keys in parallel."""

    def __init__(self, apply: Callable[[Fact], None], *, shards: int = 8) -> None:
        self._apply = apply
        self._queues: list[asyncio.Queue[Fact | _Barrier]] = [
            asyncio.Queue() for _ in range(shards)
        ]
        self._workers: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._workers = [asyncio.create_task(self._work(q)) for q in self._queues]

    def submit(self, fact: Fact) -> None:
        self._queues[hash(ordering_key(fact)) % len(self._queues)].put_nowait(fact)

    async def drain(self) -> None:
        await asyncio.gather(*(q.join() for q in self._queues))

    async def barrier(self, fn: Callable[[], None]) -> None:
        """Run `fn` after every fact submitted so far and before any submitted later."""
        release = asyncio.Event()
        arrived = [asyncio.Event() for _ in self._queues]
        for queue, event in zip(self._queues, arrived, strict=True):
            queue.put_nowait(_Barrier(event, release))
        await asyncio.gather(*(event.wait() for event in arrived))
        try:
            await asyncio.to_thread(fn)
        finally:
            release.set()

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)

    async def _work(self, queue: asyncio.Queue[Fact | _Barrier]) -> None:
        while True:
            item = await queue.get()
            try:
                if isinstance(item, _Barrier):
                    item.arrived.set()
                    await item.release.wait()
                else:
                    await asyncio.to_thread(self._apply, item)
            finally:
                queue.task_done()
