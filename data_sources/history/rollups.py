"""Rollup tables and fact-table indexes of the drill-down pages (rollups kept current by triggers, migration 0003)."""

from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, Float, Index, Integer, SmallInteger, String, Table

from data_sources.schema import camera_alerts, complaints, metadata

TS = DateTime(timezone=True)

# Sums and counts rather than averages, so any coarser bucket re-aggregates exactly (weighted by readings).
# `buckets` counts 5-minute buckets; `heavy` those whose mean level was heavy or worse (>= 2.5, i.e. rounds to 3+).


def _traffic_measures() -> list[Column]:
    return [
        Column("n", Integer, nullable=False),
        Column("buckets", Integer, nullable=False),
        Column("sum_speed", Float, nullable=False),
        Column("min_speed", Float, nullable=False),
        Column("sum_level", Float, nullable=False),
        Column("heavy", Integer, nullable=False),
    ]


traffic_hourly = Table(
    "traffic_hourly",
    metadata,
    Column("segment_id", String(32), primary_key=True),
    Column("bucket", TS, primary_key=True),
    Column("unit_code", String(16)),
    *_traffic_measures(),
    Index("ix_traffic_hourly_bucket", "bucket"),
    Index("ix_traffic_hourly_unit_bucket", "unit_code", "bucket"),
)

# Local (Huế) calendar days: 30- and 90-day views read ~40x fewer rows than hourly.
traffic_daily = Table(
    "traffic_daily",
    metadata,
    Column("segment_id", String(32), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("unit_code", String(16)),
    *_traffic_measures(),
    Index("ix_traffic_daily_day", "day"),
)

# One row per unit and hour: the hour-of-week heat map and week-on-week comparison over 90 days read ~90k rows.
traffic_unit_hourly = Table(
    "traffic_unit_hourly",
    metadata,
    Column("unit_code", String(16), primary_key=True),
    Column("bucket", TS, primary_key=True),
    *_traffic_measures(),
    Index("ix_traffic_unit_hourly_bucket", "bucket"),
)

camera_alerts_hourly = Table(
    "camera_alerts_hourly",
    metadata,
    Column("camera_id", String(32), primary_key=True),
    Column("alert_type", String(24), primary_key=True),
    Column("bucket", TS, primary_key=True),
    Column("unit_code", String(16)),
    Column("n", Integer, nullable=False),
    Index("ix_camera_alerts_hourly_bucket", "bucket"),
    Index("ix_camera_alerts_hourly_unit_bucket", "unit_code", "bucket"),
)

camera_alerts_daily = Table(
    "camera_alerts_daily",
    metadata,
    Column("camera_id", String(32), primary_key=True),
    Column("alert_type", String(24), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("unit_code", String(16)),
    Column("n", Integer, nullable=False),
    Index("ix_camera_alerts_daily_day", "day"),
    Index("ix_camera_alerts_daily_unit_day", "unit_code", "day"),
)

# Per unit, kind and hour: "alerts by hour of day" and "by kind" without touching per-camera rows.
camera_alerts_unit_hourly = Table(
    "camera_alerts_unit_hourly",
    metadata,
    Column("unit_code", String(16), primary_key=True),
    Column("alert_type", String(24), primary_key=True),
    Column("bucket", TS, primary_key=True),
    Column("hour_of_day", SmallInteger, nullable=False),
    Column("n", Integer, nullable=False),
    Index("ix_camera_alerts_unit_hourly_bucket", "bucket"),
)

# When each report was first resolved or rejected. The snapshot's closed_at is only as good as the batch that
# wrote it (a batch holding both "resolved" and "rated" stores the rating time), so handling time reads this.
complaint_handled = Table(
    "complaint_handled",
    metadata,
    Column("complaint_id", String(128), primary_key=True),
    Column("handled_at", TS, nullable=False),
)

ROLLUP_TABLES = (
    traffic_hourly,
    traffic_daily,
    traffic_unit_hourly,
    camera_alerts_hourly,
    camera_alerts_daily,
    camera_alerts_unit_hourly,
    complaint_handled,
)

# Indexes on the fact tables that only the drill-down pages need.
STATUS_TYPES = ("camera_offline", "camera_online")
# Uptime reads only status alerts, a tiny fraction of camera_alerts: a partial index keeps it O(status rows).
Index(
    "ix_camera_alerts_status",
    camera_alerts.c.camera_id,
    camera_alerts.c.ts,
    postgresql_where=camera_alerts.c.alert_type.in_(STATUS_TYPES),
)
Index("ix_camera_alerts_plates", camera_alerts.c.ts, postgresql_where=camera_alerts.c.alert_type == "plate_watchlist")
Index("ix_complaints_received", complaints.c.received_at)
# The "due within 24 h and overdue" list reads open complaints by deadline.
Index("ix_complaints_open_deadline", complaints.c.deadline, postgresql_where=complaints.c.closed_at.is_(None))
