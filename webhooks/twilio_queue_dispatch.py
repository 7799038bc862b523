"""Handing Twilio callers to the operators our ACD chose: assignment rounds and dequeueing.

An assignment round (:meth:`LiveQueue.assign`) pairs waiting callers with free operators. A
caller waiting in a Twilio queue is dequeued through the REST Queue Member resource to the
`connect` URL, which `<Dial>`s the operator (:mod:`webhooks.twilio_queue_operator_leg`); a
callback's turn dials the consumer (:mod:`webhooks.twilio_queue_callbacks`). With the routing
service present, rounds go through it, so assignments of callers on other front-ends reach
their own executors; this desk is then one executor among them (:meth:`Dispatcher.execute`).
Twilio queue sids are learnt from wait visits, else listed once. A dequeue Twilio refuses
because the caller is gone (404) counts as the caller leaving; any other failure as the
operator not answering, so the caller keeps their place. Without the live state or REST
credentials nobody is dequeued and callers hear Twilio's own queue.
"""

from __future__ import annotations

from routing.acd import Action, ConnectCaller, PlaceCallback
from webhooks.twilio_queue_callbacks import CallbackDialler
from webhooks.twilio_queue_ports import CONNECT, DeskContext, Waiting, log
from webhooks.twiml import link


class Dispatcher:
    """Assignment rounds and the dequeue of Twilio callers to their operators."""

    def __init__(self, ctx: DeskContext, dialler: CallbackDialler) -> None:
        self._ctx = ctx
        self._dialler = dialler
        self._queue_sids: dict[str, str] = {}

    def remember_queue(self, name: str, sid: str) -> None:
        """Note the sid Twilio gave our queue ``name`` (seen on a wait visit)."""
        self._queue_sids[name] = sid

    def dispatch(self, now: float) -> list[Action]:
        """Run an assignment round and dequeue each Twilio caller to their operator.

        With the routing service present, the round goes through it, so assignments of
        callers from other front-ends reach their own executors (callbacks come back to
        `execute`). Without it, this desk carries out every assignment of its own round.
        """
        live = self._ctx.live
        if live is None or self._ctx.rest is None:
            return []
        routing = self._ctx.services.extras.get("routing")
        if routing is not None and routing.live is not live:
            routing = None  # a desk wired to another live state (tests) runs its own round
        if routing is not None:
            return list(routing.dispatch())
        actions = live.assign(now)
        for action in actions:
            if isinstance(action, ConnectCaller):
                self._dequeue(action, now)
            else:
                self._dialler.place(action, now)
        return list(actions)

    def execute(self, action: Action, now: float) -> bool:
        """Carry out an assignment if the caller is on Twilio (its id is a CallSid), and every
        callback (they are asked for on the Twilio wait page)."""
        if isinstance(action, PlaceCallback):
            if self._ctx.live is None:
                return False
            self._dialler.place(action, now)
            return True
        if self._ctx.rest is None:
            return False
        if not action.caller.id.startswith("CA"):
            return False
        self._dequeue(action, now)
        return True

    def _dequeue(self, action: ConnectCaller, now: float) -> None:
        """Send the caller from the Twilio queue to the `connect` URL of their operator."""
        live, rest, services = self._ctx.live, self._ctx.rest, self._ctx.services
        assert live is not None and rest is not None
        caller = action.caller
        session = services.calls.current(caller.id)
        lang = session.language if session else services.calls.flow.default_language
        who = Waiting(caller.id, caller.queue, caller.priority, lang)
        url = link(self._ctx.base, CONNECT, op=action.operator_id, **who.query())
        try:
            sid = self._queue_sid(caller.queue)
            rest.queues(sid).members(caller.id).update(url=url, method="POST")
            log.info("call %s: dequeued to operator %s", caller.id, action.operator_id)
        except Exception as exc:  # Twilio said no (caller gone) or cannot be reached
            log.warning("call %s: dequeue to %s failed: %s", caller.id, action.operator_id, exc)
            if getattr(exc, "status", None) == 404:
                live.caller_left(caller.id, now)
            else:
                live.no_answer(action.operator_id, now)

    def _queue_sid(self, name: str) -> str:
        """The Twilio sid of our queue ``name``; all queues are listed once if unknown."""
        if name not in self._queue_sids:
            assert self._ctx.rest is not None
            for queue in self._ctx.rest.queues.list(limit=1000):
                self._queue_sids[str(queue.friendly_name)] = str(queue.sid)
        return self._queue_sids[name]
