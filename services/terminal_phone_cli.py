"""Command-line call to the IVR: `run_ivr.py call --caller MSISDN [--keys …] [--lang] [--speak]`.

The terminal phone (`services.terminal_phone`) against the configured database and Redis: keys
from `--keys` (comma-separated, an empty item is silence) or typed at the `keys>` prompt (Enter
alone is silence, Ctrl-D hangs up); `--lang` stores the caller's remembered language first;
`--speak` also speaks each prompt with espeak-ng where it is installed.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ivr.validators import normalise_caller
from services.terminal_phone import run_call
from store.db import DatabaseUnavailable, schema_status


def add_commands(sub: Any) -> None:
    call = sub.add_parser("call", help="call the IVR from this terminal")
    call.add_argument("--caller", required=True, help="the calling number, e.g. 9000000001")
    call.add_argument("--keys", help="comma-separated answers, e.g. 2,1,1 (empty = silence)")
    call.add_argument("--lang", choices=["hi", "en"], help="the caller's remembered language")
    call.add_argument("--speak", action="store_true", help="also speak prompts with espeak-ng")
    call.set_defaults(func=cmd_call)


def cmd_call(args: argparse.Namespace, ctx: Any) -> int:
    services = ctx.services()
    try:
        current, head = schema_status(services.engine)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if current != head:
        print(
            "error: the database is not migrated; run `make run` or `run_ivr.py db upgrade`",
            file=sys.stderr,
        )
        return 1
    keys = None if args.keys is None else args.keys.split(",")
    if args.lang:
        number = normalise_caller(args.caller).number
        services.records.remember_language(number, args.lang, datetime.now(UTC))
    speak = espeak() if args.speak else None
    run_call(
        services, caller=args.caller, keys=keys, out=sys.stdout, read_line=read_line, speak=speak
    )
    return 0


def read_line() -> str | None:
    """One line of keys typed at the terminal; None when input ends (Ctrl-D: hang up)."""
    try:
        return input("keys> ")
    except EOFError:
        return None


def espeak() -> Callable[[str, str], None] | None:
    """A speaker through espeak-ng, or None (with a note) where it is not installed."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        print(
            "note: espeak-ng is not installed (apt-get install espeak-ng); text only",
            file=sys.stderr,
        )
        return None

    def speak(text: str, language: str) -> None:
        subprocess.run([binary, "-v", language, text], check=False, capture_output=True)

    return speak
