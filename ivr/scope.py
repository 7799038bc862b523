"""Reading a call's variables for its flow: dotted paths, `$` arguments, prompt parameters.

A flow names session variables by dotted path (`consumer.name`, `accounts.0.ivrs`); a path
that does not lead anywhere reads as None (spoken as nothing), never an error. A node's
argument `"$path"` is the variable's value, anything else is taken as written. A prompt
parameter's source is `=literal`, a template with `{path}` fields, or a path. Pure: stdlib only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TEMPLATE_FIELD = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def resolve(scope: Any, path: str) -> Any:
    """Follow a dotted path through dicts and lists; None when any step is missing.

    >>> resolve({"a": [{"b": 7}]}, "a.0.b"), resolve({"a": []}, "a.0.b")
    (7, None)
    """
    value = scope
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def argument(variables: Mapping[str, Any], spec: Any) -> Any:
    """A node argument: the variable a `$path` names, else the value as written."""
    if isinstance(spec, str) and spec.startswith("$"):
        return resolve(variables, spec[1:])
    return spec


def source(scope: dict[str, Any], spec: str) -> str:
    """A prompt parameter's text: `=literal`, a `{path}` template, or a path.

    >>> source({"c": {"n": "Asha"}}, "Dear {c.n}"), source({}, "=9"), source({}, "c.n")
    ('Dear Asha', '9', '')
    """
    if spec.startswith("="):
        return spec[1:]
    if "{" in spec:
        return _TEMPLATE_FIELD.sub(lambda m: _text(resolve(scope, m.group(1))), spec)
    return _text(resolve(scope, spec))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def predicate(test: str, value: Any) -> str:
    """The case a branch takes: for `count` "0", "1" or "many"; otherwise "yes" or "no"."""
    if test == "count":
        n = len(value) if isinstance(value, list) else 0
        return "0" if n == 0 else "1" if n == 1 else "many"
    return "yes" if value else "no"


def _text(value: Any) -> str:
    return "" if value is None else str(value)
