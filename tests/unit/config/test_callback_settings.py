"""`[callbacks]` in helpline.toml: the shipped retry policy, and every bad value named by key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import load_settings
from routing.callbacks import RetryPolicy

EditConfig = Callable[[str, str], Path]  # the `config_with` fixture (conftest.py)


def test_the_shipped_policy() -> None:
    assert load_settings({}).callbacks == RetryPolicy(attempts=3, retry_after_s=600.0)


def test_the_section_sets_tries_and_pause(config_with: EditConfig) -> None:
    old, new = "attempts = 3\nretry_after_minutes = 10", "attempts = 5\nretry_after_minutes = 2.5"
    folder = config_with(old, new)
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
def test_bad_values_are_named(config_with: EditConfig, old: str, new: str, message: str) -> None:
    folder = config_with(old, new)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, config_dir=folder)


def test_without_the_section_the_defaults_apply(config_with: EditConfig) -> None:
    folder = config_with("[callbacks]\nattempts = 3\nretry_after_minutes = 10\n", "")
    assert load_settings({}, config_dir=folder).callbacks == RetryPolicy()
