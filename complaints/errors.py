"""Errors of the complaints core.

Only our own mistakes raise: a SoP, escalation or feedback configuration that does not validate
(caught at start-up, the message starting with the path of the bad value) or a docket requested
for an impossible sequence number. What a consumer or field team gets wrong - a mistyped docket,
a malformed SMS - is an ordinary value (`MalformedDocket`, `SmsError`) with a defined answer.
"""


class ComplaintError(Exception):
    """Base of every error the complaints core raises."""
