"""Initial schema: patients as observations, assessments, users, sessions, audit, CDS feedback.

Revision ID: 0001
Revises:
Create Date: 2026-11-26

Written out in full (no imports from clepath) so the script keeps meaning what it meant when
the models change. Timestamps are naive UTC `DateTime` columns (clepath's `UtcDateTime`).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=f"pk_{table}")


def _created(table: str) -> list[SchemaItem]:
    """created_at and created_by (a user, kept as NULL when the user is deleted)."""
    return [
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=f"fk_{table}_created_by_users", ondelete="SET NULL"
        ),
    ]


def _patient(table: str) -> list[SchemaItem]:
    """patient_id, deleted with the patient."""
    return [
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=f"fk_{table}_patient_id_patients",
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    """Create every table and index."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        _pk("users"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_login_sessions_user_id_users", ondelete="CASCADE"
        ),
        _pk("login_sessions"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_table(
        "patients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(16), nullable=True),
        sa.Column("age_years", sa.Integer(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("pre_pregnancy_weight_kg", sa.Float(), nullable=True),
        sa.Column("smoking", sa.String(16), nullable=True),
        sa.Column("pregnant", sa.Boolean(), nullable=True),
        sa.Column("blood_group", sa.String(8), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        *_created("patients"),
        _pk("patients"),
        sa.UniqueConstraint("case_id", name="uq_patients_case_id"),
    )
    op.create_table(
        "cle_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("cle_entries"),
        sa.Column("subtype", sa.String(64), nullable=False),
        sa.Column("sites", sa.JSON(), nullable=False),
        sa.Column("since", sa.String(10), nullable=True),
        *_created("cle_entries"),
        _pk("cle_entries"),
    )
    op.create_index("ix_cle_entries_patient", "cle_entries", ["patient_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("findings"),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_unit", sa.String(32), nullable=True),
        sa.Column("attributed_to", sa.String(200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_created("findings"),
        _pk("findings"),
    )
    op.create_index("ix_findings_patient_date", "findings", ["patient_id", "date"])
    op.create_table(
        "labs",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("labs"),
        sa.Column("test", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(32), nullable=True),
        sa.Column("titre", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(16), nullable=True),
        sa.Column("lower", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("attributed_to", sa.String(200), nullable=True),
        sa.Column("original", sa.String(64), nullable=True),
        *_created("labs"),
        _pk("labs"),
    )
    op.create_index("ix_labs_patient_test_date", "labs", ["patient_id", "test", "date"])
    op.create_table(
        "clasi_exams",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("clasi_exams"),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("mucous_membrane", sa.Integer(), nullable=False),
        sa.Column("recent_hair_loss", sa.Integer(), nullable=False),
        sa.Column("nonscarring_alopecia", sa.Integer(), nullable=False),
        sa.Column("scarring_alopecia_scalp", sa.Integer(), nullable=False),
        sa.Column("dyspigmentation_lasts_12_months", sa.Boolean(), nullable=True),
        *_created("clasi_exams"),
        _pk("clasi_exams"),
    )
    op.create_index("ix_clasi_exams_patient_date", "clasi_exams", ["patient_id", "date"])
    op.create_table(
        "clasi_region_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exam_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("erythema", sa.Integer(), nullable=False),
        sa.Column("scale", sa.Integer(), nullable=False),
        sa.Column("dyspigmentation", sa.Integer(), nullable=False),
        sa.Column("scarring", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exam_id"], ["clasi_exams.id"], name="fk_clasi_region_scores_exam_id_clasi_exams",
            ondelete="CASCADE",
        ),
        _pk("clasi_region_scores"),
        sa.UniqueConstraint("exam_id", "region", name="uq_clasi_region_scores_exam"),
    )
    op.create_table(
        "therapy_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("therapy_courses"),
        sa.Column("drug", sa.String(64), nullable=False),
        sa.Column("dose_mg", sa.Float(), nullable=True),
        sa.Column("dose_text", sa.String(64), nullable=True),
        sa.Column("frequency", sa.String(32), nullable=True),
        sa.Column("doses_per_week", sa.Float(), nullable=True),
        sa.Column("route", sa.String(32), nullable=True),
        sa.Column("start", sa.String(10), nullable=True),
        sa.Column("stop", sa.String(10), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        *_created("therapy_courses"),
        _pk("therapy_courses"),
    )
    op.create_index("ix_therapy_courses_patient", "therapy_courses", ["patient_id"])
    op.create_table(
        "ivig_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("ivig_requests"),
        sa.Column("induction_dose_g_per_kg", sa.Float(), nullable=True),
        sa.Column("induction_days", sa.Integer(), nullable=True),
        sa.Column("maintenance_dose_g_per_kg", sa.Float(), nullable=True),
        sa.Column("maintenance_every_days", sa.Integer(), nullable=True),
        sa.Column("maintenance_cycles", sa.Integer(), nullable=True),
        sa.Column("product", sa.String(64), nullable=True),
        sa.Column("policy", sa.String(32), nullable=True),
        sa.Column("start", sa.Date(), nullable=True),
        *_created("ivig_requests"),
        _pk("ivig_requests"),
        sa.UniqueConstraint("patient_id", name="uq_ivig_requests_patient_id"),
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        *_patient("assessments"),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("clepath_version", sa.String(32), nullable=False),
        sa.Column("knowledge", sa.JSON(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        *_created("assessments"),
        _pk("assessments"),
    )
    op.create_index(
        "ix_assessments_patient_created", "assessments", ["patient_id", "created_at"]
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("resource", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(200), nullable=True),
        _pk("audit_events"),
    )
    op.create_index("ix_audit_events_patient_at", "audit_events", ["patient_id", "at"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("card_id", sa.String(128), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("outcome_at", sa.DateTime(), nullable=True),
        sa.Column("rule", sa.String(64), nullable=True),
        sa.Column("override_reason", sa.JSON(), nullable=True),
        sa.Column("accepted_suggestions", sa.JSON(), nullable=False),
        _pk("cds_feedback"),
    )
    op.create_index("ix_cds_feedback_service_card", "cds_feedback", ["service_id", "card_id"])


def downgrade() -> None:
    """Drop every table (children first)."""
    for table in (
        "cds_feedback",
        "audit_events",
        "assessments",
        "ivig_requests",
        "therapy_courses",
        "clasi_region_scores",
        "clasi_exams",
        "labs",
        "findings",
        "cle_entries",
        "patients",
        "login_sessions",
        "users",
    ):
        op.drop_table(table)
