"""Prompt audio for Asterisk: one file name per spoken piece, and rendering them with espeak-ng.

Asterisk cannot speak text, it plays files. Every fixed piece of prompt text
(`ivr.prompts.Segment(prompt, part)`) and every word a read-out can produce
(`ivr.readout.fragment_vocabulary`, plus the texts of placeholder-free prompts, which `prompt:`
parameters splice in as one word) becomes one 8 kHz mono 16-bit WAV. Names are
`helpline1912/<lang>/p_<hash>` for prompt pieces and `helpline1912/<lang>/w_<hash>` for words:
a short SHA-1 of what is said (and of the prompt id and part), so Devanagari gives plain ASCII
names, and an edited text gets a new name instead of silently playing stale audio. `AudioNames`
is pure and cheap (the FastAGI server asks it on every turn); `render_audio` runs espeak-ng and
sox, skips files already rendered, and `write_index` writes `index.json` mapping each file to
its text.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import string
import subprocess
import tempfile
import wave
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from dialplans.errors import ToolMissing
from ivr.prompts import LANGUAGES, Catalogue, Rendered, Segment
from ivr.readout import fragment_vocabulary

SOUNDS_DIR = "helpline1912"  # under Asterisk's sounds directory (/var/lib/asterisk/sounds)
VOICES = {"hi": "hi", "en": "en-gb"}  # espeak-ng voices; British English is nearest Indian use
INSTALL_HINT = "install it with: apt-get install -y espeak-ng sox"

Kind = Literal["prompt", "word"]


@dataclass(frozen=True, slots=True)
class AudioEntry:
    """One file to render: its name (no extension), language, what it says and where from."""

    file: str
    language: str
    kind: Kind
    text: str
    prompt: str = ""
    part: int = 0


@dataclass(frozen=True, slots=True)
class AudioPlan:
    """The files that say a rendered prompt, and the words no file exists for."""

    files: tuple[str, ...]
    missing: tuple[str, ...]


def _digest(*parts: str) -> str:
    return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:12]


def speakable(text: str) -> bool:
    """True when a piece has something to say (a lone "." or "। " gets no file).

    >>> speakable("।  "), speakable("दबाएँ"), speakable(" 1912 ")
    (False, True, True)
    """
    return any(ch.isalnum() for ch in text)


def prompt_file(language: str, prompt: str, part: int, text: str) -> str:
    """The file of one fixed piece of a prompt.

    >>> prompt_file("en", "goodbye", 0, "Thank you for calling 1912.")
    'helpline1912/en/p_e77a105c9e69'
    """
    return f"{SOUNDS_DIR}/{language}/p_{_digest(language, prompt, str(part), text)}"


def word_file(language: str, word: str) -> str:
    """The file of one read-out word (digits, numbers, months, connectives).

    >>> word_file("hi", "शून्य").startswith("helpline1912/hi/w_")
    True
    """
    return f"{SOUNDS_DIR}/{language}/w_{_digest(language, word)}"


SILENCE_FILE = f"{SOUNDS_DIR}/silence"


class AudioNames:
    """Turns rendered prompts into the files Asterisk plays (pure; built once per process)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._words = {lang: _words(catalogue, lang) for lang in LANGUAGES}

    def segment_files(self, segment: Segment, language: str) -> tuple[list[str], list[str]]:
        """Files for one segment, and the words of it that have no file."""
        if segment.prompt:
            if not speakable(segment.text):
                return [], []
            return [prompt_file(language, segment.prompt, segment.part, segment.text)], []
        known = self._words.get(language, frozenset())
        files = [word_file(language, w) for w in segment.words if w in known]
        return files, [w for w in segment.words if w not in known]

    def plan(self, rendered: Rendered, language: str) -> AudioPlan:
        files: list[str] = []
        missing: list[str] = []
        for segment in rendered.segments:
            found, lacking = self.segment_files(segment, language)
            files += found
            missing += lacking
        return AudioPlan(tuple(files), tuple(missing))


def _words(catalogue: Catalogue, language: str) -> frozenset[str]:
    """Read-out words plus whole prompt texts that `prompt:` parameters splice in."""
    spliced = {
        texts[language]
        for pid, texts in catalogue.texts.items()
        if not catalogue.placeholders(pid) and language in texts
    }
    return fragment_vocabulary(language) | frozenset(spliced)


def inventory(catalogue: Catalogue) -> list[AudioEntry]:
    """Every file the catalogue and the read-outs need, in a stable order, without repeats."""
    entries: dict[str, AudioEntry] = {}
    for language in LANGUAGES:
        for pid, texts in sorted(catalogue.texts.items()):
            parsed = string.Formatter().parse(texts[language])
            # Part numbers count exactly as `ivr.prompts.render` counts them.
            for part, (literal, _name, _spec, _conv) in enumerate(parsed):
                if literal and speakable(literal):
                    name = prompt_file(language, pid, part, literal)
                    entries[name] = AudioEntry(name, language, "prompt", literal, pid, part)
        for word in sorted(_words(catalogue, language)):
            name = word_file(language, word)
            entries[name] = AudioEntry(name, language, "word", word)
    return list(entries.values())


@dataclass(frozen=True, slots=True)
class Tools:
    espeak: str
    sox: str


def find_tools(which: Callable[[str], str | None] = shutil.which) -> Tools:
    """Locate espeak-ng and sox, or raise `ToolMissing` saying how to install them."""
    espeak, sox = which("espeak-ng"), which("sox")
    if espeak is None or sox is None:
        lacking = " and ".join(n for n, p in (("espeak-ng", espeak), ("sox", sox)) if p is None)
        raise ToolMissing(f"{lacking} not found; {INSTALL_HINT}")
    return Tools(espeak, sox)


@dataclass(frozen=True, slots=True)
class RenderReport:
    written: int
    skipped: int


def render_audio(
    entries: Iterable[AudioEntry], out_dir: Path, *, tools: Tools, jobs: int = 4
) -> RenderReport:
    """Render each entry to `out_dir/<file>.wav`; files already there are kept (names are
    content hashes, so an existing file already says the right thing)."""
    wanted = list(entries)
    todo = [e for e in wanted if not local_path(out_dir, e.file).exists()]
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(lambda e: _synthesise(e, out_dir, tools), todo))
    write_silence(local_path(out_dir, SILENCE_FILE))
    return RenderReport(written=len(todo), skipped=len(wanted) - len(todo))


def local_path(out_dir: Path, file: str) -> Path:
    """Where a file lands in the output folder, which is copied to `sounds/helpline1912`.

    >>> local_path(Path("out"), "helpline1912/hi/w_0123").as_posix()
    'out/hi/w_0123.wav'
    """
    return out_dir / f"{file.removeprefix(SOUNDS_DIR + '/')}.wav"


def _synthesise(entry: AudioEntry, out_dir: Path, tools: Tools) -> None:
    target = local_path(out_dir, entry.file)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        # Text goes through stdin as UTF-8 (-b 1): no shell quoting, no option injection.
        speak = [tools.espeak, "-v", VOICES[entry.language], "-b", "1", "-w", str(raw), "--stdin"]
        subprocess.run(speak, input=entry.text.encode("utf-8"), check=True, capture_output=True)
        # Asterisk's native slin format: 8 kHz, mono, 16-bit signed.
        convert = [
            tools.sox,
            str(raw),
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            "-e",
            "signed",
            str(target),
        ]
        subprocess.run(convert, check=True, capture_output=True)


def write_silence(path: Path, *, ms: int = 200) -> None:
    """A short silent WAV, played by GET DATA after a digit was caught during a prompt."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x00\x00" * (8 * ms))


def write_index(entries: Iterable[AudioEntry], out_dir: Path) -> Path:
    """`index.json`: every file with its language, kind, text and prompt id and part."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.json"
    rows = [asdict(e) for e in entries]
    path.write_text(
        json.dumps({"sounds_dir": SOUNDS_DIR, "files": rows}, ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    return path
