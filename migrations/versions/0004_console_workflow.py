"""Duty officer console: the workflow state of each alert and its append-only audit trail.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 21:10:00

`console_alert` holds one row per alert a person has touched (an alert nobody touched is "new" and has no row);
`version` is the optimistic-concurrency counter every change must name. `console_alert_audit` is never updated
or deleted: one row per change with who, when, what and the state before and after.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "console_alert",
        sa.Column("alert_id", sa.String(160), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("assignee", sa.String(120)),
        sa.Column("comment", sa.Text()),
        sa.Column("outcome", sa.Text()),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "state IN ('acknowledged','assigned','escalated','resolved','reopened')", name="ck_console_alert_state"
        ),
    )
    op.create_table(
        "console_alert_audit",
        sa.Column("audit_id", sa.BigInteger(), primary_key=True),
        sa.Column("alert_id", sa.String(160), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("before", JSONB(), nullable=False),
        sa.Column("after", JSONB(), nullable=False),
        sa.Column("comment", sa.Text()),
    )
    op.create_index("ix_console_alert_audit_alert", "console_alert_audit", ["alert_id", "audit_id"])


def downgrade() -> None:
    op.drop_index("ix_console_alert_audit_alert", table_name="console_alert_audit")
    op.drop_table("console_alert_audit")
    op.drop_table("console_alert")
