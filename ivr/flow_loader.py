"""The flow loader: turns a flow file's parsed contents into a validated `Flow`.

Administrators edit flows as TOML files; `load_flow` builds the frozen dataclasses of
`ivr.flow_model` and refuses anything it does not understand (unknown keys, missing targets,
unknown validators or predicates, badly written prompt parameters) with the path of the bad
value, so a broken flow stops start-up instead of a live call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ivr.commands import ParamKind
from ivr.errors import FlowError
from ivr.flow_model import (
    PREDICATES,
    BranchNode,
    ChooseNode,
    CollectNode,
    EnqueueNode,
    Flow,
    HangupNode,
    LookupNode,
    MenuNode,
    Node,
    ParamSpec,
    RecordNode,
    SayNode,
    SetNode,
)
from ivr.validators import VALIDATORS

_COMMON = {"type", "prompt", "params", "next"}
_FIELDS: dict[str, tuple[type[Node], set[str], set[str]]] = {
    # type: (class, allowed extra keys, required keys)
    "say": (SayNode, set(), {"prompt", "next"}),
    "set": (SetNode, {"language", "values"}, {"next"}),
    "menu": (MenuNode, {"options", "on_no_input", "on_fail", "timeout_s"}, {"prompt", "options"}),
    "choose": (
        ChooseNode,
        {
            "list",
            "store",
            "prompt_one",
            "prompt_item",
            "other_key",
            "other",
            "on_fail",
            "timeout_s",
        },
        {"list", "store", "prompt_one", "prompt_item", "other", "next"},
    ),
    "collect": (
        CollectNode,
        {
            "validator",
            "min_digits",
            "max_digits",
            "store",
            "lookup",
            "found",
            "invalid_prompt",
            "not_found_prompt",
            "on_fail",
            "timeout_s",
            "options",
        },
        {"prompt", "validator", "max_digits", "store", "invalid_prompt", "next"},
    ),
    "branch": (BranchNode, {"test", "var", "cases"}, {"test", "var", "cases"}),
    "lookup": (LookupNode, {"lookup", "args", "store"}, {"lookup", "store", "next"}),
    "record": (RecordNode, {"record", "args", "store", "outcome"}, {"record", "store", "next"}),
    "enqueue": (EnqueueNode, {"hazard", "reason"}, set()),
    "hangup": (HangupNode, {"reason"}, set()),
}


def load_flow(data: Mapping[str, Any], *, name: str = "") -> Flow:
    """Build and validate a flow from a parsed flow file.

    >>> spec = {"start": "bye", "operator_node": "bye", "nodes": {"bye": {"type": "hangup"}}}
    >>> flow = load_flow(spec, name="t")
    >>> flow.nodes["bye"].type
    'hangup'
    >>> load_flow({"start": "x", "nodes": {}}, name="t")
    Traceback (most recent call last):
    ivr.errors.FlowError: t.start: no node named 'x'
    """
    where = name or str(data.get("name", "flow"))
    allowed = {
        "name",
        "start",
        "nodes",
        "max_tries",
        "operator_key",
        "operator_node",
        "repeat_key",
        "default_language",
        "languages",
    }
    _no_unknown(data, allowed, where)
    raw_nodes = data.get("nodes")
    if not isinstance(raw_nodes, Mapping):
        raise FlowError(f"{where}.nodes: must be a table of nodes")
    nodes = {
        nid: _load_node(str(nid), spec, f"{where}.nodes.{nid}") for nid, spec in raw_nodes.items()
    }
    flow = Flow(
        name=str(data.get("name", name)),
        start=_str(data, "start", where),
        nodes=nodes,
        max_tries=_int(data.get("max_tries", 3), f"{where}.max_tries", minimum=1),
        operator_key=str(data.get("operator_key", "0")),
        operator_node=str(data.get("operator_node", "operator")),
        repeat_key=str(data.get("repeat_key", "*")),
        default_language=str(data.get("default_language", "hi")),
        languages=_languages(data.get("languages", ["hi", "en"]), f"{where}.languages"),
    )
    _check_targets(flow, where)
    return flow


def _load_node(nid: str, spec: Any, where: str) -> Node:
    if not isinstance(spec, Mapping):
        raise FlowError(f"{where}: must be a table")
    ntype = spec.get("type")
    if not isinstance(ntype, str) or ntype not in _FIELDS:
        raise FlowError(f"{where}.type: unknown node type {ntype!r} (known: {', '.join(_FIELDS)})")
    cls, extra, required = _FIELDS[ntype]
    _no_unknown(spec, _COMMON | extra, where)
    missing = sorted(required - set(spec))
    if missing:
        raise FlowError(f"{where}: missing {', '.join(missing)}")
    prompt = spec.get("prompt", ())
    if isinstance(prompt, str):
        prompts: tuple[str, ...] = (prompt,)
    elif isinstance(prompt, (list, tuple)) and all(isinstance(p, str) for p in prompt):
        prompts = tuple(prompt)
    else:
        raise FlowError(f"{where}.prompt: must be a prompt id or a list of prompt ids")
    kwargs: dict[str, Any] = {
        "id": nid,
        "type": ntype,
        "prompts": prompts,
        "params": _params(spec.get("params", {}), f"{where}.params"),
        "next": str(spec.get("next", "")),
    }
    for key in extra:
        if key in spec:
            kwargs["list_var" if key == "list" else key] = _field_value(key, spec[key], where)
    node = cls(**kwargs)
    _check_node(node, where)
    return node


def _field_value(key: str, value: Any, where: str) -> Any:
    if key in {"options", "cases"}:
        if not isinstance(value, Mapping):
            raise FlowError(f"{where}.{key}: must be a table")
        return {str(k): str(v) for k, v in value.items()}
    if key in {"min_digits", "max_digits", "timeout_s"}:
        return _int(value, f"{where}.{key}", minimum=1)
    if key == "hazard":
        if not isinstance(value, bool):
            raise FlowError(f"{where}.hazard: must be true or false")
        return value
    if key in {"args", "values"}:
        if not isinstance(value, Mapping):
            raise FlowError(f"{where}.{key}: must be a table")
        return dict(value)
    return str(value)


def _check_node(node: Node, where: str) -> None:
    if isinstance(node, CollectNode):
        if node.validator not in VALIDATORS:
            raise FlowError(f"{where}.validator: unknown validator {node.validator!r}")
        if node.min_digits > node.max_digits:
            raise FlowError(f"{where}.min_digits: larger than max_digits")
    if isinstance(node, BranchNode):
        labels = PREDICATES.get(node.test)
        if labels is None:
            raise FlowError(f"{where}.test: unknown predicate {node.test!r}")
        if set(node.cases) != labels:
            raise FlowError(f"{where}.cases: must be exactly {sorted(labels)}")
    if isinstance(node, (MenuNode, CollectNode)):
        bad = [k for k in node.options if len(k) != 1 or k not in "0123456789*#"]
        if bad:
            raise FlowError(f"{where}.options: keys must be single keypad keys, not {bad}")


def _check_targets(flow: Flow, where: str) -> None:
    def check(target: str, path: str) -> None:
        if target and target not in flow.nodes:
            raise FlowError(f"{path}: no node named {target!r}")

    check(flow.start, f"{where}.start")
    for nid, node in flow.nodes.items():
        path = f"{where}.nodes.{nid}"
        check(node.next, f"{path}.next")
        for attr in ("on_no_input", "on_fail", "other"):
            check(getattr(node, attr, ""), f"{path}.{attr}")
        for attr in ("options", "cases"):
            for key, target in getattr(node, attr, {}).items():
                check(target, f"{path}.{attr}.{key}")
        needs_next = not isinstance(node, (MenuNode, BranchNode, EnqueueNode, HangupNode))
        if needs_next and not node.next:
            raise FlowError(f"{path}.next: missing")
    check(flow.operator_node, f"{where}.operator_node")


def _params(raw: Any, where: str) -> tuple[ParamSpec, ...]:
    if not isinstance(raw, Mapping):
        raise FlowError(f"{where}: must be a table")
    specs = []
    for pname, spec in raw.items():
        kind, sep, source = str(spec).partition(":")
        if not sep or not source:
            raise FlowError(f"{where}.{pname}: write it as '<kind>:<source>'")
        try:
            specs.append(ParamSpec(str(pname), ParamKind(kind), source))
        except ValueError:
            known = ", ".join(k.value for k in ParamKind)
            raise FlowError(f"{where}.{pname}: unknown kind {kind!r} (known: {known})") from None
    return tuple(specs)


def _languages(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(x in ("hi", "en") for x in value):
        raise FlowError(f"{where}: must be a list drawn from 'hi' and 'en'")
    return tuple(value)


def _no_unknown(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise FlowError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _str(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise FlowError(f"{where}.{key}: must be a non-empty string")
    return value


def _int(value: Any, where: str, *, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FlowError(f"{where}: must be a whole number ≥ {minimum}")
    return value
