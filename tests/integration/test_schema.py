"""Migrations and the fact writer on a real PostgreSQL."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, inspect, text

from data_sources import db, reference, schema
from data_sources.core.connections import sqlalchemy_url
from data_sources.events import to_json
from pipeline import facts
from tests import factories as f


def test_migration_creates_every_table(database_url):
    engine = create_engine(sqlalchemy_url(database_url))
    tables = set(inspect(engine).get_table_names())
    assert set(schema.metadata.tables) <= tables
    assert "alembic_version" in tables
    engine.dispose()


def test_migrations_match_the_tables_the_code_declares(database_url):
    """Alembic's autogenerate finds nothing to add or drop: the migrations and schema*.py agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from data_sources import alerts_workflow, schema_auth, schema_incidents  # noqa: F401  (tables join metadata)
    from data_sources.history import rollups  # noqa: F401

    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    engine.dispose()
    tables = [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")]
    assert not tables, tables


def test_reference_data_is_loaded(engine):
    counts = {name: db.exact_count(engine, name) for name in ("units", "cameras", "road_segments", "agencies")}
    assert counts["units"] == 40
    assert counts["cameras"] >= 600
    assert counts["road_segments"] >= 300
    assert counts["agencies"] >= 25


def test_write_events_is_idempotent_and_fills_unit_codes(engine, clean_facts):
    refs = facts.Refs.from_files()
    cam = reference.load_files()["cameras"][0]
    unit = cam["unit_code"]
    batch = [f.camera(i, camera_id=cam["camera_id"]) for i in range(5)] + [
        f.complaint(i, unit_code=unit, status=s) for i, s in enumerate(["received", "verified", "dispatched"])
    ]
    with engine.begin() as conn:
        first = facts.write_events(conn, batch, refs)
    with engine.begin() as conn:
        second = facts.write_events(conn, batch[2:], refs)
    assert first.slow_path_tables == []
    assert set(second.slow_path_tables) == {"camera_alerts", "complaint_events"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), count(DISTINCT unit_code) FROM camera_alerts")).one() == (5, 1)
        assert conn.execute(text("SELECT unit_code FROM camera_alerts LIMIT 1")).scalar_one() == unit
        assert conn.execute(text("SELECT count(*) FROM complaint_events")).scalar_one() == 3
        assert conn.execute(text("SELECT status FROM complaints")).scalar_one() == "dispatched"


def test_complaint_snapshot_never_moves_backwards(engine, clean_facts):
    refs = facts.Refs.from_files()
    unit = reference.load_files()["units"][0]["code"]
    with engine.begin() as conn:
        facts.write_events(conn, [f.complaint(9, status="resolved", unit_code=unit)], refs)
    with engine.begin() as conn:
        facts.write_events(conn, [f.complaint(2, status="dispatched", unit_code=unit)], refs)
    with engine.connect() as conn:
        status, closed = conn.execute(text("SELECT status, closed_at FROM complaints")).one()
    assert status == "resolved" and closed is not None


def test_traffic_rollup_recomputes_buckets(engine, clean_facts):
    refs = facts.Refs.from_files()
    seg = reference.load_files()["road_segments"][0]["segment_id"]
    readings = [f.traffic(i, segment_id=seg, speed=10.0 + i) for i in range(10)]  # one 5-minute bucket
    with engine.begin() as conn:
        facts.write_events(conn, readings, refs)
        facts.refresh_traffic_rollup(conn, f.T0)
        facts.refresh_traffic_rollup(conn, f.T0)  # idempotent
    with engine.connect() as conn:
        n, avg, mn = conn.execute(text("SELECT n, avg_speed_kmh, min_speed_kmh FROM traffic_5min")).one()
    assert (n, avg, mn) == (10, 14.5, 10.0)


def test_closed_at_is_the_resolution_time_even_when_the_rating_arrives_in_the_same_batch(engine, clean_facts):
    refs = facts.Refs.from_files()
    unit = reference.load_files()["units"][0]["code"]
    batch = [
        f.complaint(30, status="resolved", unit_code=unit),
        f.complaint(90, status="rated", unit_code=unit, rating=5),
    ]
    with engine.begin() as conn:
        facts.write_events(conn, batch, refs)
    with engine.connect() as conn:
        status, closed = conn.execute(text("SELECT status, closed_at FROM complaints")).one()
    assert status == "rated" and closed == batch[0].ts


def test_copy_bodies_store_exactly_the_rows(engine, clean_facts):
    # The archiver's fast path: bodies formatted apart (in parser processes), several per table, one COPY each.
    refs = facts.Refs.from_files()
    unit = reference.load_files()["units"][0]["code"]
    readings = [f.traffic(i, speed=3.5 * i) for i in range(6)]
    steps = [f.complaint(1, unit_code=unit, status="received", agency_code=None, description="Đèn tắt cả tuần")]
    steps.append(f.complaint(2, unit_code=unit, status="resolved", result="Đã thay bóng"))
    rows = [facts.fact_row(e, refs)[1] for e in readings]
    bodies = {
        "traffic_readings": [facts.copy_body("traffic_readings", part) for part in (rows[:2], rows[2:])],
        "complaint_events": [facts.copy_body("complaint_events", [facts.fact_row(e, refs)[1] for e in steps])],
    }
    with engine.begin() as conn:
        facts.copy_bodies(conn, bodies, [facts.complaint_snapshot(e) for e in steps])
    columns = ", ".join(facts.COLUMNS["traffic_readings"])
    with engine.connect() as conn:
        stored = conn.execute(text(f"SELECT {columns} FROM traffic_readings ORDER BY ts")).all()
        payloads = conn.execute(text("SELECT payload FROM complaint_events ORDER BY ts")).scalars().all()
        snapshot = conn.execute(text("SELECT status, closed_at, result FROM complaints")).one()
    assert [tuple(r) for r in stored] == rows
    assert payloads == [json.loads(to_json(e)) for e in steps]
    assert tuple(snapshot) == ("resolved", steps[1].ts, "Đã thay bóng")
