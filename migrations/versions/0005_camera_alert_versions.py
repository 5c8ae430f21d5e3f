"""Camera alerts can be updated: `updated_at` is the producer's version, and the newest version is kept.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:00:00

Frigate refines one tracked object's alert (a plate read, then matched to a watch-list) under one event id;
the archiver replaces the stored row only with a strictly newer `updated_at`, so replays change nothing.
Nullable, no default: adding it rewrites no rows.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("camera_alerts", sa.Column("updated_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    op.drop_column("camera_alerts", "updated_at")
