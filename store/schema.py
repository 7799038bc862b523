"""The SQL tables of the helpline (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The network hierarchy runs company → circle → division → distribution centre → substation →
feeder → transformer → consumer. Times are stored as timezone-aware UTC. Alembic migrations in
`store/migrations` create these tables; `tests` check that the migrations and this module agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


def _ts(name: str, **kw: object) -> Column:  # type: ignore[type-arg]
    return Column(name, DateTime(timezone=True), **kw)  # type: ignore[arg-type]


companies = Table(
    "companies",
    metadata,
    Column("code", String(4), primary_key=True),
    Column("name_en", String(120), nullable=False),
    Column("name_hi", String(120), nullable=False),
    Column("headquarters", String(60), nullable=False),
)

circles = Table(
    "circles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(4), ForeignKey("companies.code"), nullable=False, index=True),
    Column("name_en", String(80), nullable=False),
    Column("name_hi", String(80), nullable=False),
)

divisions = Table(
    "divisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("circle_id", Integer, ForeignKey("circles.id"), nullable=False, index=True),
    Column("name", String(80), nullable=False),
)

distribution_centres = Table(
    "distribution_centres",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("division_id", Integer, ForeignKey("divisions.id"), nullable=False, index=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
    Column("area", String(8), nullable=False),  # urban | rural
    Column("field_mobile", String(16)),
    Column("je_mobile", String(16)),
)

substations = Table(
    "substations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dc_id", Integer, ForeignKey("distribution_centres.id"), nullable=False, index=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
)

feeders = Table(
    "feeders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("substation_id", Integer, ForeignKey("substations.id"), nullable=False, index=True),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
)

transformers = Table(
    "transformers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("feeder_id", Integer, ForeignKey("feeders.id"), nullable=False, index=True),
    Column("dc_id", Integer, ForeignKey("distribution_centres.id"), nullable=False),
    # Rural transformers carry a 10-digit code painted on the pole.
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(80), nullable=False),
)

consumers = Table(
    "consumers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ivrs", String(16), nullable=False, unique=True),
    Column("legacy_no", String(24), index=True),
    Column("company", String(4), ForeignKey("companies.code"), nullable=False),
    Column("name", String(120), nullable=False),
    Column("name_hi", String(120)),
    Column("address", String(240), nullable=False),
    Column("area", String(8), nullable=False),  # urban | rural
    Column("category", String(20), nullable=False, default="domestic"),
    Column("language", String(2), nullable=False, default="hi"),
    Column("transformer_id", Integer, ForeignKey("transformers.id"), nullable=False, index=True),
    Column("bill_amount_paise", BigInteger),
    Column("bill_due", Date),
)

consumer_mobiles = Table(
    "consumer_mobiles",
    metadata,
    Column("mobile", String(16), primary_key=True),
    Column("consumer_id", Integer, ForeignKey("consumers.id"), primary_key=True),
    Index("ix_consumer_mobiles_consumer", "consumer_id"),
)

caller_preferences = Table(
    "caller_preferences",
    metadata,
    Column("number", String(20), primary_key=True),
    Column("language", String(2), nullable=False),
    _ts("updated_at", nullable=False),
)

faults = Table(
    "faults",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("level", String(12), nullable=False),  # substation | feeder | transformer
    Column("asset_code", String(20), nullable=False, index=True),
    Column("company", String(4), ForeignKey("companies.code"), nullable=False),
    Column("cause", String(20), nullable=False),
    _ts("started_at", nullable=False),
    _ts("etr"),
    _ts("restored_at"),
    Column("force_majeure", Boolean, nullable=False, default=False),
    Column("consumers_affected", Integer, nullable=False, default=0),
    Column("source", String(40), nullable=False),
    Column("message_id", String(80), unique=True),
    Index("ix_faults_active", "restored_at", "asset_code"),
)

fault_etr_history = Table(
    "fault_etr_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", Integer, ForeignKey("faults.id"), nullable=False, index=True),
    _ts("etr"),
    _ts("set_at", nullable=False),
    Column("source", String(40), nullable=False),
)

fault_messages = Table(
    "fault_messages",
    metadata,
    Column("message_id", String(80), primary_key=True),
    Column("sender", String(40), nullable=False),
    _ts("received_at", nullable=False),
    Column("result", JSON, nullable=False),
)

restore_subscriptions = Table(
    "restore_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", Integer, ForeignKey("faults.id"), nullable=False, index=True),
    Column("consumer_id", Integer, ForeignKey("consumers.id")),
    Column("mobile", String(16), nullable=False),
    _ts("created_at", nullable=False),
    _ts("notified_at"),
    UniqueConstraint("fault_id", "mobile", name="uq_restore_subscriptions_fault_mobile"),
)

docket_counters = Table(
    "docket_counters",
    metadata,
    Column("company", String(4), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("last", Integer, nullable=False),
)

complaints = Table(
    "complaints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("docket", String(20), nullable=False, unique=True),
    Column("company", String(4), ForeignKey("companies.code"), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("status", String(16), nullable=False),  # open | acknowledged | resolved | closed
    Column("priority", Integer, nullable=False, default=0),
    Column("consumer_id", Integer, ForeignKey("consumers.id"), index=True),
    Column("dc_id", Integer, ForeignKey("distribution_centres.id"), index=True),
    Column("fault_id", Integer, ForeignKey("faults.id"), index=True),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("channel", String(12), nullable=False),
    Column("call_id", String(64)),
    # Identifies the request that created it, so a retried request cannot create a second one.
    Column("request_key", String(120), unique=True),
    _ts("registered_at", nullable=False),
    _ts("deadline"),
    _ts("resolved_at"),
    Column("force_majeure", Boolean, nullable=False, default=False),
    Column("remarks", Text),
)

complaint_events = Table(
    "complaint_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id"), nullable=False, index=True),
    _ts("at", nullable=False),
    Column("kind", String(24), nullable=False),
    Column("actor", String(60), nullable=False),
    Column("detail", JSON),
)

calls = Table(
    "calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", String(64), nullable=False, unique=True),
    Column("channel", String(12), nullable=False),
    Column("caller", String(20), nullable=False),
    Column("consumer_id", Integer, ForeignKey("consumers.id"), index=True),
    Column("language", String(2)),
    _ts("started_at", nullable=False),
    _ts("ended_at"),
    Column("outcome", String(16)),
    Column("queue", String(40)),
    Column("priority", Integer),
    Column("docket", String(20)),
    _ts("queued_at"),
    _ts("answered_at"),
    Column("operator_id", String(40)),
    Column("queue_result", String(24)),
    Column("wait_s", Integer),
    Column("talk_s", Integer),
    Column("duration_s", Integer),
    Column("ivr_path", JSON),
)

operators = Table(
    "operators",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("company", String(4), ForeignKey("companies.code"), nullable=False),
    Column("phone", String(20)),
    Column("sip_interface", String(80)),
    Column("languages", JSON, nullable=False),
    Column("skills", JSON, nullable=False),
    Column("tier", String(12), nullable=False, default="primary"),
    Column("active", Boolean, nullable=False, default=True),
)

queues = Table(
    "queues",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("company", String(4), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    _ts("updated_at", nullable=False),
)

applications = Table(
    "applications",
    metadata,
    Column("number", String(12), primary_key=True),
    Column("company", String(4), ForeignKey("companies.code"), nullable=False),
    Column("applicant", String(120), nullable=False),
    Column("status", String(24), nullable=False),
    Column("updated_on", Date, nullable=False),
)

meter_readings = Table(
    "meter_readings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("consumer_id", Integer, ForeignKey("consumers.id"), nullable=False, index=True),
    Column("reading", Integer, nullable=False),
    Column("request_key", String(120), unique=True),
    _ts("taken_at", nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(24), nullable=False),
    Column("to_number", String(20), nullable=False),
    Column("body", Text, nullable=False),
    Column("template_id", String(40)),
    Column("sender", String(20)),
    Column("request_key", String(120), unique=True),
    Column("status", String(12), nullable=False, default="queued"),  # queued|sent|failed|cancelled
    # 0 (urgent: dockets, replies, cancellations) is sent before 1 (bulk notices, paced).
    Column("priority", SmallInteger, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    _ts("created_at", nullable=False),
    _ts("next_attempt_at", nullable=False),
    _ts("sent_at"),
    Column("provider_id", String(64)),
    Column("error", Text),
    Index("ix_outbox_due", "status", "priority", "next_attempt_at"),
)

# Who was told of which fault: one row per (fault, mobile) the fault cuts off. A mobile already
# told of an overlapping active fault gets a row without an SMS ("covered"): it follows this
# fault too. `told_etr` is the ETR the mobile last heard for this fault.
outage_notices = Table(
    "outage_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("fault_id", Integer, ForeignKey("faults.id"), nullable=False),
    Column("mobile", String(16), nullable=False),
    Column("language", String(2), nullable=False),
    Column("outage_sms_id", Integer, ForeignKey("outbox.id")),
    Column("latest_sms_id", Integer, ForeignKey("outbox.id")),
    _ts("told_etr"),
    _ts("created_at", nullable=False),
    UniqueConstraint("fault_id", "mobile", name="uq_outage_notices_fault_mobile"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("operator_id", String(40), ForeignKey("operators.id")),
    Column("label", String(80)),
    _ts("created_at", nullable=False),
    _ts("revoked_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    _ts("at", nullable=False),
    Column("actor", String(60), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject", String(80)),
    Column("detail", JSON),
)

callbacks = Table(
    "callbacks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", String(64), nullable=False),
    Column("consumer_id", Integer, ForeignKey("consumers.id"), index=True),
    Column("number", String(20), nullable=False),
    Column("queue", String(40), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    _ts("joined_at", nullable=False),  # the original join time: the place is kept
    # The first call waited in the queue (so it was counted as offered there) before it was
    # turned away: the answered call back is the same contact, not another offer.
    Column("offer_counted", Boolean, nullable=False, server_default=false()),
    Column("status", String(12), nullable=False),  # pending|dialling|done|cancelled|failed
    Column("attempts", Integer, nullable=False, default=0),
    _ts("next_attempt_at"),  # pending after an unanswered try: not dialled before this
    _ts("last_attempt_at"),  # when the latest try was dialled (a stale "dialling" is lost)
    _ts("created_at", nullable=False),
    _ts("closed_at"),
    Column("reason", String(80)),
    Index("ix_callbacks_status_next_attempt_at", "status", "next_attempt_at"),
)

staff_contacts = Table(
    "staff_contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("level", String(4), nullable=False),  # JE | AE | EE | SE | CGM
    Column("unit", String(20), nullable=False),  # dc | division | circle | company
    Column("unit_id", String(20), nullable=False),
    Column("name", String(120), nullable=False),
    Column("mobile", String(16), nullable=False),
    UniqueConstraint("level", "unit", "unit_id", name="uq_staff_contacts_level_unit"),
)

field_mobiles = Table(
    "field_mobiles",
    metadata,
    Column("mobile", String(16), primary_key=True),
    Column("dc_id", Integer, ForeignKey("distribution_centres.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

feedback_calls = Table(
    "feedback_calls",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id"), nullable=False, index=True),
    Column("number", String(20), nullable=False),
    Column("status", String(12), nullable=False),  # scheduled|dialling|answered|failed|given_up
    Column("attempts", Integer, nullable=False, default=0),
    _ts("due_at", nullable=False),
    _ts("last_attempt_at"),
    Column("outcome", String(16)),  # satisfied | not_satisfied
    Column("operator_id", String(40)),
    _ts("created_at", nullable=False),
    Index("ix_feedback_calls_due", "status", "due_at"),
)

storm_decisions = Table(
    "storm_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    _ts("at", nullable=False),
    Column("company", String(4), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target_operators", Integer),
    Column("staffed_operators", Integer),
    Column("reason", Text, nullable=False),
    Column("inputs", JSON),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(60), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # operator | supervisor | admin
    Column("operator_id", String(40), ForeignKey("operators.id")),
    Column("active", Boolean, nullable=False, default=True),
    _ts("created_at", nullable=False),
    _ts("last_login_at"),
)
