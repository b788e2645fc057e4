"""State shared by every server process: CDS token ids, card rules, failed sign-ins.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

With several server processes, a token id (jti) must be refused everywhere once used, feedback
on a card may reach another process than the one that made the card, and failed sign-ins must
be counted across processes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create cds_token_uses, cds_cards and login_failures."""
    op.create_table(
        "cds_token_uses",
        sa.Column("issuer", sa.String(512), nullable=False),
        sa.Column("jti", sa.String(255), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti", name="pk_cds_token_uses"),
    )
    op.create_index("ix_cds_token_uses_expires_at", "cds_token_uses", ["expires_at"])
    op.create_table(
        "cds_cards",
        sa.Column("uuid", sa.String(128), nullable=False),
        sa.Column("service_id", sa.String(64), nullable=False),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("uuid", name="pk_cds_cards"),
    )
    op.create_index("ix_cds_cards_issued_at", "cds_cards", ["issued_at"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_key_at", "login_failures", ["key", "at"])


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("login_failures")
    op.drop_table("cds_cards")
    op.drop_table("cds_token_uses")
