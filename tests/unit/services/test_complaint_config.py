"""The lifecycle configuration: defaults, overrides and bad values refused with their path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import CONFIG_DIR, load_settings
from services.complaint_config import load_lifecycle_config
from services.complaint_dialling import e164
from services.field_sms_handler import masked


def config_with(tmp_path: Path, lifecycle: str) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    text = (folder / "complaints.toml").read_text(encoding="utf-8")
    head = text.split("[lifecycle]")[0]
    (folder / "complaints.toml").write_text(head + "[lifecycle]\n" + lifecycle, encoding="utf-8")
    return folder


def load(tmp_path: Path, lifecycle: str) -> object:
    folder = config_with(tmp_path, lifecycle)
    settings = load_settings({"HELPLINE_VAR_DIR": str(tmp_path / "var")}, config_dir=folder)
    return load_lifecycle_config(settings)


def test_shipped_configuration_has_the_default_target(tmp_path: Path) -> None:
    settings = load_settings({"HELPLINE_VAR_DIR": str(tmp_path)})
    config = load_lifecycle_config(settings)
    assert config.target_for("CZ") == 500
    assert [s.level.value for s in config.ladder.steps] == ["AE", "EE", "SE", "CGM"]
    assert config.policy.max_attempts == 3


def test_per_company_target_overrides_the_default(tmp_path: Path) -> None:
    config = load(
        tmp_path, "feedback_daily_target = 300\nfeedback_daily_target_by_company = { WZ = 650 }\n"
    )
    assert config.target_for("WZ") == 650 and config.target_for("EZ") == 300  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("lifecycle", "path"),
    [
        ("feedback_daily_target = -1\n", "lifecycle.feedback_daily_target"),
        ('feedback_daily_target = "500"\n', "lifecycle.feedback_daily_target"),
        (
            "feedback_daily_target_by_company = { XZ = 10 }\n",
            "lifecycle.feedback_daily_target_by_company.XZ",
        ),
        ("escalation_every_s = 0\n", "lifecycle.escalation_every_s"),
        ("feedback_pace = 1\n", "lifecycle.feedback_pace"),
    ],
)
def test_bad_values_are_refused_with_their_path(tmp_path: Path, lifecycle: str, path: str) -> None:
    with pytest.raises(ConfigError, match=path.replace(".", r"\.")):
        load(tmp_path, lifecycle)


def test_numbers_are_dialled_and_logged_safely() -> None:
    assert e164("9000000002") == "+919000000002"
    assert e164("07552551234") == "+917552551234"
    assert masked("9100000002") == "******0002"
