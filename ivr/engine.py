"""The call-flow engine: one pure function, `step(flow, session, event, now)`.

It returns the new session and the commands to carry out. Rules:
- The engine walks through nodes that need nothing from outside (say, set, branch) in one step
  and stops at the first node that waits: for the caller's keys (menu, choose, collect: a
  `Gather`), for a result (lookup, record, enqueue: a `Lookup`/`Record` answered by
  `ResultReturned`), or for nobody (the call ended).
- `*` repeats the current prompt anywhere; `0` goes to the operator node from any menu or
  collect; invalid keys and silence count as failures at that node, and `max_tries` failures
  lead to the node's `on_fail` (by default the operator).
- Events that do not fit the state (keys after the end, a result nobody asked for) change
  nothing; a hang-up always ends the call, keeping any outcome already reached.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from ivr.commands import Command, Enqueue, Gather, Hangup, Lookup, Record, Say
from ivr.errors import SessionError
from ivr.events import (
    CallerHungUp,
    CallStarted,
    DigitsEntered,
    Event,
    NoInput,
    RepeatRequested,
    ResultReturned,
)
from ivr.flow import (
    BranchNode,
    ChooseNode,
    CollectNode,
    EnqueueNode,
    Flow,
    HangupNode,
    LookupNode,
    MenuNode,
    Node,
    RecordNode,
    SayNode,
    SetNode,
)
from ivr.node_prompts import choose_prompts, other_key, says
from ivr.scope import argument, as_list, predicate, resolve
from ivr.session import Awaiting, Outcome, Session
from ivr.validators import VALIDATORS, normalise_caller

ENGINE_PROMPTS = ("no_input", "invalid_choice")
_MAX_HOPS = 200

Step = tuple[Session, tuple[Command, ...]]


def new_session(call_id: str, *, caller: str, channel: str, language: str) -> Session:
    return Session(call_id=call_id, caller=caller, channel=channel, language=language)


def step(flow: Flow, session: Session, event: Event, now: datetime) -> Step:
    """Apply one event to a call; `now` is the caller's local time (for read-outs).

    >>> from ivr.flow import load_flow
    >>> spec = {"start": "bye", "operator_node": "bye", "nodes": {"bye": {"type": "hangup"}}}
    >>> flow = load_flow(spec, name="t")
    >>> s, cmds = step(flow, new_session("c1", caller="", channel="t", language="hi"),
    ...                CallStarted("+919000000001"), datetime(2026, 1, 1))
    >>> cmds
    (Hangup(reason='completed'),)
    """
    del now  # read-outs relative to now are rendered by the front-end; kept for the contract
    if isinstance(event, CallerHungUp):
        return _hung_up(session), ()
    if session.awaiting is Awaiting.END:
        return session, ()
    if isinstance(event, CallStarted):
        return _start(flow, session, event)
    if session.awaiting is Awaiting.START:
        raise SessionError(f"call {session.call_id}: {type(event).__name__} before CallStarted")
    node = flow.nodes[session.node]
    if isinstance(event, RepeatRequested):
        if session.awaiting is Awaiting.INPUT:
            return _gather(flow, node, session, repeat=True)
        return session, ()
    if isinstance(event, ResultReturned):
        if session.awaiting is not Awaiting.RESULT or event.name != session.pending:
            return session, ()
        return _result(flow, node, replace(session, pending=""), event.value)
    if session.awaiting is not Awaiting.INPUT:
        return session, ()
    keys = event.digits if isinstance(event, DigitsEntered) else None
    assert isinstance(event, (DigitsEntered, NoInput))
    return _input(flow, node, session, keys)


def _hung_up(session: Session) -> Session:
    outcome = session.outcome or Outcome("abandoned", {"at": session.node})
    return replace(session, awaiting=Awaiting.END, outcome=outcome, pending="")


def _start(flow: Flow, session: Session, event: CallStarted) -> Step:
    if session.awaiting is not Awaiting.START:
        return session, ()  # a duplicated start: the call is already under way
    caller = normalise_caller(event.caller)
    language = event.language if event.language in flow.languages else flow.default_language
    session = replace(
        session,
        caller=caller.number,
        channel=event.channel,
        language=language,
        vars={**session.vars, "caller": {"number": caller.number, "kind": caller.kind.value}},
    )
    return _run(flow, session, flow.start, [])


def _run(flow: Flow, session: Session, node_id: str, out: list[Command]) -> Step:
    """Walk from `node_id` until a node waits; return the session and all commands so far."""
    for _ in range(_MAX_HOPS):
        node = flow.nodes[node_id]
        session = replace(session, node=node_id)
        if isinstance(node, SetNode):
            lang = node.language if node.language in flow.languages else session.language
            session = replace(session, vars={**session.vars, **node.values}, language=lang)
            node_id = node.next
            continue
        nxt = _enter(flow, node, session, out)
        if isinstance(nxt, str):
            node_id = nxt
            continue
        return nxt[0], tuple(out) + nxt[1]
    raise SessionError(f"flow {flow.name}: more than {_MAX_HOPS} nodes without waiting")


def _enter(flow: Flow, node: Node, session: Session, out: list[Command]) -> str | Step:
    """Enter a node: return the next node id, or the waiting session and commands beyond `out`."""
    if isinstance(node, SayNode):
        out.extend(says(node, session))
        return node.next
    if isinstance(node, BranchNode):
        return node.cases[predicate(node.test, resolve(session.vars, node.var))]
    if isinstance(node, (MenuNode, ChooseNode, CollectNode)):
        if isinstance(node, ChooseNode) and not as_list(resolve(session.vars, node.list_var)):
            return node.other
        return _wait_input(flow, node, session, out)
    if isinstance(node, LookupNode):
        args = tuple((k, argument(session.vars, v)) for k, v in node.args.items())
        return _wait_result(session, node.lookup, out, Lookup(node.lookup, args))
    if isinstance(node, RecordNode):
        args = tuple((k, argument(session.vars, v)) for k, v in node.args.items())
        cmd = Record(node.record, key=f"{session.call_id}:{node.id}", args=args)
        return _wait_result(session, node.record, out, cmd)
    if isinstance(node, EnqueueNode):
        out.extend(says(node, session))
        args = (("hazard", node.hazard), ("reason", node.reason))
        consumer = session.vars.get("consumer")
        if isinstance(consumer, dict):
            args += (("company", consumer.get("company")),)
        return _wait_result(session, "queue", out, Lookup("queue", args + _lang(session)))
    assert isinstance(node, HangupNode)
    out.extend(says(node, session))
    out.append(Hangup(node.reason))
    outcome = session.outcome or Outcome("completed", {"at": node.id})
    return replace(session, awaiting=Awaiting.END, outcome=outcome), ()


def _lang(session: Session) -> tuple[tuple[str, Any], ...]:
    return (("language", session.language),)


def _wait_result(session: Session, name: str, out: list[Command], cmd: Command) -> Step:
    out.append(cmd)
    return replace(session, awaiting=Awaiting.RESULT, pending=name), ()


def _wait_input(flow: Flow, node: Node, session: Session, out: list[Command]) -> Step:
    return _gather(flow, node, session, repeat=False)


def _gather(flow: Flow, node: Node, session: Session, *, repeat: bool) -> Step:
    """The Gather for an input node; a repeat re-renders it for the same turn."""
    turn = session.turn if repeat else session.turn + 1
    session = replace(session, awaiting=Awaiting.INPUT, turn=turn)
    if isinstance(node, ChooseNode):
        prompts = choose_prompts(node, session)
        max_digits = 1
    else:
        prompts = says(node, session)
        max_digits = node.max_digits if isinstance(node, CollectNode) else 1
    timeout = getattr(node, "timeout_s", 6)
    return session, (Gather(prompts, max_digits=max_digits, timeout_s=timeout, turn=turn),)


def _input(flow: Flow, node: Node, session: Session, keys: str | None) -> Step:
    if keys is not None:
        keys = keys.strip()
        if keys.endswith("#") and len(keys) > 1:
            keys = keys[:-1]
    if keys is None or keys == "" or keys == "#":
        if isinstance(node, MenuNode) and node.on_no_input:
            return _run(flow, session, node.on_no_input, [])
        return _failed(flow, node, session, "no_input")
    if keys == flow.repeat_key:
        return _gather(flow, node, session, repeat=False)
    if keys == flow.operator_key and not _key_is_option(node, keys):
        return _run(flow, session, flow.operator_node, [])
    if isinstance(node, MenuNode):
        target = node.options.get(keys[0])
        if target is None:
            return _failed(flow, node, session, "invalid_choice")
        return _run(flow, _cleared(session, node), target, [])
    if isinstance(node, ChooseNode):
        return _chosen(flow, node, session, keys)
    assert isinstance(node, CollectNode)
    if keys in node.options:
        return _run(flow, _cleared(session, node), node.options[keys], [])
    value = VALIDATORS[node.validator](keys)
    if value is None:
        return _failed(flow, node, session, node.invalid_prompt)
    session = session.with_var(node.store, value)
    if node.lookup:
        cmd = Lookup(node.lookup, (("value", value),) + _lang(session))
        return replace(session, awaiting=Awaiting.RESULT, pending=node.lookup), (cmd,)
    return _run(flow, _cleared(session, node), node.next, [])


def _key_is_option(node: Node, keys: str) -> bool:
    return isinstance(node, (MenuNode, CollectNode)) and keys in node.options


def _chosen(flow: Flow, node: ChooseNode, session: Session, keys: str) -> Step:
    items = as_list(resolve(session.vars, node.list_var))
    if keys == other_key(node, len(items)):
        return _run(flow, _cleared(session, node), node.other, [])
    if keys.isdigit() and 1 <= int(keys) <= min(len(items), 8):
        session = session.with_var(node.store, items[int(keys) - 1])
        return _run(flow, _cleared(session, node), node.next, [])
    return _failed(flow, node, session, "invalid_choice")


def _failed(flow: Flow, node: Node, session: Session, prompt: str) -> Step:
    """Count a failure at this node; retry with an explanation, or give up to `on_fail`."""
    session = session.with_failure(node.id)
    if session.failures[node.id] >= flow.max_tries:
        target = getattr(node, "on_fail", "") or flow.operator_node
        return _run(flow, _cleared(session, node), target, [])
    explain = (Say(prompt, session.language),) if prompt else ()
    session, gather = _gather(flow, node, session, repeat=False)
    return session, explain + gather


def _cleared(session: Session, node: Node) -> Session:
    if node.id not in session.failures:
        return session
    return replace(session, failures={k: v for k, v in session.failures.items() if k != node.id})


def _result(flow: Flow, node: Node, session: Session, value: Any) -> Step:
    if isinstance(node, CollectNode):
        if value is None:
            return _failed(flow, node, session, node.not_found_prompt or node.invalid_prompt)
        session = session.with_var(node.found or node.store, value)
        return _run(flow, _cleared(session, node), node.next, [])
    if isinstance(node, EnqueueNode):
        return _enqueued(node, session, value)
    assert isinstance(node, (LookupNode, RecordNode))
    session = session.with_var(node.store, value)
    if isinstance(node, RecordNode) and node.outcome and isinstance(value, dict):
        detail = {node.outcome: value.get(node.outcome)}
        session = replace(session, outcome=Outcome(node.outcome, detail))
    return _run(flow, session, node.next, [])


def _enqueued(node: EnqueueNode, session: Session, value: Any) -> Step:
    queue = str(value.get("queue")) if isinstance(value, dict) else "general"
    priority = int(value.get("priority", 0)) if isinstance(value, dict) else 0
    detail: dict[str, Any] = {"queue": queue, "priority": priority}
    if session.outcome is not None and session.outcome.kind == "docket":
        detail.update(session.outcome.detail)
    session = replace(session, awaiting=Awaiting.END, outcome=Outcome("queued", detail))
    return session, (Enqueue(queue, priority, node.reason),)
