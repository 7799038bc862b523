"""Errors of the outages core.

Only our own mistakes raise (a bad forecast configuration caught at start-up, a naive `now`
handed in by an edge). What a peer sends wrong - a malformed fault-status message, an ETR in the
past - is returned as an ordinary value (`MessageError`, `Rejected`) for the edge to answer.
"""


class OutageError(Exception):
    """Base of every error the outages core raises."""
