"""Drill-down rollups: hourly/daily traffic and camera alerts, first handling time of reports; fact indexes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:30:00

Triggers rather than a refresh job: every writer (archiver, demo backfill, tests, ingestion adapters) fills the
rollups without knowing about them. Statement-level triggers with transition tables add each statement's rows
to the sums: traffic_5min's INSERT adds new rows, its UPDATE (the archiver's upsert) adds new minus old. Camera
alerts and report steps are only ever inserted; `INSERT ... ON CONFLICT DO NOTHING` and COPY both hand the trigger only the rows
actually inserted, so replays never double count. TRUNCATE of a fact table empties its rollups. Deleting facts is not supported (nothing deletes them; retention must prune both).
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
HOUR = "date_bin('1 hour', {col}, TIMESTAMPTZ '2000-01-01')"
LOCAL_DAY = "({col} AT TIME ZONE 'Asia/Ho_Chi_Minh')::date"


def _traffic_measures() -> list[sa.Column]:
    return [
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("buckets", sa.Integer(), nullable=False),
        sa.Column("sum_speed", sa.Float(), nullable=False),
        sa.Column("min_speed", sa.Float(), nullable=False),
        sa.Column("sum_level", sa.Float(), nullable=False),
        sa.Column("heavy", sa.Integer(), nullable=False),
    ]


def _tables() -> None:
    op.create_table(
        "traffic_hourly",
        sa.Column("segment_id", sa.String(32), nullable=False),
        sa.Column("bucket", TS, nullable=False),
        sa.Column("unit_code", sa.String(16)),
        *_traffic_measures(),
        sa.PrimaryKeyConstraint("segment_id", "bucket", name=op.f("pk_traffic_hourly")),
    )
    op.create_index("ix_traffic_hourly_bucket", "traffic_hourly", ["bucket"])
    op.create_index("ix_traffic_hourly_unit_bucket", "traffic_hourly", ["unit_code", "bucket"])
    op.create_table(
        "traffic_daily",
        sa.Column("segment_id", sa.String(32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_code", sa.String(16)),
        *_traffic_measures(),
        sa.PrimaryKeyConstraint("segment_id", "day", name=op.f("pk_traffic_daily")),
    )
    op.create_index("ix_traffic_daily_day", "traffic_daily", ["day"])
    op.create_table(
        "traffic_unit_hourly",
        sa.Column("unit_code", sa.String(16), nullable=False),
        sa.Column("bucket", TS, nullable=False),
        *_traffic_measures(),
        sa.PrimaryKeyConstraint("unit_code", "bucket", name=op.f("pk_traffic_unit_hourly")),
    )
    op.create_index("ix_traffic_unit_hourly_bucket", "traffic_unit_hourly", ["bucket"])
    op.create_table(
        "camera_alerts_hourly",
        sa.Column("camera_id", sa.String(32), nullable=False),
        sa.Column("alert_type", sa.String(24), nullable=False),
        sa.Column("bucket", TS, nullable=False),
        sa.Column("unit_code", sa.String(16)),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", "alert_type", "bucket", name=op.f("pk_camera_alerts_hourly")),
    )
    op.create_index("ix_camera_alerts_hourly_bucket", "camera_alerts_hourly", ["bucket"])
    op.create_index("ix_camera_alerts_hourly_unit_bucket", "camera_alerts_hourly", ["unit_code", "bucket"])
    op.create_table(
        "camera_alerts_daily",
        sa.Column("camera_id", sa.String(32), nullable=False),
        sa.Column("alert_type", sa.String(24), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("unit_code", sa.String(16)),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", "alert_type", "day", name=op.f("pk_camera_alerts_daily")),
    )
    op.create_index("ix_camera_alerts_daily_day", "camera_alerts_daily", ["day"])
    op.create_index("ix_camera_alerts_daily_unit_day", "camera_alerts_daily", ["unit_code", "day"])
    op.create_table(
        "camera_alerts_unit_hourly",
        sa.Column("unit_code", sa.String(16), nullable=False),
        sa.Column("alert_type", sa.String(24), nullable=False),
        sa.Column("bucket", TS, nullable=False),
        sa.Column("hour_of_day", sa.SmallInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_code", "alert_type", "bucket", name=op.f("pk_camera_alerts_unit_hourly")),
    )
    op.create_index("ix_camera_alerts_unit_hourly_bucket", "camera_alerts_unit_hourly", ["bucket"])
    op.create_table(
        "complaint_handled",
        sa.Column("complaint_id", sa.String(128), nullable=False),
        sa.Column("handled_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("complaint_id", name=op.f("pk_complaint_handled")),
    )


def _fact_indexes() -> None:
    op.create_index(
        "ix_camera_alerts_status",
        "camera_alerts",
        ["camera_id", "ts"],
        postgresql_where=sa.text("alert_type IN ('camera_offline', 'camera_online')"),
    )
    op.create_index(
        "ix_camera_alerts_plates", "camera_alerts", ["ts"], postgresql_where=sa.text("alert_type = 'plate_watchlist'")
    )
    op.create_index("ix_complaints_received", "complaints", ["received_at"])
    op.create_index(
        "ix_complaints_open_deadline", "complaints", ["deadline"], postgresql_where=sa.text("closed_at IS NULL")
    )


def _traffic_delta(table: str, sign: str) -> str:
    """A 5-minute row as its contribution to the sums (sign '-' takes an old row back out)."""
    min_speed = "min_speed_kmh" if sign == "+" else "NULL::float"
    return f"""SELECT segment_id, unit_code, bucket, {sign}n AS n, {sign}1 AS buckets, {sign}(avg_speed_kmh * n) AS sum_speed,
           {min_speed} AS min_speed, {sign}(avg_level * n) AS sum_level, {sign}(avg_level >= 2.5)::int AS heavy FROM {table}"""


def _traffic_sql(delta: str) -> str:
    """Add the contributions in `delta` to the hourly, daily and unit-hourly sums.

    Deltas, not recomputation: an upsert statement hands the trigger its old and new rows, so the cost is
    O(rows changed) with no read of traffic_5min. min_speed only ever decreases because a bucket's readings
    only ever grow (facts are append-only), so least() keeps it exact.
    """
    hour = HOUR.format(col="bucket")
    sums = "sum(n), sum(buckets), sum(sum_speed), min(min_speed), sum(sum_level), sum(heavy)"
    add = (
        "n = r.n + excluded.n, buckets = r.buckets + excluded.buckets, sum_speed = r.sum_speed + excluded.sum_speed, "
        "min_speed = least(r.min_speed, excluded.min_speed), sum_level = r.sum_level + excluded.sum_level, "
        "heavy = r.heavy + excluded.heavy"
    )
    return f"""
    INSERT INTO traffic_hourly AS r (segment_id, bucket, unit_code, n, buckets, sum_speed, min_speed, sum_level, heavy)
    SELECT segment_id, {hour}, min(unit_code), {sums} FROM ({delta}) d GROUP BY 1, 2
    ON CONFLICT (segment_id, bucket) DO UPDATE SET unit_code = excluded.unit_code, {add};

    INSERT INTO traffic_daily AS r (segment_id, day, unit_code, n, buckets, sum_speed, min_speed, sum_level, heavy)
    SELECT segment_id, {LOCAL_DAY.format(col="bucket")}, min(unit_code), {sums} FROM ({delta}) d GROUP BY 1, 2
    ON CONFLICT (segment_id, day) DO UPDATE SET unit_code = excluded.unit_code, {add};

    INSERT INTO traffic_unit_hourly AS r (unit_code, bucket, n, buckets, sum_speed, min_speed, sum_level, heavy)
    SELECT unit_code, {hour}, {sums} FROM ({delta}) d WHERE unit_code IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (unit_code, bucket) DO UPDATE SET {add};
    """


def _camera_sql(source: str) -> str:
    """Add the alerts in `source` to the per-camera hourly/daily and per-unit hourly counts."""
    hour = HOUR.format(col="ts")
    return f"""
    INSERT INTO camera_alerts_hourly AS r (camera_id, alert_type, bucket, unit_code, n)
    SELECT camera_id, alert_type, {hour}, min(unit_code), count(*) FROM {source} GROUP BY 1, 2, 3
    ON CONFLICT (camera_id, alert_type, bucket) DO UPDATE SET n = r.n + excluded.n, unit_code = excluded.unit_code;

    INSERT INTO camera_alerts_daily AS r (camera_id, alert_type, day, unit_code, n)
    SELECT camera_id, alert_type, {LOCAL_DAY.format(col="ts")}, min(unit_code), count(*) FROM {source} GROUP BY 1, 2, 3
    ON CONFLICT (camera_id, alert_type, day) DO UPDATE SET n = r.n + excluded.n, unit_code = excluded.unit_code;

    INSERT INTO camera_alerts_unit_hourly AS r (unit_code, alert_type, bucket, hour_of_day, n)
    SELECT coalesce(unit_code, '?'), alert_type, {hour},
           extract(hour FROM {hour} AT TIME ZONE 'Asia/Ho_Chi_Minh')::smallint, count(*)
    FROM {source} GROUP BY 1, 2, 3, 4
    ON CONFLICT (unit_code, alert_type, bucket) DO UPDATE SET n = r.n + excluded.n;
    """


def _handled_sql(source: str) -> str:
    """The first resolved/rejected step of each report in `source` (the snapshot's closed_at can be a later step)."""
    return f"""
    INSERT INTO complaint_handled AS r (complaint_id, handled_at)
    SELECT complaint_id, min(ts) FROM {source} WHERE status IN ('resolved', 'rejected') GROUP BY complaint_id
    ON CONFLICT (complaint_id) DO UPDATE SET handled_at = least(r.handled_at, excluded.handled_at);
    """


def _triggers() -> None:
    op.execute(
        f"""
        CREATE FUNCTION drill_traffic_rollup_ins() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_traffic_sql(_traffic_delta("new_rows", "+"))} RETURN NULL; END $$;
        CREATE FUNCTION drill_traffic_rollup_upd() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_traffic_sql(_traffic_delta("new_rows", "+") + " UNION ALL " + _traffic_delta("old_rows", "-"))}
        RETURN NULL; END $$;
        CREATE TRIGGER traffic_5min_rollup_ins AFTER INSERT ON traffic_5min REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION drill_traffic_rollup_ins();
        CREATE TRIGGER traffic_5min_rollup_upd AFTER UPDATE ON traffic_5min
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION drill_traffic_rollup_upd();

        CREATE FUNCTION drill_camera_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_camera_sql("added")} RETURN NULL; END $$;
        CREATE TRIGGER camera_alerts_rollup_ins AFTER INSERT ON camera_alerts REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION drill_camera_rollup();

        CREATE FUNCTION drill_complaint_handled() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_handled_sql("added")} RETURN NULL; END $$;
        CREATE TRIGGER complaint_events_handled_ins AFTER INSERT ON complaint_events REFERENCING NEW TABLE AS added
            FOR EACH STATEMENT EXECUTE FUNCTION drill_complaint_handled();
        CREATE FUNCTION drill_complaint_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN TRUNCATE complaint_handled; RETURN NULL; END $$;
        CREATE TRIGGER complaint_events_handled_truncate AFTER TRUNCATE ON complaint_events
            FOR EACH STATEMENT EXECUTE FUNCTION drill_complaint_truncate();

        CREATE FUNCTION drill_traffic_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN TRUNCATE traffic_hourly, traffic_daily, traffic_unit_hourly; RETURN NULL; END $$;
        CREATE TRIGGER traffic_5min_rollup_truncate AFTER TRUNCATE ON traffic_5min
            FOR EACH STATEMENT EXECUTE FUNCTION drill_traffic_truncate();
        CREATE FUNCTION drill_camera_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN TRUNCATE camera_alerts_hourly, camera_alerts_daily, camera_alerts_unit_hourly; RETURN NULL; END $$;
        CREATE TRIGGER camera_alerts_rollup_truncate AFTER TRUNCATE ON camera_alerts
            FOR EACH STATEMENT EXECUTE FUNCTION drill_camera_truncate();
        """
    )


def upgrade() -> None:
    _tables()
    _fact_indexes()
    _triggers()
    # History written before this revision: roll it up once (a 30-day demo database takes a few seconds).
    op.execute(_traffic_sql(_traffic_delta("traffic_5min", "+")))
    op.execute(_camera_sql("camera_alerts"))
    op.execute(_handled_sql("complaint_events"))


def downgrade() -> None:
    op.execute(
        """
        DROP TRIGGER IF EXISTS traffic_5min_rollup_ins ON traffic_5min;
        DROP TRIGGER IF EXISTS traffic_5min_rollup_upd ON traffic_5min;
        DROP TRIGGER IF EXISTS traffic_5min_rollup_truncate ON traffic_5min;
        DROP TRIGGER IF EXISTS camera_alerts_rollup_ins ON camera_alerts;
        DROP TRIGGER IF EXISTS camera_alerts_rollup_truncate ON camera_alerts;
        DROP TRIGGER IF EXISTS complaint_events_handled_ins ON complaint_events;
        DROP TRIGGER IF EXISTS complaint_events_handled_truncate ON complaint_events;
        DROP FUNCTION IF EXISTS drill_traffic_rollup_ins(), drill_traffic_rollup_upd(), drill_camera_rollup(), drill_traffic_truncate(),
            drill_camera_truncate(), drill_complaint_handled(), drill_complaint_truncate();
        """
    )
    for name in ("ix_complaints_open_deadline", "ix_complaints_received"):
        op.drop_index(name, table_name="complaints")
    for name in ("ix_camera_alerts_plates", "ix_camera_alerts_status"):
        op.drop_index(name, table_name="camera_alerts")
    for table in (
        "complaint_handled",
        "camera_alerts_unit_hourly",
        "camera_alerts_daily",
        "camera_alerts_hourly",
        "traffic_unit_hourly",
        "traffic_daily",
        "traffic_hourly",
    ):
        op.drop_table(table)
