"""Rendering the engine's caller-facing commands as TwiML, with the `twilio` response builders.

A `Say` becomes `<Say>` in `hi-IN` or `en-IN` with the voice configured for the language, or
`<Play>` when the prompt has a recorded file and nothing to fill in (a prompt with parameters
is spoken: one recording cannot carry a docket number). A `Gather` becomes `<Gather>` around its
prompts, posting the digits to the turn's action URL, and is always followed by a `<Redirect>`
to the turn's no-input URL, because Twilio falls through to the next verb when the caller keys
nothing. Both URLs carry the turn number (the caller of the renderer builds them), so a retried
request re-renders instead of advancing. `Enqueue` is delegated to the queue desk, which knows
the wait and action URLs. TwiML is never written by hand here: every element comes from
`twilio.twiml.voice_response`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from twilio.twiml import TwiML  # type: ignore[import-untyped]
from twilio.twiml.voice_response import VoiceResponse  # type: ignore[import-untyped]

from ivr.commands import Command, Enqueue, Gather, Hangup, Say
from ivr.prompts import Catalogue, render

LANGUAGE_CODES: Mapping[str, str] = {"hi": "hi-IN", "en": "en-IN"}

EnqueueRenderer = Callable[[VoiceResponse, Enqueue], None]


class TwimlError(Exception):
    """A bad prompt-audio entry in the configuration (found at start-up)."""


@dataclass(frozen=True, slots=True)
class Voices:
    """The text-to-speech voice per language (Twilio voice names such as `Polly.Aditi`)."""

    hi: str
    en: str

    def voice(self, language: str) -> str:
        return self.en if language == "en" else self.hi


@dataclass(frozen=True, slots=True)
class TurnUrls:
    """Where a turn's `<Gather>` posts digits, and where its no-input `<Redirect>` goes."""

    gather: str
    silence: str


def link(base_url: str, path: str, **query: str | int) -> str:
    """An absolute URL of one of our routes, for TwiML and REST requests.

    >>> link("https://ivr.example.in", "/twilio/voice/gather", turn=3)
    'https://ivr.example.in/twilio/voice/gather?turn=3'
    """
    return base_url.rstrip("/") + path + (f"?{urlencode(query)}" if query else "")


def load_prompt_audio(
    prompts: Mapping[str, Any], base_url: str | None
) -> dict[str, dict[str, str]]:
    """Recorded prompts from the prompt file: `audio = "file"` (both languages) or a table.

    Without a base URL the recordings are not served anywhere Twilio can fetch them, so none
    are used and every prompt is spoken.

    >>> load_prompt_audio({"bye": {"en": "Bye", "audio": "bye.wav"}}, "https://cdn.example/p")
    {'bye': {'hi': 'https://cdn.example/p/bye.wav', 'en': 'https://cdn.example/p/bye.wav'}}
    >>> load_prompt_audio({"bye": {"audio": {"hi": "bye-hi.wav"}}}, "https://cdn.example/p")
    {'bye': {'hi': 'https://cdn.example/p/bye-hi.wav'}}
    >>> load_prompt_audio({"bye": {"audio": "bye.wav"}}, None)
    {}
    """
    if not base_url:
        return {}
    audio: dict[str, dict[str, str]] = {}
    for pid, spec in prompts.items():
        raw = spec.get("audio") if isinstance(spec, Mapping) else None
        if raw is None:
            continue
        files = dict.fromkeys(LANGUAGE_CODES, raw) if isinstance(raw, str) else raw
        if not isinstance(files, Mapping) or not all(isinstance(f, str) for f in files.values()):
            raise TwimlError(f"prompts.{pid}.audio: a file name or a table of hi/en file names")
        unknown = sorted(set(files) - set(LANGUAGE_CODES))
        if unknown:
            raise TwimlError(f"prompts.{pid}.audio: unknown language(s) {', '.join(unknown)}")
        audio[str(pid)] = {lang: f"{base_url}/{name.lstrip('/')}" for lang, name in files.items()}
    return audio


class TwimlRenderer:
    """Turns commands into a `VoiceResponse`; holds the catalogue, voices and recordings."""

    def __init__(
        self,
        catalogue: Catalogue,
        voices: Voices,
        audio: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._catalogue = catalogue
        self._voices = voices
        self._audio = audio or {}

    def say(self, parent: TwiML, say: Say, now: datetime) -> None:
        """Add one prompt to `parent` (a response or a `<Gather>`).

        >>> from ivr.prompts import load_catalogue
        >>> cat = load_catalogue({"bye": {"hi": "धन्यवाद", "en": "Thank you"}})
        >>> r = VoiceResponse()
        >>> TwimlRenderer(cat, Voices("Polly.Aditi", "Polly.Raveena")).say(
        ...     r, Say("bye", "en"), datetime(2026, 1, 1))
        >>> r.to_xml(xml_declaration=False)
        '<Response><Say language="en-IN" voice="Polly.Raveena">Thank you</Say></Response>'
        """
        recorded = self._audio.get(say.prompt, {}).get(say.language)
        if recorded and not say.params:
            parent.play(recorded)
            return
        text = render(self._catalogue, say, now).text
        parent.say(
            text,
            voice=self._voices.voice(say.language),
            language=LANGUAGE_CODES.get(say.language, "hi-IN"),
        )

    def says(self, parent: TwiML, says: Iterable[Say], now: datetime) -> None:
        for say in says:
            self.say(parent, say, now)

    def gather(self, parent: VoiceResponse, gather: Gather, urls: TurnUrls, now: datetime) -> None:
        """`<Gather>` with its prompts, then the `<Redirect>` Twilio reaches on no input."""
        verb = parent.gather(
            input="dtmf",
            action=urls.gather,
            method="POST",
            num_digits=gather.max_digits,
            timeout=gather.timeout_s,
            finish_on_key=gather.finish_on_key,
        )
        self.says(verb, gather.prompts, now)
        parent.redirect(urls.silence, method="POST")

    def turn(
        self,
        commands: Iterable[Command],
        now: datetime,
        *,
        urls: Callable[[Gather], TurnUrls],
        enqueue: EnqueueRenderer,
    ) -> VoiceResponse:
        """The whole response to one turn; `urls` builds the gather/no-input URLs of a turn."""
        response = VoiceResponse()
        for command in commands:
            if isinstance(command, Say):
                self.say(response, command, now)
            elif isinstance(command, Gather):
                self.gather(response, command, urls(command), now)
            elif isinstance(command, Enqueue):
                enqueue(response, command)
            elif isinstance(command, Hangup):
                response.hangup()
        return response
