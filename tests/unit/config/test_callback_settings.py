"""`[callbacks]` in helpline.toml: the shipped retry policy, and every bad value named by key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import CONFIG_DIR, load_settings
from routing.callbacks import RetryPolicy


def config_with(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    path = folder / "helpline.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_the_shipped_policy() -> None:
    assert load_settings({}).callbacks == RetryPolicy(attempts=3, retry_after_s=600.0)


def test_the_section_sets_tries_and_pause(tmp_path: Path) -> None:
    old, new = "attempts = 3\nretry_after_minutes = 10", "attempts = 5\nretry_after_minutes = 2.5"
    folder = config_with(tmp_path, old, new)
    assert load_settings({}, config_dir=folder).callbacks == RetryPolicy(5, 150.0)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("attempts = 3", "attempts = 0", "callbacks.attempts"),
        ("attempts = 3", 'attempts = "three"', "callbacks.attempts"),
        ("retry_after_minutes = 10", "retry_after_minutes = -1", "callbacks.retry_after_minutes"),
        ("attempts = 3", "attempts = 3\ntries = 4", "callbacks.tries: unknown setting"),
        ("[sms.callback_failed]", "[sms.unused_kind]", "sms.callback_failed: missing"),
    ],
)
def test_bad_values_are_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    folder = config_with(tmp_path, old, new)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, config_dir=folder)


def test_without_the_section_the_defaults_apply(tmp_path: Path) -> None:
    folder = config_with(tmp_path, "[callbacks]\nattempts = 3\nretry_after_minutes = 10\n", "")
    assert load_settings({}, config_dir=folder).callbacks == RetryPolicy()
