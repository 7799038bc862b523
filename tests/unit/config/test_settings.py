"""Settings load from the environment and config files; bad values name their key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.errors import ConfigError
from config.settings import CONFIG_DIR, load_settings


def test_defaults_are_embedded_and_local(tmp_path: Path) -> None:
    s = load_settings({"HELPLINE_VAR_DIR": str(tmp_path)})
    assert s.database_url == f"sqlite:///{tmp_path / 'helpline.sqlite'}"
    assert s.redis_url is None and s.embedded_redis_path == tmp_path / "redis.rdb"
    assert (s.http_host, s.http_port, s.agi_port) == ("127.0.0.1", 8000, 4573)
    assert s.public_base_url == "http://127.0.0.1:8000"
    assert s.twilio_validate_signatures is True and not s.twilio_rest_enabled
    assert not s.ami_enabled
    assert set(s.companies) == {"EZ", "CZ", "WZ"}


def test_environment_overrides() -> None:
    s = load_settings(
        {
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1/test",
            "REDIS_URL": "redis://127.0.0.1:6379/15",
            "HTTP_PORT": "9000",
            "PUBLIC_BASE_URL": "https://ivr.example.in/",
            "TWILIO_ACCOUNT_SID": "AC123",
            "TWILIO_AUTH_TOKEN": "secret",
            "AMI_HOST": "127.0.0.1",
            "AMI_USERNAME": "h1912",
            "AMI_SECRET": "x",
        }
    )
    assert s.http_port == 9000 and s.public_base_url == "https://ivr.example.in"
    assert s.twilio_rest_enabled and s.ami_enabled


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"HTTP_PORT": "eighty"}, "HTTP_PORT"),
        ({"AGI_PORT": "70000"}, "AGI_PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"PUBLIC_BASE_URL": "ivr.example.in"}, "PUBLIC_BASE_URL"),
        ({"TWILIO_VALIDATE_SIGNATURES": "maybe"}, "TWILIO_VALIDATE_SIGNATURES"),
        ({"HTTP_HOST": "example.com"}, "HTTP_HOST"),
    ],
)
def test_bad_values_fail_naming_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load_settings(env)


def test_corrupt_config_file_is_named(tmp_path: Path) -> None:
    shutil.copytree(CONFIG_DIR, tmp_path / "config", ignore=shutil.ignore_patterns("*.py"))
    (tmp_path / "config" / "helpline.toml").write_text("[helpline\ntimezone=", encoding="utf-8")
    with pytest.raises(ConfigError, match="helpline.toml: not valid TOML"):
        load_settings({}, config_dir=tmp_path / "config")


def test_unknown_timezone_is_named(tmp_path: Path) -> None:
    shutil.copytree(CONFIG_DIR, tmp_path / "config", ignore=shutil.ignore_patterns("*.py"))
    path = tmp_path / "config" / "helpline.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("Asia/Kolkata", "Mars/Olympus"), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="helpline.timezone"):
        load_settings({}, config_dir=tmp_path / "config")
