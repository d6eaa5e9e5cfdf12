"""Portal tables: link checks, usage counters, the approved open-data list, showcase apps.

Revision ID: 5a0c1d7e2b10
Revises:
Create Date: 2026-11-25 00:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5a0c1d7e2b10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cityopendata_link_check",
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False, index=True),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("detail", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "cityopendata_usage",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("owner_org", sa.UnicodeText, nullable=True, index=True),
        sa.Column("downloads", sa.Integer, nullable=False, server_default="0"),
        sa.Column("api_calls", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "cityopendata_commitment",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("agency", sa.UnicodeText, nullable=False, index=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("dataset_name", sa.UnicodeText, nullable=True, unique=True),
        sa.Column("publish_by", sa.Date, nullable=True),
        sa.Column("review_by", sa.Date, nullable=True),
        sa.Column("update_frequency", sa.UnicodeText, nullable=True),
        sa.Column("extra", JSONB, nullable=False, server_default="{}"),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "cityopendata_showcase_app",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("title", sa.UnicodeText, nullable=False),
        sa.Column("url", sa.UnicodeText, nullable=False),
        sa.Column("description", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("author", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("datasets", JSONB, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    for table in ("cityopendata_showcase_app", "cityopendata_commitment", "cityopendata_usage",
                  "cityopendata_link_check"):
        op.drop_table(table)
