"""The prompt catalogue (Hindi and English text per prompt id) and the renderer of `Say`.

Prompt texts may hold `{name}` placeholders, filled from the `Say`'s typed parameters through
the read-outs of `ivr.readout` (digits one by one, times of day, money…). Rendering gives the
full text (for text-to-speech and the terminal) and the same utterance as segments: fixed
pieces of prompt text, which an installer records or synthesises once per language, and
spoken words for the parameters, which are played from per-word fragments (Asterisk cannot
speak text). `check_flow_prompts` proves at start-up that a flow asks for nothing the catalogue
lacks.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from ivr import readout
from ivr.commands import Param, ParamKind, Say
from ivr.errors import PromptError
from ivr.flow import ChooseNode, Flow

LANGUAGES = ("hi", "en")


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a rendered prompt: fixed text of `prompt` (part `part`), or spoken words."""

    text: str
    prompt: str = ""
    part: int = 0
    words: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    texts: Mapping[str, Mapping[str, str]]

    def text(self, prompt: str, language: str) -> str:
        try:
            return self.texts[prompt][language]
        except KeyError:
            raise PromptError(f"prompt {prompt!r} has no {language!r} text") from None

    def placeholders(self, prompt: str) -> frozenset[str]:
        names: set[str] = set()
        for text in self.texts[prompt].values():
            names.update(n for _, n, _, _ in string.Formatter().parse(text) if n)
        return frozenset(names)


def load_catalogue(data: Mapping[str, Any], *, where: str = "prompts") -> Catalogue:
    """Validate a parsed prompt file: every prompt has non-empty text in every language.

    >>> load_catalogue({"bye": {"hi": "धन्यवाद", "en": "Thank you"}}).text("bye", "en")
    'Thank you'
    >>> load_catalogue({"bye": {"hi": "धन्यवाद"}})
    Traceback (most recent call last):
    ivr.errors.PromptError: prompts.bye.en: missing
    """
    texts: dict[str, dict[str, str]] = {}
    for pid, langs in data.items():
        if not isinstance(langs, Mapping):
            raise PromptError(f"{where}.{pid}: must be a table of languages")
        for lang in LANGUAGES:
            text = langs.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise PromptError(f"{where}.{pid}.{lang}: missing")
            try:
                list(string.Formatter().parse(text))
            except ValueError as exc:
                raise PromptError(f"{where}.{pid}.{lang}: bad placeholder ({exc})") from None
        extra = sorted(set(langs) - set(LANGUAGES) - {"audio"})
        if extra:
            raise PromptError(f"{where}.{pid}: unknown key(s) {', '.join(extra)}")
        texts[str(pid)] = {lang: str(langs[lang]) for lang in LANGUAGES}
    return Catalogue(texts)


def check_flow_prompts(
    flow: Flow, catalogue: Catalogue, *, engine_prompts: tuple[str, ...]
) -> None:
    """Fail with the flow path when a node uses a prompt the catalogue lacks or cannot fill."""
    for pid in engine_prompts:
        if pid not in catalogue.texts:
            raise PromptError(f"prompts: missing {pid!r}, which the engine speaks")
    for nid, node in flow.nodes.items():
        where = f"{flow.name}.nodes.{nid}"
        names = {p.name for p in node.params}
        if isinstance(node, ChooseNode):
            names |= {"key", "other_key"}
        used = list(node.prompts)
        used += [getattr(node, a, "") for a in ("prompt_one", "prompt_item")]
        for pid in filter(None, used):
            if pid not in catalogue.texts:
                raise PromptError(f"{where}: prompt {pid!r} is not in the catalogue")
            missing = catalogue.placeholders(pid) - names
            if missing:
                raise PromptError(f"{where}: prompt {pid!r} needs params {sorted(missing)}")
        for attr in ("invalid_prompt", "not_found_prompt"):
            pid = getattr(node, attr, "")
            if pid and pid not in catalogue.texts:
                raise PromptError(f"{where}.{attr}: prompt {pid!r} is not in the catalogue")
        for param in node.params:
            if param.kind is ParamKind.PROMPT and "{" in param.source:
                prefix = param.source.split("{", 1)[0]
                if not any(p.startswith(prefix) for p in catalogue.texts):
                    raise PromptError(f"{where}.params.{param.name}: no prompts start {prefix!r}")


def render(catalogue: Catalogue, say: Say, now: datetime) -> Rendered:
    """Render a `Say` into text and segments; `now` anchors "today"/"tomorrow" read-outs.

    >>> cat = load_catalogue({"d": {"hi": "डॉकेट {n}।", "en": "Docket {n}."}})
    >>> say = Say("d", "en", (Param("n", ParamKind.DIGITS, "42"),))
    >>> render(cat, say, datetime(2026, 1, 1)).text
    'Docket 4 2.'
    """
    template = catalogue.text(say.prompt, say.language)
    values = {p.name: p for p in say.params}
    texts: list[str] = []
    segments: list[Segment] = []
    for part, (literal, name, _, _) in enumerate(string.Formatter().parse(template)):
        if literal:
            texts.append(literal)
            segments.append(Segment(literal, prompt=say.prompt, part=part))
        if name:
            param = values.get(name)
            phrase = _read_out(catalogue, param, say.language, now) if param else None
            if phrase is not None:
                texts.append(phrase.text)
                segments.append(Segment(phrase.text, words=phrase.words))
    return Rendered("".join(texts), tuple(segments))


def _read_out(
    catalogue: Catalogue, param: Param, lang: str, now: datetime
) -> readout.Phrase | None:
    value = param.value
    if value == "":
        return None
    kind = param.kind
    try:
        if kind is ParamKind.DIGITS:
            return readout.digits(value, lang)
        if kind is ParamKind.NUMBER:
            return readout.number(int(value), lang)
        if kind is ParamKind.TIME:
            return readout.time_of_day(time.fromisoformat(value), lang)
        if kind is ParamKind.MOMENT:
            return readout.moment(_local(datetime.fromisoformat(value), now), now, lang)
        if kind is ParamKind.DATE:
            return readout.date(date.fromisoformat(value), lang)
        if kind is ParamKind.MONEY:
            return readout.money(int(value), lang)
        if kind is ParamKind.MINUTES:
            return readout.minutes(int(value), lang)
    except ValueError:
        return readout.Phrase(value, (value,))
    if kind is ParamKind.PROMPT:
        if value not in catalogue.texts:
            return None
        text = catalogue.text(value, lang)
        return readout.Phrase(text, (text,))
    return readout.Phrase(value, (value,))


def _local(moment: datetime, now: datetime) -> datetime:
    """Bring a stored moment into the caller's clock (`now` carries the local zone)."""
    if moment.tzinfo is not None and now.tzinfo is not None:
        return moment.astimezone(now.tzinfo)
    if moment.tzinfo is not None:
        return moment.replace(tzinfo=None)
    return moment
