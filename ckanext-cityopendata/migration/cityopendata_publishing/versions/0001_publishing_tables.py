"""Publishing tables: workflow state and history, screening, national sync.

Revision ID: 5b1c0a7e4d01
Revises:
Create Date: 2026-11-24
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = "5b1c0a7e4d01"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "cityopendata_workflow_state",
        sa.Column("package_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("submitted_by", sa.Text),
        sa.Column("updated", TS, nullable=False),
    )
    op.create_index("cityopendata_workflow_state_state", "cityopendata_workflow_state", ["state"])
    op.create_table(
        "cityopendata_workflow_transition",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("package_id", sa.Text, nullable=False, index=True),
        sa.Column("from_state", sa.Text, nullable=False),
        sa.Column("to_state", sa.Text, nullable=False),
        sa.Column("user_id", sa.Text),
        sa.Column("user_name", sa.Text),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created", TS, nullable=False),
    )
    op.create_table(
        "cityopendata_screening_finding",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("package_id", sa.Text, nullable=False, index=True),
        sa.Column("resource_id", sa.Text, nullable=False, index=True),
        sa.Column("column", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("sample", sa.Text, nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("accepted", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("accepted_by", sa.Text),
        sa.Column("accepted_reason", sa.Text),
        sa.Column("accepted_at", TS),
        sa.Column("checked_at", TS, nullable=False),
        sa.UniqueConstraint("resource_id", "column", "kind", name="cityopendata_screening_finding_unique"),
    )
    op.create_table(
        "cityopendata_screening_run",
        sa.Column("resource_id", sa.Text, primary_key=True),
        sa.Column("package_id", sa.Text, nullable=False, index=True),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("rows", sa.Integer, nullable=False, server_default="0"),
        sa.Column("checked_at", TS, nullable=False),
    )
    op.create_table(
        "cityopendata_national_sync",
        sa.Column("package_id", sa.Text, primary_key=True),
        sa.Column("package_name", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False, server_default="push"),
        sa.Column("error", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_attempt", TS),
        sa.Column("last_synced", TS),
        sa.Column("next_attempt", TS),
        sa.Column("remote_id", sa.Text),
        sa.Column("payload_hash", sa.Text),
        sa.Column("details", JSONB, nullable=False, server_default="{}"),
    )
    op.create_index("cityopendata_national_sync_status", "cityopendata_national_sync", ["status"])


def downgrade():
    op.drop_table("cityopendata_national_sync")
    op.drop_table("cityopendata_screening_run")
    op.drop_table("cityopendata_screening_finding")
    op.drop_table("cityopendata_workflow_transition")
    op.drop_table("cityopendata_workflow_state")
