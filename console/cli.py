"""Console logins from the command line: `run_ivr.py users …`.

    run_ivr.py users add NAME --role operator|supervisor|admin [--operator ID] [--password-stdin]
    run_ivr.py users passwd NAME [--password-stdin]
    run_ivr.py users list
    run_ivr.py users disable NAME | enable NAME

The password is asked for twice without echo, or read from the first line of standard input
with `--password-stdin` (for scripts); it is never taken from the command line, where it would
land in the shell history and the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import Any

from services.users import SqlUsers, UserError, UserRole


def add_commands(sub: Any) -> None:
    users = sub.add_parser("users", help="console logins (operators, supervisors, admins)")
    actions = users.add_subparsers(dest="users_action", required=True)
    add = actions.add_parser("add", help="create a login")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in UserRole])
    add.add_argument("--operator", help="the operator this login acts as (operator role)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_users)
    passwd = actions.add_parser("passwd", help="set a new password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true")
    passwd.set_defaults(func=cmd_users)
    actions.add_parser("list", help="list logins").set_defaults(func=cmd_users)
    for verb in ("disable", "enable"):
        change = actions.add_parser(verb, help=f"{verb} a login")
        change.add_argument("name")
        change.set_defaults(func=cmd_users)


def _password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        print("error: the two passwords differ", file=sys.stderr)
        return None
    return first


def cmd_users(args: argparse.Namespace, ctx: Any) -> int:
    from store.db import make_engine

    engine = make_engine(ctx.settings.database_url)
    try:
        return _users(args, SqlUsers(engine))
    finally:
        engine.dispose()


def _users(args: argparse.Namespace, users: SqlUsers) -> int:
    action = args.users_action
    if action == "list":
        for user in users.all():
            tied = f" operator={user.operator_id}" if user.operator_id else ""
            state = "" if user.active else " (disabled)"
            print(f"{user.username:<20} {user.role.value:<10}{tied}{state}")
        return 0
    if action in ("disable", "enable"):
        if not users.set_active(args.name, action == "enable"):
            print(f"error: no login {args.name!r}", file=sys.stderr)
            return 1
        print(f"{args.name}: {action}d")
        return 0
    password = _password(args.password_stdin)
    if password is None:
        return 1
    try:
        if action == "add":
            user = users.add(
                args.name,
                password,
                UserRole(args.role),
                datetime.now(UTC),
                operator_id=args.operator,
            )
            print(f"created login {user.username} ({user.role.value})")
        elif not users.set_password(args.name, password):
            print(f"error: no login {args.name!r}", file=sys.stderr)
            return 1
        else:
            print(f"{args.name}: password changed")
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
