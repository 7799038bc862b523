"""Prompt audio for Asterisk: every piece the IVR can say has a file name, and espeak-ng
renders them as 8 kHz mono WAV."""

from __future__ import annotations

import json
import re
import shutil
import wave
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import run_ivr
from config.settings import Settings
from dialplans.errors import ToolMissing
from dialplans.prompts_audio import (
    AudioNames,
    find_tools,
    inventory,
    local_path,
    render_audio,
    write_index,
)
from ivr.commands import Param, ParamKind, Say
from ivr.prompts import LANGUAGES, Catalogue, render

NOW = datetime(2026, 11, 28, 11, 30)
SAMPLES = {
    ParamKind.DIGITS: "CZ2611280000123",
    ParamKind.NUMBER: "90807060",
    ParamKind.TIME: "16:05",
    ParamKind.MOMENT: (NOW + timedelta(days=3, hours=9)).isoformat(),
    ParamKind.DATE: "2027-01-31",
    ParamKind.MONEY: "123450",
    ParamKind.MINUTES: "185",
}


@pytest.fixture
def catalogue(settings: Settings) -> Catalogue:
    return run_ivr.load_configuration(settings)["catalogue"]


def test_every_reading_of_every_prompt_has_its_files(catalogue: Catalogue) -> None:
    names = AudioNames(catalogue)
    spliced = [p for p in catalogue.texts if not catalogue.placeholders(p)]
    for prompt in catalogue.texts:
        for language in LANGUAGES:
            for kind, value in SAMPLES.items():
                params = tuple(Param(n, kind, value) for n in catalogue.placeholders(prompt))
                plan = names.plan(render(catalogue, Say(prompt, language, params), NOW), language)
                assert plan.missing == (), (prompt, language, kind)
                assert plan.files
            for other in spliced:  # `prompt:` parameters splice another prompt's text
                params = tuple(
                    Param(n, ParamKind.PROMPT, other) for n in catalogue.placeholders(prompt)
                )
                plan = names.plan(render(catalogue, Say(prompt, language, params), NOW), language)
                assert plan.missing == ()


def test_file_names_are_ascii_unique_and_in_the_inventory(catalogue: Catalogue) -> None:
    entries = inventory(catalogue)
    files = [e.file for e in entries]
    assert len(files) == len(set(files))
    assert all(re.fullmatch(r"helpline1912/(hi|en)/[pw]_[0-9a-f]{12}", f) for f in files)
    names = AudioNames(catalogue)
    say = Say(
        "docket_registered",
        "hi",
        (Param("docket", ParamKind.DIGITS, "WZ261128"), Param("limit", ParamKind.MINUTES, "240")),
    )
    assert set(names.plan(render(catalogue, say, NOW), "hi").files) <= set(files)


def test_changed_text_gets_a_new_file_name(catalogue: Catalogue) -> None:
    before = {e.file for e in inventory(catalogue)}
    texts = {k: dict(v) for k, v in catalogue.texts.items()}
    old = texts["docket_registered"]["en"]
    texts["docket_registered"]["en"] = old.replace("Your complaint is registered.", "Noted.")
    after = {e.file for e in inventory(Catalogue(texts))}
    # Only the edited piece of text changes name; the pieces after the number keep theirs.
    assert len(after - before) == 1 and len(before - after) == 1


def test_index_lists_every_file_with_its_text(catalogue: Catalogue, tmp_path: Path) -> None:
    entries = inventory(catalogue)
    index = json.loads(write_index(entries, tmp_path).read_text(encoding="utf-8"))
    assert index["sounds_dir"] == "helpline1912"
    by_file = {row["file"]: row for row in index["files"]}
    hindi_nine = next(e for e in entries if e.kind == "word" and e.text == "निन्यानवे")
    assert by_file[hindi_nine.file]["language"] == "hi"
    welcome = [r for r in index["files"] if r["prompt"] == "welcome" and r["language"] == "en"]
    assert welcome and welcome[0]["text"].startswith("Welcome")


def test_missing_tools_are_named_with_how_to_install() -> None:
    with pytest.raises(ToolMissing, match="espeak-ng and sox not found.*apt-get install"):
        find_tools(which=lambda name: None)


def test_prompts_command_without_espeak_says_how_to_install(
    tmp_path: Path,
    settings_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in settings_env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert run_ivr.main(["prompts", "--out", str(tmp_path / "sounds")]) == 1
    assert "apt-get install -y espeak-ng sox" in capsys.readouterr().err
    assert (tmp_path / "sounds" / "index.json").exists()


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are not installed (apt-get install espeak-ng sox)",
)
def test_rendered_files_are_8khz_mono_16bit(catalogue: Catalogue, tmp_path: Path) -> None:
    entries = inventory(catalogue)
    picked = [
        next(e for e in entries if e.kind == "word" and e.language == "hi"),
        next(e for e in entries if e.kind == "prompt" and e.language == "en"),
    ]
    report = render_audio(picked, tmp_path, tools=find_tools(), jobs=2)
    assert (report.written, report.skipped) == (2, 0)
    for entry in picked:
        with wave.open(str(local_path(tmp_path, entry.file))) as audio:
            assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (
                8000,
                1,
                2,
            )
            assert audio.getnframes() > 800  # more than a tenth of a second of speech
    again = render_audio(picked, tmp_path, tools=find_tools())
    assert (again.written, again.skipped) == (0, 2)
    with wave.open(str(tmp_path / "silence.wav")) as silence:
        assert silence.getframerate() == 8000
