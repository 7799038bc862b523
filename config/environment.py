"""Settings read from the environment: what differs per install, and every secret.

One function per variable (or kind of variable), each reading only the mapping it is given,
never `os.environ`: an unset or empty variable gives the default, and a value that cannot be
right raises `ConfigError` naming the variable and what was expected.
"""

from __future__ import annotations

import ipaddress
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from config.errors import ConfigError

DEFAULT_AMI_DIAL = "PJSIP/{number}@trunk"
QUEUE_MEMBERS = ("dynamic", "static")  # as `run_ivr.py dialplan --members` names them
QueueMembers = Literal["dynamic", "static"]


def secret_key(env: Mapping[str, str]) -> str | None:
    value = env.get("HELPLINE_SECRET_KEY") or None
    if value is not None and len(value) < 16:
        raise ConfigError("HELPLINE_SECRET_KEY: too short (use at least 32 random characters)")
    return value


def ami_dial(env: Mapping[str, str]) -> str:
    """The Originate channel: exactly one `{number}` field and no other braces."""
    raw = env.get("AMI_DIAL") or DEFAULT_AMI_DIAL
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(raw)
            if name is not None
        ]
    except ValueError:
        fields = []
    if fields != [("number", "", None)] or any(c in raw for c in " \t\r\n,"):
        raise ConfigError(
            f"AMI_DIAL: expected a dial string with one {{number}}, e.g. "
            f"{DEFAULT_AMI_DIAL!r}; got {raw!r}"
        )
    return raw


def asterisk_queues_file(env: Mapping[str, str]) -> Path | None:
    """ASTERISK_QUEUES_FILE: an absolute path to a `.conf` file (Asterisk's folder, not ours)."""
    raw = env.get("ASTERISK_QUEUES_FILE") or ""
    if not raw:
        return None
    path = Path(raw)
    if (
        not path.is_absolute()
        or raw.endswith("/")
        or path.suffix != ".conf"
        or path.name == ".conf"
        or any(c in raw for c in "\r\n\0")
    ):
        raise ConfigError(
            "ASTERISK_QUEUES_FILE: expected the absolute path of the queues file Asterisk "
            f"reads, e.g. /etc/asterisk/queues_helpline1912.conf; got {raw!r}"
        )
    return path


def queue_members(env: Mapping[str, str]) -> QueueMembers:
    raw = (env.get("ASTERISK_QUEUE_MEMBERS") or "dynamic").strip().lower()
    if raw == "static":
        return "static"
    if raw == "dynamic":
        return "dynamic"
    raise ConfigError(
        f"ASTERISK_QUEUE_MEMBERS: expected one of {list(QUEUE_MEMBERS)}, "
        f"got {env.get('ASTERISK_QUEUE_MEMBERS')!r}"
    )


def database_url(env: Mapping[str, str], var_dir: Path) -> str:
    url = env.get("DATABASE_URL") or f"sqlite:///{var_dir / 'helpline.sqlite'}"
    scheme = urlparse(url).scheme
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise ConfigError(
            f"DATABASE_URL: expected sqlite:/// or postgresql+psycopg://, got {scheme!r}"
        )
    return url


def redis_url(env: Mapping[str, str]) -> str | None:
    url = env.get("REDIS_URL")
    if not url:
        return None
    if urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError("REDIS_URL: expected redis://host:port/db, rediss:// or unix://")
    return url


def base_url(env: Mapping[str, str], default: str) -> str:
    url = env.get("PUBLIC_BASE_URL") or default
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"PUBLIC_BASE_URL: expected an http(s) URL, got {url!r}")
    return url.rstrip("/")


def optional_url(env: Mapping[str, str], key: str) -> str | None:
    url = env.get(key)
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise ConfigError(f"{key}: expected an http(s) URL, got {url!r}")
    return url.rstrip("/")


def port(env: Mapping[str, str], key: str, default: int) -> int:
    raw = env.get(key)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{key}: expected a port number 1-65535, got {raw!r}")
    return int(raw)


def host(env: Mapping[str, str], key: str, default: str) -> str:
    raw = env.get(key) or default
    if raw == "localhost":
        return raw
    try:
        ipaddress.ip_address(raw)
    except ValueError:
        raise ConfigError(f"{key}: expected an IP address to listen on, got {raw!r}") from None
    return raw


def flag(env: Mapping[str, str], key: str, default: bool) -> bool:
    raw = env.get(key)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{key}: expected true or false, got {raw!r}")
