"""The engine's commands carried out over an AGI channel.

`Say` → `STREAM FILE` of the rendered segments (words from the per-word fragments), `Gather` →
the prompts with `STREAM FILE` and every key as an escape digit except the last, which is
`GET DATA` (a key pressed during any prompt counts, as it would on Twilio), `Enqueue` → the
`SET VARIABLE`s the dialplan's `Queue()` reads, `Hangup` → `HELPLINE_ACTION=hangup`. A prompt
with no audio file is logged with the call id and skipped. It logs as `dialplans.agi_session`,
like the rest of the AGI call handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from dialplans.agi_channel import AgiChannel
from dialplans.prompts_audio import SILENCE_FILE, AudioNames
from ivr.commands import Command, Enqueue, Gather, Hangup, Say
from ivr.events import DigitsEntered, Event, NoInput
from ivr.prompts import Catalogue, render
from routing.queues import QueueSet

# One logger for every part of an AGI call, whichever module writes the line.
log = logging.getLogger("dialplans.agi_session")

ALL_KEYS = "0123456789*#"


def queue_variables(enqueue: Enqueue, queues: QueueSet) -> list[tuple[str, str]]:
    """The channel variables the dialplan's `Queue()` reads, for the engine's `Enqueue`.

    The wait before overflow is the queue's `overflow_after_s`; no overflow, no timeout.
    """
    if enqueue.queue not in queues:
        return []
    queue = queues[enqueue.queue]
    overflow = queue.overflow_target or ""
    timeout = str(queue.overflow_after_s) if overflow and queue.overflow_after_s else ""
    return [
        ("HELPLINE_ACTION", "queue"),
        ("HELPLINE_QUEUE", queue.name),
        ("HELPLINE_PRIORITY", str(enqueue.priority)),
        ("HELPLINE_TIMEOUT", timeout),
        ("HELPLINE_OVERFLOW", overflow),
    ]


class CommandsOverAgi:
    """Plays prompts, collects digits and sets the dialplan's variables for the engine."""

    def __init__(
        self, *, catalogue: Catalogue, queues: QueueSet, local_now: Callable[[], datetime]
    ) -> None:
        self._catalogue = catalogue
        self._names = AudioNames(catalogue)
        self._queues = queues
        self._now = local_now

    async def perform(
        self, channel: AgiChannel, commands: Sequence[Command]
    ) -> tuple[Event, int] | None:
        """Carry out one turn's commands; what the caller answered a `Gather`, with its turn."""
        now = self._now()
        for command in commands:
            if isinstance(command, Say):
                await self._play(channel, self._files(channel.call_id, command, now), "")
            elif isinstance(command, Gather):
                return await self.collect(channel, command, now), command.turn
            elif isinstance(command, Enqueue):
                for name, value in queue_variables(command, self._queues):
                    await channel.set_variable(name, value)
            elif isinstance(command, Hangup):
                await channel.set_variable("HELPLINE_ACTION", "hangup")
        return None

    async def collect(self, channel: AgiChannel, gather: Gather, now: datetime) -> Event:
        """Play the prompts, taking a key pressed during any of them as the first digit."""
        files = [f for say in gather.prompts for f in self._files(channel.call_id, say, now)]
        last = files.pop() if files else SILENCE_FILE
        first = await self._play(channel, files, ALL_KEYS)
        if first is None:
            digits = await channel.get_data(last, gather.timeout_s, gather.max_digits)
        elif first == gather.finish_on_key:
            digits = ""
        elif gather.max_digits <= 1:
            digits = first
        else:
            rest = await channel.get_data(SILENCE_FILE, gather.timeout_s, gather.max_digits - 1)
            digits = first + rest
        return DigitsEntered(digits) if digits else NoInput()

    async def say_all(self, channel: AgiChannel, prompts: list[str], language: str) -> None:
        """Play the prompts the catalogue holds, in order, uninterrupted."""
        now = self._now()
        for prompt in prompts:
            if prompt in self._catalogue.texts:
                await self._play(
                    channel, self._files(channel.call_id, Say(prompt, language), now), ""
                )

    async def _play(self, channel: AgiChannel, files: list[str], escape: str) -> str | None:
        for file in files:
            key = await channel.stream(file, escape)
            if key is not None:
                return key
        return None

    def _files(self, call_id: str, say: Say, now: datetime) -> list[str]:
        plan = self._names.plan(render(self._catalogue, say, now), say.language)
        if plan.missing:
            log.warning(
                "call %s: no audio for %s in %s (%s)",
                call_id,
                plan.missing,
                say.prompt,
                say.language,
            )
        return list(plan.files)
