"""TwiML rendering of engine commands, compared as parsed element trees (never as strings)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr.commands import Enqueue, Gather, Hangup, Param, ParamKind, Say
from ivr.prompts import load_catalogue
from webhooks.twiml import TurnUrls, TwimlError, TwimlRenderer, Voices, load_prompt_audio

NOW = datetime(2026, 11, 27, 11, 30)
CATALOGUE = load_catalogue(
    {
        "hello": {"hi": "नमस्ते", "en": "Hello"},
        "menu": {"hi": "शिकायत के लिए 1 दबाएँ", "en": "For a complaint, press 1"},
        "docket": {"hi": "क्रमांक {n}", "en": "Number {n}"},
    }
)
VOICES = Voices(hi="Polly.Aditi", en="Polly.Raveena")


def tree(xml: str | VoiceResponse) -> Any:
    """(tag, attributes, text, children) all the way down."""

    def walk(el: ET.Element) -> Any:
        return (el.tag, dict(el.attrib), (el.text or "").strip(), [walk(c) for c in el])

    text = xml if isinstance(xml, str) else str(xml)
    return walk(ET.fromstring(text.encode()))


def urls(gather: Gather) -> TurnUrls:
    return TurnUrls(f"https://x.in/g?turn={gather.turn}", f"https://x.in/s?turn={gather.turn}")


def no_enqueue(response: VoiceResponse, command: Enqueue) -> None:
    raise AssertionError("no Enqueue expected")


def say(text: str, lang: str = "en-IN", voice: str = "Polly.Raveena") -> Any:
    return ("Say", {"language": lang, "voice": voice}, text, [])


def test_gather_wraps_its_prompts_and_is_followed_by_a_no_input_redirect() -> None:
    renderer = TwimlRenderer(CATALOGUE, VOICES)
    commands = [Say("hello", "hi"), Gather((Say("menu", "hi"),), 1, 6, "#", turn=4)]
    got = renderer.turn(commands, NOW, urls=urls, enqueue=no_enqueue)
    assert tree(got) == (
        "Response",
        {},
        "",
        [
            say("नमस्ते", "hi-IN", "Polly.Aditi"),
            (
                "Gather",
                {
                    "action": "https://x.in/g?turn=4",
                    "method": "POST",
                    "input": "dtmf",
                    "numDigits": "1",
                    "timeout": "6",
                    "finishOnKey": "#",
                },
                "",
                [say("शिकायत के लिए 1 दबाएँ", "hi-IN", "Polly.Aditi")],
            ),
            ("Redirect", {"method": "POST"}, "https://x.in/s?turn=4", []),
        ],
    )


def test_parameters_are_read_out_and_hangup_ends() -> None:
    renderer = TwimlRenderer(CATALOGUE, VOICES)
    commands = [Say("docket", "en", (Param("n", ParamKind.DIGITS, "407"),)), Hangup("done")]
    got = renderer.turn(commands, NOW, urls=urls, enqueue=no_enqueue)
    assert tree(got) == ("Response", {}, "", [say("Number 4 0 7"), ("Hangup", {}, "", [])])


def test_recorded_prompt_is_played_but_a_prompt_with_values_is_spoken() -> None:
    audio = load_prompt_audio(
        {"hello": {"audio": "hello.wav"}, "docket": {"audio": {"en": "docket-en.wav"}}},
        "https://media.example.in/p",
    )
    renderer = TwimlRenderer(CATALOGUE, VOICES, audio)
    commands = [Say("hello", "en"), Say("docket", "en", (Param("n", ParamKind.DIGITS, "1"),))]
    got = renderer.turn(commands, NOW, urls=urls, enqueue=no_enqueue)
    assert tree(got) == (
        "Response",
        {},
        "",
        [
            ("Play", {}, "https://media.example.in/p/hello.wav", []),
            say("Number 1"),
        ],
    )


def test_enqueue_is_delegated() -> None:
    renderer = TwimlRenderer(CATALOGUE, VOICES)
    seen: list[Enqueue] = []

    def enqueue(response: VoiceResponse, command: Enqueue) -> None:
        seen.append(command)
        response.enqueue(command.queue)

    got = renderer.turn([Enqueue("CZ-hi", 0, "operator")], NOW, urls=urls, enqueue=enqueue)
    assert seen == [Enqueue("CZ-hi", 0, "operator")]
    assert tree(got) == ("Response", {}, "", [("Enqueue", {}, "CZ-hi", [])])


def test_bad_audio_entry_fails_at_start_up() -> None:
    with pytest.raises(TwimlError, match="prompts.hello.audio: unknown language"):
        load_prompt_audio({"hello": {"audio": {"fr": "x.wav"}}}, "https://m.example.in")
