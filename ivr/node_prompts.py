"""What a flow node says: its prompts with their parameters filled from the call's variables.

A node's prompts share its parameters, read from the session's variables (plus, for a choose
node, the item, its key and the key for "another"). A choose node reads one item as a question
(1 confirms, `other_key` refuses) and several as a numbered list, at most eight, 9 then meaning
"another number", so the keys never collide. Pure: stdlib and own modules only.
"""

from __future__ import annotations

from typing import Any

from ivr.commands import Param, Say
from ivr.flow import ChooseNode, Node
from ivr.scope import as_list, resolve, source
from ivr.session import Session


def says(node: Node, session: Session, extra: dict[str, Any] | None = None) -> tuple[Say, ...]:
    """The node's prompts, each with all of the node's parameters."""
    params = _params(node, session, extra)
    return tuple(Say(p, session.language, params) for p in node.prompts)


def choose_prompts(node: ChooseNode, session: Session) -> tuple[Say, ...]:
    """One item as a question, or up to eight numbered items and then the node's prompts."""
    items = as_list(resolve(session.vars, node.list_var))
    other = other_key(node, len(items))
    if len(items) == 1:
        scope = {"item": items[0], "key": "1", "other_key": other}
        return (Say(node.prompt_one, session.language, _params(node, session, scope)),)
    items_said = [
        Say(
            node.prompt_item,
            session.language,
            _params(node, session, {"item": item, "key": str(i), "other_key": other}),
        )
        for i, item in enumerate(items[:8], start=1)
    ]
    tail = says(node, session, {"other_key": other, "item": {}, "key": ""})
    return tuple(items_said) + tail


def other_key(node: ChooseNode, count: int) -> str:
    """One item is confirmed with 1 and refused with `other_key`; with several, 1-8 pick an
    item and 9 means "another number", so the keys never collide."""
    return node.other_key if count == 1 else "9"


def _params(node: Node, session: Session, extra: dict[str, Any] | None) -> tuple[Param, ...]:
    scope = {**session.vars, **(extra or {})}
    return tuple(Param(p.name, p.kind, source(scope, p.source)) for p in node.params)
