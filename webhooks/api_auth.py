"""Bearer-token authentication for `/api/*`: every endpoint names the roles it admits.

Missing or unknown token → 401 with a `WWW-Authenticate` header; a valid token of the wrong
role → 403; an operator token acts only on its own operator (checked by the endpoint through
`may_act_for`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, jsonify, request

from store.tokens import Principal, Role, SqlTokens

F = TypeVar("F", bound=Callable[..., Any])


def error(status: int, message: str, **extra: Any) -> Any:
    response = jsonify({"error": message, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="helpline1912"'
    return response


def require(*roles: Role) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            header = request.headers.get("Authorization", "")
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                return error(401, "a bearer token is required (Authorization: Bearer …)")
            tokens: SqlTokens = current_app.extensions["helpline.tokens"]
            principal = tokens.verify(token.strip())
            if principal is None:
                return error(401, "the token is not valid (unknown or revoked)")
            if principal.role not in roles:
                allowed = ", ".join(r.value for r in roles)
                return error(403, f"role {principal.role.value} may not do this (needs {allowed})")
            g.principal = principal
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def may_act_for(operator_id: str) -> bool:
    principal: Principal = g.principal
    if principal.role is Role.OPERATOR:
        return principal.operator_id == operator_id
    return principal.role in (Role.SUPERVISOR, Role.ADMIN)
