"""A copy of the shipped config folder with one piece of helpline.toml replaced."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from config.settings import CONFIG_DIR

EditConfig = Callable[[str, str], Path]


@pytest.fixture
def config_with(tmp_path: Path) -> EditConfig:
    """`config_with(old, new)`: the folder of a copy where helpline.toml's first `old` is
    `new` (the test fails at once if `old` is not in the shipped file)."""

    def edit(old: str, new: str) -> Path:
        folder = tmp_path / "config"
        if not folder.exists():
            skip = shutil.ignore_patterns("*.py", "__pycache__")
            shutil.copytree(CONFIG_DIR, folder, ignore=skip)
        path = folder / "helpline.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return folder

    return edit
