"""Command-line operator actions and API tokens: `run_ivr.py operator …`, `run_ivr.py token …`.

run_ivr.py operator list
run_ivr.py operator ID ready | login | pause REASON | wrapup-done | standby | logout
run_ivr.py token create --role operator|supervisor|admin|feed [--operator ID] [--label TEXT]
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from routing.errors import RoutingError
from services.routing_service import OperatorAction
from store.live import LiveStateUnavailable
from store.operators_sql import SqlOperators
from store.tokens import Role, SqlTokens


def add_commands(sub: Any) -> None:
    op = sub.add_parser("operator", help="list operators or change an operator's state")
    op.add_argument("target", help="'list' or an operator id, e.g. cz-op01")
    op.add_argument("action", nargs="?", choices=[a.value for a in OperatorAction])
    op.add_argument("reason", nargs="*", help="why (for pause)")
    op.set_defaults(func=cmd_operator)

    tok = sub.add_parser("token", help="API bearer tokens")
    tok.add_argument("action", choices=["create"])
    tok.add_argument("--role", required=True, choices=[r.value for r in Role])
    tok.add_argument("--operator", help="the operator an operator token acts for")
    tok.add_argument("--label", help="who or what holds the token")
    tok.set_defaults(func=cmd_token)


def cmd_operator(args: argparse.Namespace, ctx: Any) -> int:
    services = ctx.services()
    routing = services.extras["routing"]
    if args.target == "list":
        return _list(services, routing)
    if args.action is None:
        print("error: say what to do, e.g. `operator cz-op01 ready`", file=sys.stderr)
        return 2
    action = OperatorAction(args.action)
    reason = " ".join(args.reason)
    if action is OperatorAction.PAUSE and not reason:
        print(
            "error: pause needs a reason, e.g. `operator cz-op01 pause tea break`", file=sys.stderr
        )
        return 2
    try:
        result = routing.act(args.target, action, reason)
    except (RoutingError, LiveStateUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not result.ok:
        print(f"refused: {result.message}", file=sys.stderr)
        return 1
    status = result.status
    extra = f" with caller {status.caller}" if status.caller else ""
    print(f"{args.target}: {status.state.value}{extra}")
    return 0


def _list(services: Any, routing: Any) -> int:
    operators = SqlOperators(services.engine).all()
    try:
        live = routing.live_view().get("operators", {})
    except LiveStateUnavailable:
        live = {}
    print(f"{'id':<10} {'company':<7} {'tier':<10} {'languages':<9} {'state':<9} name")
    for op in operators:
        state = live.get(op.id, {}).get("state", "offline")
        company = ",".join(sorted(op.companies))
        print(
            f"{op.id:<10} {company:<7} {op.tier.value:<10} "
            f"{','.join(sorted(op.languages)):<9} {state:<9} {op.name}"
        )
    return 0


def cmd_token(args: argparse.Namespace, ctx: Any) -> int:
    from store.db import make_engine

    engine = make_engine(ctx.settings.database_url)
    try:
        token = SqlTokens(engine).create(
            Role(args.role), datetime.now(UTC), operator_id=args.operator, label=args.label
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(token)
    print("keep it safe: it is shown only once (stored as a hash)", file=sys.stderr)
    return 0
