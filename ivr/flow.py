"""Call flows as data: the node types, and the loader that validates a flow file's contents.

The one place callers take flows from; the parts live in their own modules: `ivr.flow_model`
(the frozen node dataclasses, `Flow` and the branch `PREDICATES`, with the syntax of prompt
parameters) and `ivr.flow_loader` (`load_flow`, which builds a flow from a parsed TOML file and
refuses anything it does not understand with the path of the bad value, so a broken flow stops
start-up instead of a live call).
"""

from __future__ import annotations

from ivr.flow_loader import load_flow
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

__all__ = [
    "PREDICATES",
    "BranchNode",
    "ChooseNode",
    "CollectNode",
    "EnqueueNode",
    "Flow",
    "HangupNode",
    "LookupNode",
    "MenuNode",
    "Node",
    "ParamSpec",
    "RecordNode",
    "SayNode",
    "SetNode",
    "load_flow",
]
