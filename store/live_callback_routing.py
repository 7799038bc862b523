"""Callbacks as routing sees them: asked for in place of a waiting call, tried by a reserved
operator, parked or dropped when unanswered, cancelled by a restoration.

The callback keys and their scripts are :mod:`store.live_callbacks`; this part ties them to the
operators. A consumer has at most one pending callback (waiting its turn, being placed, or
parked); asking again gets ``already-pending``. An unanswered try frees the ringing operator in
the same transaction that parks the callback for its next try under the retry policy
(:func:`routing.callbacks.next_try`) or drops it, so both happen or neither does; a repeated
status finds the operator moved on and is rejected. A restoration cancels callbacks that wait
or are parked (:func:`routing.callbacks.to_cancel`); one being placed is left to finish. Redis
errors become :class:`LiveStateUnavailable` here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from routing.acd import CallerKind
from routing.callbacks import Callback, CallbackOutcome, RetryPolicy, next_try, to_cancel
from routing.operators import CallerLeft, Rejected
from store.live_callbacks import LiveCallbacks, MissedCallback
from store.live_codec import member_of, text
from store.live_effects import CallEffects
from store.live_keys import LiveKeys, reachable
from store.live_operators import Effect, LiveOperators


class CallbackRouting:
    """Requesting, reading, retrying and cancelling callbacks."""

    def __init__(
        self,
        keys: LiveKeys,
        operators: LiveOperators,
        effects: CallEffects,
        callbacks: LiveCallbacks,
    ) -> None:
        self._keys = keys
        self._operators = operators
        self._effects = effects
        self._callbacks = callbacks

    def request(
        self,
        call_id: str,
        *,
        consumer_id: str,
        phone: str,
        now: float,
        fault_id: str | None = None,
        language: str | None = None,
    ) -> CallbackOutcome:
        """Replace the waiting call by a callback at the same place (one per consumer)."""
        member_of(CallerKind.CALLBACK, consumer_id)  # refuses an id the scripts cannot carry
        fields = {"consumer": consumer_id, "phone": phone, "requested_at": repr(now)}
        fields |= {"fault": fault_id or "", "language": language or "", "attempts": "0"}
        call = member_of(CallerKind.CALL, call_id)
        with reachable():
            return self._callbacks.request(call, consumer_id, fault_id or "", fields)

    def pending(self, consumer_id: str) -> Callback | None:
        """The consumer's pending callback (waiting, being placed, or parked), if any."""
        with reachable():
            return self._callbacks.pending(consumer_id)

    def parked_until(self, consumer_id: str) -> float | None:
        """When the consumer's unanswered callback goes back to its queue; None if not parked."""
        with reachable():
            return self._callbacks.parked_until(consumer_id)

    def cancel(
        self, now: float, *, fault_id: str | None = None, consumers: Iterable[str] = ()
    ) -> list[Callback]:
        """Cancel the waiting or parked callbacks of the consumers, and of those who asked
        about ``fault_id``, that the restoration made pointless; the ones cancelled."""
        wanted = set(consumers)
        with reachable():
            if fault_id is not None:
                members = self._keys.client.smembers(self._keys.key("cbf", fault_id))
                wanted |= {text(consumer) for consumer in members}
        pending = [cb for cb in map(self.pending, sorted(wanted)) if cb is not None]
        faults = () if fault_id is None else (fault_id,)
        chosen = to_cancel(pending, restored_faults=faults, consumers=set(consumers))
        with reachable():
            return [cb for cb in chosen if self._callbacks.cancel(cb.consumer_id, now)]

    def unanswered(
        self, operator_id: str, now: float, *, policy: RetryPolicy | None
    ) -> MissedCallback | Rejected:
        """Count an unanswered try and free the operator: parked till the next try, or dropped
        (no tries left, or no policy). Rejected unless the operator is placing a callback."""
        status = self._operators.status(operator_id, now)
        member = status.caller or ""
        kind, _, consumer = member.partition(":")
        callback = self.pending(consumer) if kind == CallerKind.CALLBACK else None
        if callback is None:
            return Rejected(status.state, "CallbackUnanswered", "not placing a callback")
        tries = callback.attempts + 1
        retry_at = None if policy is None else next_try(tries, now, policy)
        effect: Effect
        if retry_at is None:
            effect = self._effects.abandon_ringing
        else:  # parked in the same transaction that frees the operator: both, or neither
            effect = self._effects.parking(consumer, tries, retry_at)
        left = self._operators.change(operator_id, CallerLeft(), now, effect, caller=member)
        if isinstance(left, Rejected):
            return left
        return MissedCallback(replace(callback, attempts=tries), retry_at)

    def release_due(self, now: float) -> list[str]:
        """Put parked callbacks due by ``now`` back at their original place; their consumers."""
        with reachable():
            return self._callbacks.release_due(now)
