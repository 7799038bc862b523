"""Replayed and duplicated Twilio webhooks never register a second complaint or advance a
call twice: over 1,000 requests, every one sent twice and old ones replayed later."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select

from store import schema as t

KEYS = ["2", "1", "1"]  # English, confirm the connection, no supply → docket
CALLS = 130


def form(sid: str, **extra: str) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+919000000002",
        "To": "+911912",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **extra,
    }


def test_thousand_replayed_and_duplicated_webhooks(
    signed_post: Any, twiml: Callable[[Any], ET.Element], services: Any
) -> None:
    rng = random.Random(1912)
    sent = 0
    history: list[tuple[str, dict[str, str]]] = []
    dockets: set[str] = set()
    for n in range(CALLS):
        sid = f"CA{n:032d}"
        start = form(sid)
        pages = [
            twiml(signed_post("/twilio/voice", start)),
            twiml(signed_post("/twilio/voice", start)),
        ]
        sent += 2
        # a repeated start re-renders the same first prompt
        assert ET.tostring(pages[0]) == ET.tostring(pages[1])
        history.append(("/twilio/voice", start))
        for key in KEYS:
            action = pages[-1].find("Gather").attrib["action"]  # type: ignore[union-attr]
            data = form(sid, Digits=key)
            first = twiml(signed_post(action, data))
            again = twiml(signed_post(action, data))  # Twilio retried the same request
            sent += 2
            assert ET.tostring(first) == ET.tostring(again), "a duplicate advanced the call"
            pages.append(first)
            history.append((action, data))
        said = " ".join(el.text or "" for el in pages[-1].iter("Say"))
        assert "complaint number is" in said
        dockets.add(said.split("complaint number is ")[1].split(".")[0].replace(" ", ""))
        # replay an older request of this call at random: it must not move anything
        url, data = rng.choice(history[-4:])
        twiml(signed_post(url, data))
        sent += 1
    assert sent >= 1000
    with services.engine.connect() as conn:
        complaints = conn.execute(select(func.count()).select_from(t.complaints)).scalar()
        distinct = conn.execute(select(func.count(func.distinct(t.complaints.c.call_id)))).scalar()
    assert complaints == CALLS == distinct == len(dockets)
