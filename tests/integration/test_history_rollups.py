"""The drill-down rollups (migration 0003 triggers) on a real PostgreSQL: exact, idempotent, emptied with facts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from data_sources import reference
from pipeline import facts
from tests import factories as f

HOURLY_CHECK = """
WITH h AS (
    SELECT segment_id, date_bin('1 hour', bucket, TIMESTAMPTZ '2000-01-01') AS b, sum(n) AS n, count(*) AS buckets,
           sum(avg_speed_kmh * n) AS s, min(min_speed_kmh) AS mn, count(*) FILTER (WHERE avg_level >= 2.5) AS hv
    FROM traffic_5min GROUP BY 1, 2
)
SELECT count(*) FROM h FULL JOIN traffic_hourly r ON r.segment_id = h.segment_id AND r.bucket = h.b
WHERE r.n IS DISTINCT FROM h.n OR r.buckets IS DISTINCT FROM h.buckets OR abs(r.sum_speed - h.s) > 1e-6
   OR r.min_speed IS DISTINCT FROM h.mn OR r.heavy IS DISTINCT FROM h.hv OR r.segment_id IS NULL
"""


def _scalar(engine, sql: str):
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def test_history001_traffic_rollups_follow_inserts_and_upserts(engine, clean_facts):
    refs = facts.Refs.from_files()
    segs = [s["segment_id"] for s in reference.load_files()["road_segments"][:3]]
    first = [f.traffic(i, segment_id=segs[i % 3], speed=8.0 + i, ts=f.T0 + timedelta(minutes=i)) for i in range(30)]
    with engine.begin() as conn:
        facts.write_events(conn, first, refs)
        facts.refresh_traffic_rollup(conn, f.T0)
    assert _scalar(engine, HOURLY_CHECK) == 0
    # Late readings land in buckets that already exist: the archiver's upsert must move every rollup along.
    late = [
        f.traffic(100 + i, segment_id=segs[0], speed=2.0, ts=f.T0 + timedelta(minutes=i, seconds=30)) for i in range(10)
    ]
    with engine.begin() as conn:
        facts.write_events(conn, late, refs)
        facts.refresh_traffic_rollup(conn, f.T0)
        facts.refresh_traffic_rollup(conn, f.T0)  # a repeated refresh changes nothing
    assert _scalar(engine, HOURLY_CHECK) == 0
    assert _scalar(engine, "SELECT sum(n) FROM traffic_hourly") == 40
    assert _scalar(engine, "SELECT sum(n) FROM traffic_daily") == 40
    assert _scalar(engine, "SELECT sum(n) FROM traffic_unit_hourly") == 40
    assert _scalar(engine, "SELECT min(min_speed) FROM traffic_hourly") == 2.0


def test_history002_camera_rollups_count_each_alert_once(engine, clean_facts):
    refs = facts.Refs.from_files()
    cam = reference.load_files()["cameras"][0]["camera_id"]
    alerts = [f.camera(i, camera_id=cam, ts=f.T0 + timedelta(minutes=20 * i)) for i in range(6)]
    with engine.begin() as conn:
        facts.write_events(conn, alerts, refs)
    with engine.begin() as conn:  # a replay after a crash: the duplicate-tolerant path must not double count
        facts.write_events(conn, alerts[2:], refs)
    for table in ("camera_alerts_hourly", "camera_alerts_daily", "camera_alerts_unit_hourly"):
        assert _scalar(engine, f"SELECT sum(n) FROM {table}") == 6, table
    assert _scalar(engine, "SELECT count(*) FROM camera_alerts_hourly") == 2  # two hours


def test_history003_first_resolution_is_the_handling_time(engine, clean_facts):
    """A batch holding both "resolved" and "rated" must still date the handling at the resolution."""
    refs = facts.Refs.from_files()
    unit = reference.load_files()["units"][0]["code"]
    steps = [
        f.complaint(1, complaint_id="PA-H1", status="received", unit_code=unit, ts=f.T0),
        f.complaint(2, complaint_id="PA-H1", status="resolved", unit_code=unit, ts=f.T0 + timedelta(hours=5)),
        f.complaint(3, complaint_id="PA-H1", status="rated", unit_code=unit, rating=5, ts=f.T0 + timedelta(days=2)),
    ]
    with engine.begin() as conn:
        facts.write_events(conn, steps, refs)
    with engine.connect() as conn:
        handled = conn.execute(text("SELECT handled_at FROM complaint_handled WHERE complaint_id = 'PA-H1'")).scalar()
    assert handled == f.T0 + timedelta(hours=5)


def test_history004_truncating_facts_empties_their_rollups(engine, clean_facts):
    refs = facts.Refs.from_files()
    seg = reference.load_files()["road_segments"][0]["segment_id"]
    cam = reference.load_files()["cameras"][0]["camera_id"]
    with engine.begin() as conn:
        facts.write_events(conn, [f.traffic(1, segment_id=seg), f.camera(1, camera_id=cam)], refs)
        facts.refresh_traffic_rollup(conn, f.T0)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE traffic_5min, camera_alerts, complaint_events"))
    for table in (
        "traffic_hourly",
        "traffic_daily",
        "traffic_unit_hourly",
        "camera_alerts_hourly",
        "complaint_handled",
    ):
        assert _scalar(engine, f"SELECT count(*) FROM {table}") == 0, table
