"""Validation reports: one row per resource, the latest report

Revision ID: 5a1d0c0e7b01
Revises:
Create Date: 2026-11-24
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5a1d0c0e7b01"
down_revision = None
branch_labels = None
depends_on = None

TABLE = "cityopendata_validation_report"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("status", sa.UnicodeText, nullable=False, server_default="pending"),
        sa.Column("fingerprint", sa.UnicodeText),
        sa.Column("file_hash", sa.UnicodeText),
        sa.Column("format", sa.UnicodeText),
        sa.Column("encoding", sa.UnicodeText),
        sa.Column("rows", sa.BigInteger),
        sa.Column("bytes", sa.BigInteger),
        sa.Column("error_counts", JSONB, nullable=False, server_default="{}"),
        sa.Column("errors", JSONB, nullable=False, server_default="[]"),
        sa.Column("warnings", JSONB, nullable=False, server_default="{}"),
        sa.Column("table_schema", JSONB, nullable=False, server_default="{}"),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
        sa.Column("message", sa.UnicodeText),
        sa.Column("duration", sa.Float),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("started", sa.DateTime(timezone=True)),
        sa.Column("finished", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status in ('pending', 'running', 'success', 'failure', 'error')", name=f"{TABLE}_status_check"
        ),
    )
    op.create_index(f"{TABLE}_package_id_idx", TABLE, ["package_id"])
    op.create_index(f"{TABLE}_status_idx", TABLE, ["status"])


def downgrade() -> None:
    op.drop_table(TABLE)
