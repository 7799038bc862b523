"""Property-based fuzzing of every Twilio webhook: whatever a (correctly signed) peer posts,
the answer is valid TwiML or a clear 4xx, never a 500 or an unhandled exception."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = [
    "CallSid",
    "From",
    "To",
    "Digits",
    "CallStatus",
    "CallDuration",
    "QueueSid",
    "QueuePosition",
    "QueueTime",
    "QueueResult",
    "DialCallStatus",
    "DialCallDuration",
    "Body",
    "MessageSid",
    "AccountSid",
    "SmsStatus",
]

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)
values = st.one_of(
    text,
    st.sampled_from(
        [
            "",
            "1",
            "0",
            "*",
            "#",
            "12#",
            "CA1",
            "+919000000002",
            "completed",
            "busy",
            "bridged",
            "-5",
            "99999999999",
        ]
    ),
)
forms = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
queries = st.one_of(
    st.just(""),
    st.sampled_from(
        ["?turn=1", "?turn=x", "?turn=-1", "?op=nobody", "?q=CZ-hi&p=0&lang=hi", "?q=nope&p=x"]
    ),
)


def twilio_paths(app: Any) -> list[str]:
    return sorted(
        {
            r.rule
            for r in app.url_map.iter_rules()
            if r.rule.startswith("/twilio/")
            and "POST" in (r.methods or set())
            and "<" not in r.rule
        }
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_signed_form_gets_twiml_or_a_clear_4xx(
    app_client: Any, signed_post: Any, data: Any
) -> None:
    paths = twilio_paths(app_client.application)
    assert len(paths) >= 6, paths
    path = data.draw(st.sampled_from(paths)) + data.draw(queries)
    form = {k: v for k, v in data.draw(forms).items()}
    response = signed_post(path, form)
    assert response.status_code < 500, (path, form, response.data[:300])
    if response.status_code == 200:
        root = ET.fromstring(response.data)
        assert root.tag == "Response"
    else:
        assert response.status_code in (400, 403, 404, 405), (path, form, response.status_code)
