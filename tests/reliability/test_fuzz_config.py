"""Property-based fuzzing of the settings and admin files: any corruption of a value or a
whole file is either accepted or refused with `ConfigError` — never another exception."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import run_ivr
from config.errors import ConfigError
from config.settings import CONFIG_DIR, load_settings

FILES = ["helpline.toml", "prompts.toml", "queues.toml", "complaints.toml", "flows/1912.toml"]
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.just({"x": 1}),
)


def paths_of(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += paths_of(value, prefix + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += paths_of(value, prefix + (i,))
    return out


def to_toml(data: dict[str, Any]) -> str:
    """A tiny TOML writer for what the admin files hold (tables, arrays, scalars)."""
    import json

    def scalar(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(scalar(x) for x in v if x is not None) + "]"
        if isinstance(v, dict):
            return (
                "{"
                + ", ".join(
                    f"{json.dumps(str(k))} = {scalar(x)}" for k, x in v.items() if x is not None
                )
                + "}"
            )
        return '""'

    lines: list[str] = []

    def table(name: str, body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict) and v is not None}
        tables = {k: v for k, v in body.items() if isinstance(v, dict)}
        if name:
            lines.append(f"[{name}]")
        lines.extend(f"{json.dumps(str(k))} = {scalar(v)}" for k, v in scalars.items())
        for key, sub in tables.items():
            table(f"{name}.{json.dumps(str(key))}" if name else json.dumps(str(key)), sub)

    table("", data)
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def originals() -> dict[str, dict[str, Any]]:
    return {f: tomllib.loads((CONFIG_DIR / f).read_text(encoding="utf-8")) for f in FILES}


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_corrupted_values_are_refused_clearly(
    tmp_path_factory: Any, originals: Any, data: Any
) -> None:
    folder = tmp_path_factory.mktemp("cfg")
    shutil.copytree(
        CONFIG_DIR, folder, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    name = data.draw(st.sampled_from(FILES))
    content = originals[name]
    import copy

    content = copy.deepcopy(content)
    path = data.draw(st.sampled_from(paths_of(content)))
    parent = content
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(junk)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    (folder / name).write_text(to_toml(content), encoding="utf-8")
    try:
        settings_ = load_settings({"HELPLINE_VAR_DIR": str(folder / "var")}, config_dir=folder)
        run_ivr.load_configuration(settings_)
    except ConfigError as exc:
        assert str(exc).strip()


@pytest.mark.parametrize("name", FILES)
def test_garbage_files_are_refused_clearly(tmp_path: Path, name: str) -> None:
    shutil.copytree(
        CONFIG_DIR,
        tmp_path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("*.py", "__pycache__"),
    )
    (tmp_path / name).write_bytes(b"\xff\xfe[not toml")
    with pytest.raises(ConfigError, match=Path(name).name):
        run_ivr.load_configuration(
            load_settings({"HELPLINE_VAR_DIR": str(tmp_path / "var")}, config_dir=tmp_path)
        )


def test_the_toml_writer_round_trips_the_shipped_files(tmp_path: Path, originals: Any) -> None:
    """Guards the fuzzer itself: unmodified content written back must load without error."""
    shutil.copytree(
        CONFIG_DIR,
        tmp_path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("*.py", "__pycache__"),
    )
    for name, content in originals.items():
        (tmp_path / name).write_text(to_toml(content), encoding="utf-8")
        assert tomllib.loads((tmp_path / name).read_text(encoding="utf-8")) == content
    run_ivr.load_configuration(
        load_settings({"HELPLINE_VAR_DIR": str(tmp_path / "var")}, config_dir=tmp_path)
    )
