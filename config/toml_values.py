"""Reading the admin TOML files and checking their values, for every section's reader.

Each check takes the value (or the table and key) and `where`, the file and dotted key it came
from, and either returns the value in its Python type or raises `ConfigError` starting with
`where`, so a bad file stops start-up naming the exact key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from config.errors import ConfigError


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path.name}: missing ({path})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path.name}: not UTF-8 text") from None


def table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: {key} must be a table")
    return value


def positive_int(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{where}: expected a positive whole number, got {value!r}")
    return value


def boolean(values: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = values.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def number(
    values: Mapping[str, Any], key: str, default: float, where: str, *, allow_zero: bool = False
) -> float:
    value = values.get(key, default)
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (value >= 0 if allow_zero else value > 0)
    ):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{where}.{key}: expected a number {bound}, got {value!r}")
    return float(value)
