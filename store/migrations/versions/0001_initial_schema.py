"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from alembic import op
import sqlalchemy as sa


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "caller_preferences",
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_caller_preferences")),
    )
    op.create_table(
        "companies",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("name_hi", sa.String(length=120), nullable=False),
        sa.Column("headquarters", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_companies")),
    )
    op.create_table(
        "docket_counters",
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("company", "day", name=op.f("pk_docket_counters")),
    )
    op.create_table(
        "fault_messages",
        sa.Column("message_id", sa.String(length=80), nullable=False),
        sa.Column("sender", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_fault_messages")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("to_number", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("template_id", sa.String(length=40), nullable=True),
        sa.Column("sender", sa.String(length=20), nullable=True),
        sa.Column("request_key", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("request_key", name=op.f("uq_outbox_request_key")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_due", ["status", "priority", "next_attempt_at"], unique=False
        )

    op.create_table(
        "queues",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_queues")),
    )
    op.create_table(
        "staff_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_contacts")),
        sa.UniqueConstraint("level", "unit", "unit_id", name="uq_staff_contacts_level_unit"),
    )
    op.create_table(
        "storm_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target_operators", sa.Integer(), nullable=True),
        sa.Column("staffed_operators", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storm_decisions")),
    )
    op.create_table(
        "applications",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("applicant", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("updated_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company"], ["companies.code"], name=op.f("fk_applications_company_companies")
        ),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_applications")),
    )
    op.create_table(
        "circles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("name_en", sa.String(length=80), nullable=False),
        sa.Column("name_hi", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["company"], ["companies.code"], name=op.f("fk_circles_company_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_circles")),
    )
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_circles_company"), ["company"], unique=False)

    op.create_table(
        "faults",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("asset_code", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("etr", sa.DateTime(timezone=True), nullable=True),
        sa.Column("restored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_majeure", sa.Boolean(), nullable=False),
        sa.Column("consumers_affected", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["company"], ["companies.code"], name=op.f("fk_faults_company_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faults")),
        sa.UniqueConstraint("message_id", name=op.f("uq_faults_message_id")),
    )
    with op.batch_alter_table("faults", schema=None) as batch_op:
        batch_op.create_index("ix_faults_active", ["restored_at", "asset_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_faults_asset_code"), ["asset_code"], unique=False)

    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("sip_interface", sa.String(length=80), nullable=True),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("tier", sa.String(length=12), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company"], ["companies.code"], name=op.f("fk_operators_company_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("operator_id", sa.String(length=40), nullable=True),
        sa.Column("label", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_api_tokens_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "divisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("circle_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["circle_id"], ["circles.id"], name=op.f("fk_divisions_circle_id_circles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_divisions")),
    )
    with op.batch_alter_table("divisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_divisions_circle_id"), ["circle_id"], unique=False)

    op.create_table(
        "fault_etr_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fault_id", sa.Integer(), nullable=False),
        sa.Column("etr", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["fault_id"], ["faults.id"], name=op.f("fk_fault_etr_history_fault_id_faults")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fault_etr_history")),
    )
    with op.batch_alter_table("fault_etr_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fault_etr_history_fault_id"), ["fault_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=60), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("operator_id", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_users_operator_id_operators")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "distribution_centres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("area", sa.String(length=8), nullable=False),
        sa.Column("field_mobile", sa.String(length=16), nullable=True),
        sa.Column("je_mobile", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["division_id"],
            ["divisions.id"],
            name=op.f("fk_distribution_centres_division_id_divisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_centres")),
        sa.UniqueConstraint("code", name=op.f("uq_distribution_centres_code")),
    )
    with op.batch_alter_table("distribution_centres", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distribution_centres_division_id"), ["division_id"], unique=False
        )

    op.create_table(
        "field_mobiles",
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("dc_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dc_id"],
            ["distribution_centres.id"],
            name=op.f("fk_field_mobiles_dc_id_distribution_centres"),
        ),
        sa.PrimaryKeyConstraint("mobile", name=op.f("pk_field_mobiles")),
    )
    with op.batch_alter_table("field_mobiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_mobiles_dc_id"), ["dc_id"], unique=False)

    op.create_table(
        "substations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dc_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["dc_id"],
            ["distribution_centres.id"],
            name=op.f("fk_substations_dc_id_distribution_centres"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substations")),
        sa.UniqueConstraint("code", name=op.f("uq_substations_code")),
    )
    with op.batch_alter_table("substations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_substations_dc_id"), ["dc_id"], unique=False)

    op.create_table(
        "feeders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("substation_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["substation_id"], ["substations.id"], name=op.f("fk_feeders_substation_id_substations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feeders")),
        sa.UniqueConstraint("code", name=op.f("uq_feeders_code")),
    )
    with op.batch_alter_table("feeders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feeders_substation_id"), ["substation_id"], unique=False
        )

    op.create_table(
        "transformers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feeder_id", sa.Integer(), nullable=False),
        sa.Column("dc_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["dc_id"],
            ["distribution_centres.id"],
            name=op.f("fk_transformers_dc_id_distribution_centres"),
        ),
        sa.ForeignKeyConstraint(
            ["feeder_id"], ["feeders.id"], name=op.f("fk_transformers_feeder_id_feeders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transformers")),
        sa.UniqueConstraint("code", name=op.f("uq_transformers_code")),
    )
    with op.batch_alter_table("transformers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transformers_feeder_id"), ["feeder_id"], unique=False)

    op.create_table(
        "consumers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ivrs", sa.String(length=16), nullable=False),
        sa.Column("legacy_no", sa.String(length=24), nullable=True),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_hi", sa.String(length=120), nullable=True),
        sa.Column("address", sa.String(length=240), nullable=False),
        sa.Column("area", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("transformer_id", sa.Integer(), nullable=False),
        sa.Column("bill_amount_paise", sa.BigInteger(), nullable=True),
        sa.Column("bill_due", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company"], ["companies.code"], name=op.f("fk_consumers_company_companies")
        ),
        sa.ForeignKeyConstraint(
            ["transformer_id"],
            ["transformers.id"],
            name=op.f("fk_consumers_transformer_id_transformers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumers")),
        sa.UniqueConstraint("ivrs", name=op.f("uq_consumers_ivrs")),
    )
    with op.batch_alter_table("consumers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consumers_legacy_no"), ["legacy_no"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consumers_transformer_id"), ["transformer_id"], unique=False
        )

    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("queue", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumers.id"], name=op.f("fk_callbacks_consumer_id_consumers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_callbacks_consumer_id"), ["consumer_id"], unique=False)

    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("caller", sa.String(length=20), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("queue", sa.String(length=40), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("docket", sa.String(length=20), nullable=True),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("operator_id", sa.String(length=40), nullable=True),
        sa.Column("queue_result", sa.String(length=24), nullable=True),
        sa.Column("wait_s", sa.Integer(), nullable=True),
        sa.Column("talk_s", sa.Integer(), nullable=True),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("ivr_path", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumers.id"], name=op.f("fk_calls_consumer_id_consumers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("call_id", name=op.f("uq_calls_call_id")),
    )
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calls_consumer_id"), ["consumer_id"], unique=False)

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("docket", sa.String(length=20), nullable=False),
        sa.Column("company", sa.String(length=4), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=True),
        sa.Column("dc_id", sa.Integer(), nullable=True),
        sa.Column("fault_id", sa.Integer(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("request_key", sa.String(length=120), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("force_majeure", sa.Boolean(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company"], ["companies.code"], name=op.f("fk_complaints_company_companies")
        ),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumers.id"], name=op.f("fk_complaints_consumer_id_consumers")
        ),
        sa.ForeignKeyConstraint(
            ["dc_id"],
            ["distribution_centres.id"],
            name=op.f("fk_complaints_dc_id_distribution_centres"),
        ),
        sa.ForeignKeyConstraint(
            ["fault_id"], ["faults.id"], name=op.f("fk_complaints_fault_id_faults")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("docket", name=op.f("uq_complaints_docket")),
        sa.UniqueConstraint("request_key", name=op.f("uq_complaints_request_key")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_consumer_id"), ["consumer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_dc_id"), ["dc_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_fault_id"), ["fault_id"], unique=False)

    op.create_table(
        "consumer_mobiles",
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["consumers.id"],
            name=op.f("fk_consumer_mobiles_consumer_id_consumers"),
        ),
        sa.PrimaryKeyConstraint("mobile", "consumer_id", name=op.f("pk_consumer_mobiles")),
    )
    with op.batch_alter_table("consumer_mobiles", schema=None) as batch_op:
        batch_op.create_index("ix_consumer_mobiles_consumer", ["consumer_id"], unique=False)

    op.create_table(
        "meter_readings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=False),
        sa.Column("reading", sa.Integer(), nullable=False),
        sa.Column("request_key", sa.String(length=120), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consumer_id"], ["consumers.id"], name=op.f("fk_meter_readings_consumer_id_consumers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_readings")),
        sa.UniqueConstraint("request_key", name=op.f("uq_meter_readings_request_key")),
    )
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meter_readings_consumer_id"), ["consumer_id"], unique=False
        )

    op.create_table(
        "restore_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fault_id", sa.Integer(), nullable=False),
        sa.Column("consumer_id", sa.Integer(), nullable=True),
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["consumer_id"],
            ["consumers.id"],
            name=op.f("fk_restore_subscriptions_consumer_id_consumers"),
        ),
        sa.ForeignKeyConstraint(
            ["fault_id"], ["faults.id"], name=op.f("fk_restore_subscriptions_fault_id_faults")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restore_subscriptions")),
        sa.UniqueConstraint("fault_id", "mobile", name="uq_restore_subscriptions_fault_mobile"),
    )
    with op.batch_alter_table("restore_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_restore_subscriptions_fault_id"), ["fault_id"], unique=False
        )

    op.create_table(
        "complaint_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=60), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_events_complaint_id"), ["complaint_id"], unique=False
        )

    op.create_table(
        "feedback_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("operator_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_feedback_calls_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_calls")),
    )
    with op.batch_alter_table("feedback_calls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_calls_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index("ix_feedback_calls_due", ["status", "due_at"], unique=False)

    op.create_table(
        "outage_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fault_id", sa.Integer(), nullable=False),
        sa.Column("mobile", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("outage_sms_id", sa.Integer(), nullable=True),
        sa.Column("latest_sms_id", sa.Integer(), nullable=True),
        sa.Column("told_etr", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fault_id"], ["faults.id"], name=op.f("fk_outage_notices_fault_id_faults")
        ),
        sa.ForeignKeyConstraint(
            ["outage_sms_id"], ["outbox.id"], name=op.f("fk_outage_notices_outage_sms_id_outbox")
        ),
        sa.ForeignKeyConstraint(
            ["latest_sms_id"], ["outbox.id"], name=op.f("fk_outage_notices_latest_sms_id_outbox")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outage_notices")),
        sa.UniqueConstraint("fault_id", "mobile", name="uq_outage_notices_fault_mobile"),
    )


def downgrade() -> None:
    op.drop_table("outage_notices")
    with op.batch_alter_table("feedback_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_calls_due")
        batch_op.drop_index(batch_op.f("ix_feedback_calls_complaint_id"))

    op.drop_table("feedback_calls")
    with op.batch_alter_table("complaint_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_events_complaint_id"))

    op.drop_table("complaint_events")
    with op.batch_alter_table("restore_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_restore_subscriptions_fault_id"))

    op.drop_table("restore_subscriptions")
    with op.batch_alter_table("meter_readings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_readings_consumer_id"))

    op.drop_table("meter_readings")
    with op.batch_alter_table("consumer_mobiles", schema=None) as batch_op:
        batch_op.drop_index("ix_consumer_mobiles_consumer")

    op.drop_table("consumer_mobiles")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_fault_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_dc_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_consumer_id"))

    op.drop_table("complaints")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calls_consumer_id"))

    op.drop_table("calls")
    with op.batch_alter_table("callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_callbacks_consumer_id"))

    op.drop_table("callbacks")
    with op.batch_alter_table("consumers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumers_transformer_id"))
        batch_op.drop_index(batch_op.f("ix_consumers_legacy_no"))

    op.drop_table("consumers")
    with op.batch_alter_table("transformers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transformers_feeder_id"))

    op.drop_table("transformers")
    with op.batch_alter_table("feeders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feeders_substation_id"))

    op.drop_table("feeders")
    with op.batch_alter_table("substations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_substations_dc_id"))

    op.drop_table("substations")
    with op.batch_alter_table("field_mobiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_mobiles_dc_id"))

    op.drop_table("field_mobiles")
    with op.batch_alter_table("distribution_centres", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distribution_centres_division_id"))

    op.drop_table("distribution_centres")
    op.drop_table("users")
    with op.batch_alter_table("fault_etr_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fault_etr_history_fault_id"))

    op.drop_table("fault_etr_history")
    with op.batch_alter_table("divisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_divisions_circle_id"))

    op.drop_table("divisions")
    op.drop_table("api_tokens")
    op.drop_table("operators")
    with op.batch_alter_table("faults", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_faults_asset_code"))
        batch_op.drop_index("ix_faults_active")

    op.drop_table("faults")
    with op.batch_alter_table("circles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_circles_company"))

    op.drop_table("circles")
    op.drop_table("applications")
    op.drop_table("storm_decisions")
    op.drop_table("staff_contacts")
    op.drop_table("queues")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outbox")
    op.drop_table("fault_messages")
    op.drop_table("docket_counters")
    op.drop_table("companies")
    op.drop_table("caller_preferences")
    op.drop_table("audit_log")
