"""One scenario, three front-ends: the terminal phone, Asterisk (FastAGI) and Twilio (webhooks)
must hear the same prompts, feed the engine the same inputs and end with the same outcome.

Each front-end runs against the same services, whose call service is wrapped to record what
the engine was told and answered. Agreement is then checked twice: the engine's prompt ids and
inputs are the same for all three, and each front-end really rendered what it was given (the
terminal printed the rendered text, Asterisk played exactly the files of those prompts, Twilio
said exactly their text).
"""

from __future__ import annotations

import asyncio
import io
import threading
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import Any

import pytest

from dialplans import agi_peer
from dialplans.agi import FastAgiServer
from dialplans.frontends import ivr_over_agi
from dialplans.prompts_audio import SILENCE_FILE, AudioNames
from ivr.commands import Enqueue, Gather, Hangup, Say
from ivr.events import DigitsEntered, Event
from ivr.prompts import render
from services.calls import TurnResult
from services.terminal_phone import run_call

CALLER = "+919000000002"
SCENARIOS = {
    "no supply complaint": ["2", "1", "1"],
    "silence, then a complaint": ["2", "", "1", "1"],
    "operator": ["2", "0"],
    "hazard": ["2", "1", "5"],
}


class RecordingCalls:
    """The call service, recording every event fed to it and every turn it returned."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.turns: dict[str, list[TurnResult]] = defaultdict(list)
        self.events: dict[str, list[Event]] = defaultdict(list)

    def start(self, call_id: str, caller: str, channel: str) -> TurnResult:
        result: TurnResult = self._inner.start(call_id, caller, channel)
        with self._lock:
            self.turns[call_id].append(result)
        return result

    def handle(self, call_id: str, event: Event, *, turn: int | None = None) -> Any:
        result = self._inner.handle(call_id, event, turn=turn)
        with self._lock:
            self.events[call_id].append(event)
            if result is not None:
                self.turns[call_id].append(result)
        return result

    def handle_once(self, call_id: str, event: Event, *, render: Any, **kwargs: Any) -> str:
        def recorded(result: TurnResult | None) -> str:
            with self._lock:
                self.events[call_id].append(event)
                if result is not None:
                    self.turns[call_id].append(result)
            return str(render(result))

        return str(self._inner.handle_once(call_id, event, render=recorded, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def said(turns: list[TurnResult]) -> list[Say]:
    out: list[Say] = []
    for turn in turns:
        for command in turn.commands:
            if isinstance(command, Say):
                out.append(command)
            elif isinstance(command, Gather):
                out.extend(command.prompts)
    return out


def script(turns: list[TurnResult]) -> list[tuple[str, ...]]:
    """What the engine asked the front-end to do, by prompt id (values left out)."""
    out: list[tuple[str, ...]] = []
    for turn in turns:
        for command in turn.commands:
            if isinstance(command, Say):
                out.append(("say", command.prompt, command.language))
            elif isinstance(command, Gather):
                out.append(("gather", *(s.prompt for s in command.prompts)))
            elif isinstance(command, Enqueue):
                out.append(("enqueue", command.queue, str(command.priority)))
            elif isinstance(command, Hangup):
                out.append(("hangup", command.reason))
    return out


def inputs(events: list[Event]) -> list[str]:
    return [e.digits if isinstance(e, DigitsEntered) else type(e).__name__ for e in events]


def outcome(services: Any, call_id: str) -> tuple[str, ...]:
    session = services.calls.current(call_id)
    kind, detail = session.outcome.kind, dict(session.outcome.detail)
    docket = str(detail.pop("docket", ""))
    return (kind, docket[:8], *(f"{k}={v}" for k, v in sorted(detail.items())))


@pytest.fixture
def settings_env(settings_env: dict[str, str]) -> dict[str, str]:
    return {**settings_env, "TWILIO_VALIDATE_SIGNATURES": "false"}


@pytest.fixture
def recording(services: Any) -> RecordingCalls:
    services.calls = RecordingCalls(services.calls)
    return services.calls  # type: ignore[no-any-return]


def through_terminal(services: Any, keys: list[str]) -> tuple[str, list[str]]:
    out = io.StringIO()
    run_call(services, caller=CALLER, keys=keys, out=out, read_line=lambda: None)
    call_id = next(c for c in services.calls.turns if c.startswith("term-"))
    shown = [
        line.removeprefix("IVR: ")
        for line in out.getvalue().splitlines()
        if line.startswith("IVR: ") and not line.startswith("IVR: [")
    ]
    return call_id, shown


def through_asterisk(services: Any, keys: list[str]) -> tuple[str, agi_peer.PeerLog]:
    async def run() -> agi_peer.PeerLog:
        runner = ivr_over_agi(
            services,
            threads=2,
        )
        server = FastAgiServer(runner)
        host, port = await server.start("127.0.0.1", 0)
        try:
            return await asyncio.wait_for(
                agi_peer.call(host, port, uniqueid="1900000000.1", caller=CALLER, answers=keys), 60
            )
        finally:
            await server.close()

    return "1900000000.1", asyncio.run(run())


def through_twilio(services: Any, keys: list[str]) -> tuple[str, list[ET.Element]]:
    from webhooks.app import create_app

    client = create_app(services).test_client()
    form = {
        "CallSid": "CA-contract",
        "AccountSid": "AC" + "0" * 32,
        "From": CALLER,
        "To": "+911912",
        "CallStatus": "in-progress",
        "Direction": "inbound",
    }

    def post(url: str, **extra: str) -> ET.Element:
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        response = client.post("/" + path, data={**form, **extra})
        assert response.status_code == 200, response.data
        return ET.fromstring(response.data)

    pages = [post("/twilio/voice")]
    for key in keys:
        gather = pages[-1].find("Gather")
        assert gather is not None, ET.tostring(pages[-1])
        if key:
            pages.append(post(gather.attrib["action"], Digits=key))
        else:
            redirect = pages[-1].find("Redirect")
            assert redirect is not None and redirect.text
            pages.append(post(redirect.text))
    return "CA-contract", pages


@pytest.mark.parametrize("keys", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_terminal_asterisk_and_twilio_agree(
    services: Any, recording: RecordingCalls, keys: list[str]
) -> None:
    terminal, shown = through_terminal(services, keys)
    asterisk, peer = through_asterisk(services, keys)
    twilio, pages = through_twilio(services, keys)

    scripts = {
        name: script(recording.turns[cid])
        for name, cid in (("terminal", terminal), ("asterisk", asterisk), ("twilio", twilio))
    }
    assert scripts["asterisk"] == scripts["terminal"] == scripts["twilio"]
    fed = {
        name: inputs(recording.events[cid])
        for name, cid in (("terminal", terminal), ("asterisk", asterisk), ("twilio", twilio))
    }
    assert fed["asterisk"] == fed["terminal"] == fed["twilio"]
    assert outcome(services, asterisk) == outcome(services, terminal) == outcome(services, twilio)

    now = services.local_now()
    # The terminal printed the rendered text of every prompt, in order.
    texts = [render(services.catalogue, s, now).text for s in said(recording.turns[terminal])]
    assert shown == texts
    # Asterisk played exactly the files of the same prompts, in order.
    names = AudioNames(services.catalogue)
    files = [
        f
        for s in said(recording.turns[asterisk])
        for f in names.plan(render(services.catalogue, s, now), s.language).files
    ]
    assert [f for f in peer.played if f != SILENCE_FILE] == files
    # Twilio said the same text (whitespace aside), in order.
    twilio_said = [el.text or "" for page in pages for el in page.iter("Say")]
    expected = [render(services.catalogue, s, now).text for s in said(recording.turns[twilio])]
    assert [t.strip() for t in twilio_said[: len(expected)]] == [t.strip() for t in expected]
