"""The terminal phone: a person (or a script) calls the IVR from a shell.

Prompts print as `IVR: …`, inputs as `YOU: …`, and the last line states the outcome. With a
list of keys, each item answers one input request in order (an empty item is silence); the call
ends when the keys run out or the flow ends. Without keys it reads each answer from the
keyboard (an empty line is silence, end-of-file hangs up).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from typing import TextIO

from ivr.commands import Enqueue, Gather, Hangup, Say
from ivr.events import CallerHungUp, DigitsEntered, Event, NoInput
from ivr.prompts import render
from services.calls import TurnResult
from services.container import Services


def run_call(
    services: Services,
    *,
    caller: str,
    keys: list[str] | None,
    out: TextIO,
    read_line: Callable[[], str | None],
    speak: Callable[[str, str], None] | None = None,
) -> str:
    """Run one call; return the outcome line (also printed)."""
    call_id = f"term-{uuid.uuid4().hex[:16]}"
    result = services.calls.start(call_id, caller, "terminal")
    answers = iter(keys) if keys is not None else None
    while True:
        _show(services, result, out, speak)
        gather = result.gather
        if gather is None or result.session.ended:
            break
        event = _next_input(answers, read_line, out)
        if isinstance(event, CallerHungUp):
            services.calls.handle(call_id, event)
            break
        next_result = services.calls.handle(call_id, event, turn=gather.turn)
        if next_result is None:
            break
        result = next_result
    session = services.calls.current(call_id)
    outcome = session.outcome.describe() if session and session.outcome else "abandoned"
    line = f"OUTCOME: {outcome}"
    print(line, file=out)
    return line


def _show(
    services: Services, result: TurnResult, out: TextIO, speak: Callable[[str, str], None] | None
) -> None:
    now = services.local_now()
    for command in result.commands:
        says: tuple[Say, ...] = ()
        if isinstance(command, Say):
            says = (command,)
        elif isinstance(command, Gather):
            says = command.prompts
        for say in says:
            text = render(services.catalogue, say, now).text
            print(f"IVR: {text}", file=out)
            if speak:
                speak(text, say.language)
        if isinstance(command, Enqueue):
            print(f"IVR: [waiting in queue {command.queue}, priority {command.priority}]", file=out)
            _join_live_queue(services, result.session.call_id, command)
        if isinstance(command, Hangup):
            print("IVR: [call ended]", file=out)


def _next_input(
    answers: Iterator[str] | None, read_line: Callable[[], str | None], out: TextIO
) -> Event:
    if answers is not None:
        try:
            keys = next(answers).strip()
        except StopIteration:
            print("YOU: [hang up]", file=out)
            return CallerHungUp()
    else:
        line = read_line()
        if line is None:
            print("YOU: [hang up]", file=out)
            return CallerHungUp()
        keys = line.strip()
    print(f"YOU: {keys if keys else '[no input]'}", file=out)
    return DigitsEntered(keys) if keys else NoInput()


def _join_live_queue(services: Services, call_id: str, command: Enqueue) -> None:
    """Show the waiting caller to operators (live view, ACD) as a real call would be."""
    routing = services.extras.get("routing")
    if routing is None:
        return
    try:
        routing.join(call_id, command.queue, command.priority)
    except Exception as exc:  # the call itself is over; the queue view is best effort
        logging.getLogger(__name__).warning("could not join the live queue: %s", exc)
