"""A scripted Asterisk for tests and benchmarks: speaks the AGI side of a FastAGI call.

It connects to our FastAGI server as Asterisk would, sends the `agi_*` headers, then answers
each command: `STREAM FILE` plays instantly (or is interrupted by the caller's next key when
`barge_in` is set), `GET DATA` returns the caller's next answer (an empty answer is a timeout),
`SET VARIABLE` is remembered, `GET VARIABLE` reads the channel variables given (as an
originated call carries them); `think_s` makes the caller pause before keying, as a person
would. When the answers run out and the server asks for input, the
caller hangs up: either Asterisk's `HANGUP` line or a closed socket. Everything said and done is
kept in a `PeerLog`. This is test equipment, not part of the service: the real peer is Asterisk.
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from dialplans.prompts_audio import SILENCE_FILE

HangupStyle = Literal["line", "close"]


@dataclass
class PeerLog:
    commands: list[str] = field(default_factory=list)
    played: list[str] = field(default_factory=list)  # files, in order, incl. GET DATA's
    inputs: list[str] = field(default_factory=list)  # what the caller keyed, per request
    variables: dict[str, str] = field(default_factory=dict)
    turn_latencies: list[float] = field(default_factory=list)  # answer → next command, s
    hung_up: bool = False


@dataclass
class _Caller:
    answers: list[str]
    barge_in: bool
    channel_variables: dict[str, str] = field(default_factory=dict)
    pending_rest: str | None = None  # digits still to key after a barge-in

    def next_answer(self) -> str | None:
        return self.answers.pop(0) if self.answers else None


async def call(
    host: str,
    port: int,
    *,
    uniqueid: str,
    caller: str,
    answers: Sequence[str],
    script: str = "1912",
    args: Sequence[str] = (),
    barge_in: bool = False,
    hangup: HangupStyle = "line",
    think_s: Callable[[], float] | None = None,
    channel_variables: Mapping[str, str] | None = None,
) -> PeerLog:
    """Place one scripted call against a FastAGI server; returns what happened."""
    reader, writer = await asyncio.open_connection(host, port)
    headers = {
        "agi_network": "yes",
        "agi_network_script": script,
        "agi_request": f"agi://{host}:{port}/{script}",
        "agi_channel": f"PJSIP/trunk-{uniqueid}",
        "agi_language": "en",
        "agi_type": "PJSIP",
        "agi_uniqueid": uniqueid,
        "agi_callerid": caller,
        "agi_calleridname": "unknown",
        "agi_context": "helpline-1912",
        "agi_extension": "1912",
        "agi_priority": "4",
    }
    headers.update({f"agi_arg_{i}": a for i, a in enumerate(args, start=1)})
    writer.write("".join(f"{k}: {v}\n" for k, v in headers.items()).encode() + b"\n")
    await writer.drain()
    log = PeerLog()
    state = _Caller(list(answers), barge_in, dict(channel_variables or {}))
    answered_at: float | None = None
    try:
        while line := await reader.readline():
            if answered_at is not None:
                log.turn_latencies.append(time.perf_counter() - answered_at)
                answered_at = None
            command = line.decode().strip()
            log.commands.append(command)
            reply, asked = _answer(command, state, log)
            if asked and think_s is not None:
                await asyncio.sleep(think_s())  # a person listening, then keying
            if reply is None:
                log.hung_up = True
                if hangup == "line":
                    writer.write(b"HANGUP\n")
                    await writer.drain()
                break
            writer.write(reply.encode() + b"\n")
            await writer.drain()
            if asked:
                answered_at = time.perf_counter()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    return log


def _answer(command: str, state: _Caller, log: PeerLog) -> tuple[str | None, bool]:
    """The reply to one command (None: hang up now), and whether it carried keyed input."""
    words = shlex.split(command)
    verb = " ".join(words[:2]).upper()
    # The server collects the rest of a barged-in answer with GET DATA on the silence file,
    # right after the interrupted prompt; anything else means that answer is complete.
    rest, state.pending_rest = state.pending_rest, None
    if verb == "GET DATA" and rest is not None and words[2] == SILENCE_FILE:
        log.played.append(words[2])
        return (f"200 result={rest}" if rest else "200 result= (timeout)"), True
    if verb == "STREAM FILE":
        log.played.append(words[2])
        escape = words[3] if len(words) > 3 else ""
        if state.barge_in and escape:
            answer = state.next_answer()
            if answer is None:
                return None, False
            log.inputs.append(answer)
            if answer:
                state.pending_rest = answer[1:]
                return f"200 result={ord(answer[0])} endpos=800", True
            state.answers.insert(0, answer)  # silence: let the prompt play on
            log.inputs.pop()
        return "200 result=0 endpos=8000", False
    if verb == "GET DATA":
        log.played.append(words[2])
        answer = state.next_answer()
        if answer is None:
            return None, False
        log.inputs.append(answer)
        return (f"200 result={answer}" if answer else "200 result= (timeout)"), True
    if verb == "GET VARIABLE":
        value = state.channel_variables.get(words[2])
        return ("200 result=0" if value is None else f"200 result=1 ({value})"), False
    if verb == "SET VARIABLE":
        log.variables[words[2]] = words[3] if len(words) > 3 else ""
        return "200 result=1", False
    return "200 result=0", False
