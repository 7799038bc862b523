"""Errors of the routing core.

One base class for the whole package. Only our own mistakes raise (a queue file that does not
validate, an unknown queue name); what callers and operators do in the normal course of a
shift (a rejected transition, a full queue, no operator free) is returned as a value.
"""


class RoutingError(Exception):
    """Base of every error the routing core and its live-state adapters raise."""
