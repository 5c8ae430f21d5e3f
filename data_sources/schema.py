"""PostgreSQL history schema (SQLAlchemy Core): reference tables, per-domain facts and rollups."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = DateTime(timezone=True)

# ---------------------------------------------------------------- reference data (loaded from committed files)

units = Table(
    "units",
    metadata,
    Column("code", String(16), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("area_km2", Float),
)

agencies = Table(
    "agencies",
    metadata,
    Column("agency_code", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("unit_code", String(16), ForeignKey("units.code")),
    Column("categories", Text, nullable=False),
)

cameras = Table(
    "cameras",
    metadata,
    Column("camera_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit_code", String(16), ForeignKey("units.code"), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("capabilities", Text, nullable=False),
    Column("segment_id", String(32)),
)

road_segments = Table(
    "road_segments",
    metadata,
    Column("segment_id", String(32), primary_key=True),
    Column("road_name", Text, nullable=False),
    Column("unit_code", String(16), ForeignKey("units.code"), nullable=False),
    Column("free_flow_kmh", Float, nullable=False),
    Column("length_m", Integer, nullable=False),
    Column("frc", SmallInteger, nullable=False),
    Column("hot_spot", Boolean, nullable=False, server_default="false"),
    Column("hot_spot_name", Text),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
)

forest_areas = Table(
    "forest_areas",
    metadata,
    Column("area_id", String(32), primary_key=True),
    Column("name", Text, nullable=False),
    Column("unit_code", String(16), ForeignKey("units.code"), nullable=False),
    Column("forest_type", String(24), nullable=False),
    Column("area_ha", Integer, nullable=False),
)

# ---------------------------------------------------------------- facts (written by the archiver and the backfill)
# Every fact keeps the producer's event_id as primary key: that is what makes the archiver idempotent.
# unit_code is denormalised onto each fact because nearly every drill-down query is "time range x unit".

camera_alerts = Table(
    "camera_alerts",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("ts", TS, nullable=False),
    Column("camera_id", String(32), nullable=False),
    Column("unit_code", String(16)),
    Column("alert_type", String(24), nullable=False),
    Column("severity", String(8), nullable=False),
    Column("score", Float),
    Column("plate", String(16)),
    Column("person_name", Text),
    Column("watchlist", Text),
    Column("snapshot_url", Text),
    # The producer's version of an updatable alert (Frigate refines one object's alert): newer replaces older.
    Column("updated_at", TS),
    Column("ingested_at", TS, nullable=False, server_default=func.now()),
    Index("ix_camera_alerts_ts", "ts"),
    Index("ix_camera_alerts_unit_ts", "unit_code", "ts"),
    Index("ix_camera_alerts_camera_ts", "camera_id", "ts"),
)

traffic_readings = Table(
    "traffic_readings",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("ts", TS, nullable=False),
    Column("segment_id", String(32), nullable=False),
    Column("unit_code", String(16)),
    Column("speed_kmh", Float, nullable=False),
    Column("free_flow_kmh", Float, nullable=False),
    Column("congestion_level", SmallInteger, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("source", String(40), nullable=False),
    # BRIN: readings arrive in time order, so a tiny block-range index serves time-range scans.
    Index("ix_traffic_readings_ts_brin", "ts", postgresql_using="brin"),
    Index("ix_traffic_readings_segment_ts", "segment_id", "ts"),
)

# 5-minute rollup of traffic_readings: the drill-down pages read this, not the raw table.
traffic_5min = Table(
    "traffic_5min",
    metadata,
    Column("segment_id", String(32), primary_key=True),
    Column("bucket", TS, primary_key=True),
    Column("unit_code", String(16)),
    Column("n", Integer, nullable=False),
    Column("avg_speed_kmh", Float, nullable=False),
    Column("min_speed_kmh", Float, nullable=False),
    Column("avg_level", Float, nullable=False),
    Column("max_level", SmallInteger, nullable=False),
    Index("ix_traffic_5min_bucket", "bucket"),
    Index("ix_traffic_5min_unit_bucket", "unit_code", "bucket"),
)

fire_danger = Table(
    "fire_danger",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("ts", TS, nullable=False),
    Column("unit_code", String(16), nullable=False),
    Column("area_id", String(32)),
    Column("level", SmallInteger, nullable=False),
    CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
    Index("ix_fire_danger_unit_ts", "unit_code", "ts"),
    Index("ix_fire_danger_ts", "ts"),
)

hotspots = Table(
    "hotspots",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("ts", TS, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("confidence", String(8), nullable=False),
    Column("frp", Float),
    Column("source", String(40), nullable=False),
    Column("unit_code", String(16)),
    Column("area_id", String(32)),
    Index("ix_hotspots_ts", "ts"),
    Index("ix_hotspots_unit_ts", "unit_code", "ts"),
)

# Latest snapshot per complaint (upserted only by newer events) ...
complaints = Table(
    "complaints",
    metadata,
    Column("complaint_id", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("category", String(24), nullable=False),
    Column("unit_code", String(16), nullable=False),
    Column("agency_code", String(32)),
    Column("channel", String(12), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("urgent", Boolean, nullable=False),
    Column("received_at", TS, nullable=False),
    Column("deadline", TS),
    Column("closed_at", TS),
    Column("result", Text),
    Column("rating", SmallInteger),
    Column("updated_at", TS, nullable=False),
    Index("ix_complaints_unit_received", "unit_code", "received_at"),
    Index("ix_complaints_agency_received", "agency_code", "received_at"),
    Index("ix_complaints_status", "status"),
)

# ... and every lifecycle step, for timelines and handling-time statistics.
complaint_events = Table(
    "complaint_events",
    metadata,
    Column("event_id", String(128), primary_key=True),
    Column("ts", TS, nullable=False),
    Column("complaint_id", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("agency_code", String(32)),
    Column("unit_code", String(16), nullable=False),
    Column("payload", JSONB, nullable=False),
    Index("ix_complaint_events_complaint_ts", "complaint_id", "ts"),
    Index("ix_complaint_events_ts", "ts"),
)

FACT_TABLES = {
    "camera_alert": camera_alerts,
    "traffic_reading": traffic_readings,
    "fire_danger": fire_danger,
    "hotspot": hotspots,
    "complaint": complaint_events,
}
