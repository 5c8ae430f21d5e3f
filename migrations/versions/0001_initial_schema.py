"""Initial schema: reference tables, per-domain facts, traffic 5-minute rollup.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 19:41:57.379302
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "camera_alerts",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("camera_id", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=True),
        sa.Column("alert_type", sa.String(length=24), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("person_name", sa.Text(), nullable=True),
        sa.Column("watchlist", sa.Text(), nullable=True),
        sa.Column("snapshot_url", sa.Text(), nullable=True),
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_camera_alerts")),
    )
    op.create_index("ix_camera_alerts_camera_ts", "camera_alerts", ["camera_id", "ts"], unique=False)
    op.create_index("ix_camera_alerts_ts", "camera_alerts", ["ts"], unique=False)
    op.create_index("ix_camera_alerts_unit_ts", "camera_alerts", ["unit_code", "ts"], unique=False)
    op.create_table(
        "complaint_events",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=True),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_complaint_events")),
    )
    op.create_index(
        "ix_complaint_events_complaint_ts",
        "complaint_events",
        ["complaint_id", "ts"],
        unique=False,
    )
    op.create_index("ix_complaint_events_ts", "complaint_events", ["ts"], unique=False)
    op.create_table(
        "complaints",
        sa.Column("complaint_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaints")),
    )
    op.create_index(
        "ix_complaints_agency_received",
        "complaints",
        ["agency_code", "received_at"],
        unique=False,
    )
    op.create_index("ix_complaints_status", "complaints", ["status"], unique=False)
    op.create_index(
        "ix_complaints_unit_received",
        "complaints",
        ["unit_code", "received_at"],
        unique=False,
    )
    op.create_table(
        "fire_danger",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.String(length=32), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_fire_danger_level_range")),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_fire_danger")),
    )
    op.create_index("ix_fire_danger_ts", "fire_danger", ["ts"], unique=False)
    op.create_index("ix_fire_danger_unit_ts", "fire_danger", ["unit_code", "ts"], unique=False)
    op.create_table(
        "hotspots",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("confidence", sa.String(length=8), nullable=False),
        sa.Column("frp", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=True),
        sa.Column("area_id", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_hotspots")),
    )
    op.create_index("ix_hotspots_ts", "hotspots", ["ts"], unique=False)
    op.create_index("ix_hotspots_unit_ts", "hotspots", ["unit_code", "ts"], unique=False)
    op.create_table(
        "traffic_5min",
        sa.Column("segment_id", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("avg_speed_kmh", sa.Float(), nullable=False),
        sa.Column("min_speed_kmh", sa.Float(), nullable=False),
        sa.Column("avg_level", sa.Float(), nullable=False),
        sa.Column("max_level", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("segment_id", "bucket", name=op.f("pk_traffic_5min")),
    )
    op.create_index("ix_traffic_5min_bucket", "traffic_5min", ["bucket"], unique=False)
    op.create_index(
        "ix_traffic_5min_unit_bucket",
        "traffic_5min",
        ["unit_code", "bucket"],
        unique=False,
    )
    op.create_table(
        "traffic_readings",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("segment_id", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=True),
        sa.Column("speed_kmh", sa.Float(), nullable=False),
        sa.Column("free_flow_kmh", sa.Float(), nullable=False),
        sa.Column("congestion_level", sa.SmallInteger(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_traffic_readings")),
    )
    op.create_index(
        "ix_traffic_readings_segment_ts",
        "traffic_readings",
        ["segment_id", "ts"],
        unique=False,
    )
    op.create_index(
        "ix_traffic_readings_ts_brin",
        "traffic_readings",
        ["ts"],
        unique=False,
        postgresql_using="brin",
    )
    op.create_table(
        "units",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_units")),
    )
    op.create_table(
        "agencies",
        sa.Column("agency_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=True),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_agencies_unit_code_units")),
        sa.PrimaryKeyConstraint("agency_code", name=op.f("pk_agencies")),
    )
    op.create_table(
        "cameras",
        sa.Column("camera_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("capabilities", sa.Text(), nullable=False),
        sa.Column("segment_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_cameras_unit_code_units")),
        sa.PrimaryKeyConstraint("camera_id", name=op.f("pk_cameras")),
    )
    op.create_table(
        "forest_areas",
        sa.Column("area_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("forest_type", sa.String(length=24), nullable=False),
        sa.Column("area_ha", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_forest_areas_unit_code_units")),
        sa.PrimaryKeyConstraint("area_id", name=op.f("pk_forest_areas")),
    )
    op.create_table(
        "road_segments",
        sa.Column("segment_id", sa.String(length=32), nullable=False),
        sa.Column("road_name", sa.Text(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("free_flow_kmh", sa.Float(), nullable=False),
        sa.Column("length_m", sa.Integer(), nullable=False),
        sa.Column("frc", sa.SmallInteger(), nullable=False),
        sa.Column("hot_spot", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("hot_spot_name", sa.Text(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["unit_code"], ["units.code"], name=op.f("fk_road_segments_unit_code_units")),
        sa.PrimaryKeyConstraint("segment_id", name=op.f("pk_road_segments")),
    )


def downgrade() -> None:

    op.drop_table("road_segments")
    op.drop_table("forest_areas")
    op.drop_table("cameras")
    op.drop_table("agencies")
    op.drop_table("units")
    op.drop_index(
        "ix_traffic_readings_ts_brin",
        table_name="traffic_readings",
        postgresql_using="brin",
    )
    op.drop_index("ix_traffic_readings_segment_ts", table_name="traffic_readings")
    op.drop_table("traffic_readings")
    op.drop_index("ix_traffic_5min_unit_bucket", table_name="traffic_5min")
    op.drop_index("ix_traffic_5min_bucket", table_name="traffic_5min")
    op.drop_table("traffic_5min")
    op.drop_index("ix_hotspots_unit_ts", table_name="hotspots")
    op.drop_index("ix_hotspots_ts", table_name="hotspots")
    op.drop_table("hotspots")
    op.drop_index("ix_fire_danger_unit_ts", table_name="fire_danger")
    op.drop_index("ix_fire_danger_ts", table_name="fire_danger")
    op.drop_table("fire_danger")
    op.drop_index("ix_complaints_unit_received", table_name="complaints")
    op.drop_index("ix_complaints_status", table_name="complaints")
    op.drop_index("ix_complaints_agency_received", table_name="complaints")
    op.drop_table("complaints")
    op.drop_index("ix_complaint_events_ts", table_name="complaint_events")
    op.drop_index("ix_complaint_events_complaint_ts", table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index("ix_camera_alerts_unit_ts", table_name="camera_alerts")
    op.drop_index("ix_camera_alerts_ts", table_name="camera_alerts")
    op.drop_index("ix_camera_alerts_camera_ts", table_name="camera_alerts")
    op.drop_table("camera_alerts")
