"""The call-flow model: a flow is a graph of nodes from a small closed set of types.

Frozen dataclasses, one per node type (say, set, menu, choose, collect, branch, lookup, record,
enqueue, hangup), and the `Flow` that holds them with its call-wide settings (tries, operator
and repeat keys, languages). `PREDICATES` names the tests a branch node may make and the case
labels each one yields. Values here are built and checked by `ivr.flow_loader`; the engine
reads them and never changes them.

Prompt parameters are written `"<kind>:<source>"`: the kind says how the value is read out
(`digits`, `time`, `moment`, `money`, `prompt`, …) and the source is a dotted path into the
session's variables (`fault.etr`), a template with paths in braces (`cause.{fault.cause}`), or a
literal after `=` (`digits:=1`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.commands import ParamKind

PREDICATES: dict[str, frozenset[str]] = {
    "count": frozenset({"0", "1", "many"}),
    "present": frozenset({"yes", "no"}),
}


@dataclass(frozen=True, slots=True)
class ParamSpec:
    name: str
    kind: ParamKind
    source: str


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    type: str
    prompts: tuple[str, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    next: str = ""


@dataclass(frozen=True, slots=True)
class SayNode(Node):
    pass


@dataclass(frozen=True, slots=True)
class SetNode(Node):
    language: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MenuNode(Node):
    options: Mapping[str, str] = field(default_factory=dict)
    on_no_input: str = ""
    on_fail: str = ""
    timeout_s: int = 6


@dataclass(frozen=True, slots=True)
class ChooseNode(Node):
    """Pick one item of a list variable: one item is confirmed with 1, several by position."""

    list_var: str = ""
    store: str = ""
    prompt_one: str = ""
    prompt_item: str = ""
    other_key: str = "9"
    other: str = ""
    on_fail: str = ""
    timeout_s: int = 6


@dataclass(frozen=True, slots=True)
class CollectNode(Node):
    validator: str = ""
    min_digits: int = 1
    max_digits: int = 1
    store: str = ""
    lookup: str = ""
    found: str = ""
    invalid_prompt: str = ""
    not_found_prompt: str = ""
    on_fail: str = ""
    timeout_s: int = 8
    # Single keys that leave the collection for another node (e.g. "8" then # for a caller
    # who has no such number), like a menu's options.
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BranchNode(Node):
    test: str = ""
    var: str = ""
    cases: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LookupNode(Node):
    lookup: str = ""
    args: Mapping[str, str] = field(default_factory=dict)
    store: str = ""


@dataclass(frozen=True, slots=True)
class RecordNode(Node):
    record: str = ""
    args: Mapping[str, str] = field(default_factory=dict)
    store: str = ""
    outcome: str = ""


@dataclass(frozen=True, slots=True)
class EnqueueNode(Node):
    hazard: bool = False
    reason: str = "operator"


@dataclass(frozen=True, slots=True)
class HangupNode(Node):
    reason: str = "completed"


@dataclass(frozen=True, slots=True)
class Flow:
    name: str
    start: str
    nodes: Mapping[str, Node]
    max_tries: int = 3
    operator_key: str = "0"
    operator_node: str = "operator"
    repeat_key: str = "*"
    default_language: str = "hi"
    languages: tuple[str, ...] = ("hi", "en")

    def prompt_ids(self) -> frozenset[str]:
        """Every fixed prompt id the flow uses (templated ones are checked by the catalogue)."""
        ids: set[str] = set()
        for node in self.nodes.values():
            ids.update(node.prompts)
            for attr in ("prompt_one", "prompt_item", "invalid_prompt", "not_found_prompt"):
                value = getattr(node, attr, "")
                if value:
                    ids.add(value)
        return frozenset(ids)
