"""Incidents: fused events from every stream, their links, timeline and checklist.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 07:45:00

`incidents` holds one row per incident; `incident_links` one row per (incident, event), kept as 'unlinked' when a
person removes it so the fusion rules never re-link it; `incident_timeline` is append-only; `incident_checklist`
is the incident's copy of its type's SOP with who ticked each item and when.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
TYPES = "('forest_fire', 'traffic', 'public_order', 'infrastructure', 'other')"
STATUSES = "('open', 'responding', 'contained', 'closed')"
STREAMS = "('camera', 'fire', 'traffic', 'complaint')"


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("incident_id", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("status", sa.String(12), nullable=False, server_default=sa.text("'open'")),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(16)),
        sa.Column("agency_code", sa.String(32)),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float(), nullable=False, server_default=sa.text("0")),
        sa.Column("owner", sa.String(64)),
        sa.Column("rule", sa.String(64)),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("acknowledged_at", TS),
        sa.Column("escalated_at", TS),
        sa.Column("closed_at", TS),
        sa.Column("merged_into", sa.String(64), sa.ForeignKey("incidents.incident_id")),
        sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1")),
        sa.CheckConstraint(f"type IN {TYPES}", name="ck_incidents_type"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="ck_incidents_status"),
        sa.CheckConstraint("severity BETWEEN 0 AND 3", name="ck_incidents_severity"),
    )
    op.create_index("ix_incidents_status_opened", "incidents", ["status", "opened_at"])
    op.create_index("ix_incidents_unit", "incidents", ["unit_code"])
    op.create_index("ix_incidents_agency", "incidents", ["agency_code"])
    op.create_table(
        "incident_links",
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("incidents.incident_id"), primary_key=True),
        sa.Column("event_id", sa.String(160), primary_key=True),
        sa.Column("stream", sa.String(12), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("event_ts", TS, nullable=False),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("unit_code", sa.String(16)),
        sa.Column("state", sa.String(10), nullable=False, server_default=sa.text("'linked'")),
        sa.Column("rule", sa.String(64)),
        sa.Column("distance_m", sa.Float()),
        sa.Column("dt_seconds", sa.Float()),
        sa.Column("weight", sa.Float()),
        sa.Column("linked_by", sa.String(64), nullable=False),
        sa.Column("linked_at", TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(f"stream IN {STREAMS}", name="ck_incident_links_stream"),
        sa.CheckConstraint("state IN ('linked', 'unlinked')", name="ck_incident_links_state"),
    )
    op.create_index(
        "uq_incident_links_event_linked",
        "incident_links",
        ["event_id"],
        unique=True,
        postgresql_where=sa.text("state = 'linked'"),
    )
    op.create_index("ix_incident_links_event_ts", "incident_links", ["event_ts"])
    op.create_table(
        "incident_timeline",
        sa.Column("entry_id", sa.BigInteger(), primary_key=True),
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("incidents.incident_id"), nullable=False),
        sa.Column("at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", JSONB(), nullable=False, server_default=sa.text("'{}'::jsonb")),
    )
    op.create_index("ix_incident_timeline_incident", "incident_timeline", ["incident_id", "entry_id"])
    op.create_table(
        "incident_checklist",
        sa.Column("incident_id", sa.String(64), sa.ForeignKey("incidents.incident_id"), primary_key=True),
        sa.Column("item_key", sa.String(48), primary_key=True),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("label_vi", sa.Text(), nullable=False),
        sa.Column("label_en", sa.Text(), nullable=False),
        sa.Column("done_by", sa.String(64)),
        sa.Column("done_at", TS),
    )


def downgrade() -> None:
    op.drop_table("incident_checklist")
    op.drop_index("ix_incident_timeline_incident", table_name="incident_timeline")
    op.drop_table("incident_timeline")
    op.drop_index("ix_incident_links_event_ts", table_name="incident_links")
    op.drop_index("uq_incident_links_event_linked", table_name="incident_links")
    op.drop_table("incident_links")
    op.drop_index("ix_incidents_agency", table_name="incidents")
    op.drop_index("ix_incidents_unit", table_name="incidents")
    op.drop_index("ix_incidents_status_opened", table_name="incidents")
    op.drop_table("incidents")
