"""Property-based fuzzing of the fault API and of field-team SMS: whatever arrives, the answer
is a clear 2xx/4xx (JSON with a reason, or TwiML with a reply), never a 500, and a refused
message changes nothing."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from store import schema as t
from store.tokens import Role, SqlTokens

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**9),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(
        [
            "report",
            "update_etr",
            "restore",
            "feeder",
            "transformer",
            "WZ02F001",
            "tree",
            "23:30",
            "2026-11-27T20:00:00+05:30",
        ]
    ),
)
payloads = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "message_id",
                "action",
                "asset_code",
                "level",
                "cause",
                "etr",
                "force_majeure",
                "started_at",
                "restored_at",
                "consumers_affected",
                "extra",
            ]
        ),
        scalars,
        max_size=9,
    ),
    st.lists(scalars, max_size=3),
    scalars,
)
words = st.sampled_from(
    [
        "FAULT",
        "ETR",
        "RESTORED",
        "ACK",
        "DONE",
        "STATUS",
        "WZ02F001",
        "WZ2611270000013",
        "18:30",
        "TREE",
        "पेड़",
        "",
        "x" * 200,
    ]
)
bodies = st.lists(words, max_size=6).map(" ".join) | st.text(max_size=80)


def faults_count(services: Any) -> int:
    with services.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(t.faults)).scalar_one())


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payload=payloads)
def test_fault_api_answers_every_payload_clearly(
    app_client: Any, services: Any, payload: Any
) -> None:
    token = SqlTokens(services.engine).create(Role.FEED, datetime.now(UTC))
    before = faults_count(services)
    response = app_client.post(
        "/api/faults", json=payload, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code < 500, (payload, response.data[:300])
    body = response.get_json()
    assert isinstance(body, dict), response.data[:200]
    if response.status_code >= 400:
        assert body.get("error") or body.get("errors") or body.get("message"), body
        assert faults_count(services) == before, "a refused message changed the faults"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies, sender=st.sampled_from(["+919100000002", "+919100000001", "+919812345678"]))
def test_field_sms_gets_twiml_for_anything(signed_post: Any, body: str, sender: str) -> None:
    response = signed_post(
        "/twilio/sms",
        {"From": sender, "To": "+911912", "Body": body, "MessageSid": "SM" + "0" * 32},
    )
    assert response.status_code == 200, (body, response.data[:200])
    assert ET.fromstring(response.data).tag == "Response"
