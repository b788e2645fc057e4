"""Letter details: patient identifiers, prescriber, payer and member number (issue 12).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04

Kept in the web app's store only: case files, exports and logs never carry them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create letter_details (one row per patient)."""
    op.create_table(
        "letter_details",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name="fk_letter_details_patient_id_patients",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name="fk_letter_details_updated_by_users",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_letter_details"),
        sa.UniqueConstraint("patient_id", name="uq_letter_details_patient_id"),
    )


def downgrade() -> None:
    """Drop letter_details."""
    op.drop_table("letter_details")
