"""Drill-down pages at city scale: per page, data-call latency (cold and cached cache) against the same SQL run raw.

Seeds ~15 million fact rows (90 days of the demo model plus city-scale camera alerts) into its own database,
then replays what each page's callbacks ask for, over every range, city-wide and per unit, as an officer and
as a department head. Each data call runs with an empty flask-caching cache, and its SQL (the very statement
the data function builds, as SQLAlchemy renders it) runs through a bare autocommit psycopg connection and is
fetched fully, the two taking turns going first; then the call runs again cached.

    python bench/drilldown.py              # seed (~10 min on 2 cores), then measure
    python bench/drilldown.py --skip-seed  # measure an already seeded database
    python bench/drilldown.py --drop       # ... then drop the bench database and its Redis keys
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from collections import defaultdict
from datetime import timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from flask import Flask  # noqa: E402
from psycopg.types.json import Jsonb  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DB_NAME = "ioc_bench_drill"

TARGET_P95_MS, TARGET_RATIO = 150.0, 1.5


def urls() -> tuple[str, str]:
    env = os.environ.get
    pg = env("TEST_DATABASE_URL") or env("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    return pg, env("TEST_REDIS_URL") or env("REDIS_URL") or "redis://127.0.0.1:6379/15"


def calls(views, items):
    """(page, name, data call, statements, viewer) for every view: what each page's callbacks ask the data layer for."""
    for view in views:
        for call in view_calls([view], items):
            yield (*call, view[0])


def view_calls(views, items):
    """(page, name, data call, statements) for every view."""
    from data_sources.history import cameras as cam
    from data_sources.history import complaints as cx
    from data_sources.history import fire
    from data_sources.history import traffic as tr
    from data_sources.viewer import scope_of
    from ui.drill_complaints import cluster_view
    from ui.drill_map import HUE_BOUNDS

    map_zoom, map_span = cluster_view(12, HUE_BOUNDS)  # the map's first view: the city at zoom 12
    for viewer, win, unit, now in views:
        s, u = scope_of(viewer), {"unit": unit}
        v = {"viewer": viewer, "window": win}
        yield "traffic", "compare", lambda v=v, u=u: tr.compare(**v, **u), [tr.compare_sql(s, win, unit)]
        yield "traffic", "segments", lambda v=v, u=u: tr.segments(**v, **u), [tr.segments_sql(s, win, unit)]
        yield "traffic", "units", lambda v=v: tr.units(**v), [tr.units_sql(s, win)]
        yield "traffic", "hour_of_week", lambda v=v, u=u: tr.hour_of_week(**v, **u), [tr.hour_of_week_sql(s, win, unit)]
        yield "complaints", "summary", lambda v=v, u=u: cx.summary(**v, **u), [cx.summary_sql(s, win, unit, None)]
        # The unit bars always show every unit.
        yield (
            "complaints",
            "by_unit",
            lambda v=v: cx.breakdown(**v, by="unit"),
            [cx.breakdown_sql(s, win, None, None, "unit")],
        )
        yield "complaints", "backlog", lambda v=v, u=u: cx.backlog(**v, **u), [cx.backlog_sql(s, win, unit, None)]
        yield "complaints", "ratings", lambda v=v, u=u: cx.ratings(**v, **u), [cx.ratings_sql(s, win, unit, None)]
        yield (
            "complaints",
            "clusters",
            lambda v=v, u=u: cx.clusters(**v, zoom=map_zoom, span=map_span, **u),
            [cx.clusters_sql(s, win, map_zoom, map_span, unit, None)],
        )
        yield (
            "complaints",
            "due",
            (lambda viewer=viewer, u=u, now=now: cx.due(viewer=viewer, now=now, **u)),
            [cx.due_sql(s, now, unit, None)],
        )
        yield "cameras", "by_unit_kind", lambda v=v: cam.by_unit_kind(**v), [cam.by_unit_kind_sql(s, win, None)]
        yield "cameras", "uptime", lambda v=v, u=u: cam.uptime(**v, **u), [cam.uptime_sql(s, win, unit)]
        yield "cameras", "by_hour", lambda v=v, u=u: cam.by_hour(**v, **u), [cam.by_hour_sql(s, win, unit)]
        yield "cameras", "by_camera", lambda v=v, u=u: cam.by_camera(**v, **u), [cam.by_camera_sql(s, win, unit)]
        # Its own row: an officer's unmasked view also INSERTs an audit row and commits it (without waiting for the
        # WAL flush); the raw side runs the same SELECT and the same write. A department head's masked view writes
        # nothing.
        yield (
            "plate hits",
            "plate_hits",
            lambda v=v, u=u: cam.plate_hits(**v, **u),
            [cam.plate_hits_sql(viewer, win, unit, None)],
        )
        yield (
            "fire",
            "daily_levels",
            lambda v=v, u=u: fire.daily_levels(**v, **u),
            [fire.daily_levels_sql(s, win, unit)],
        )
        yield "fire", "season_days", (lambda viewer=viewer, win=win, u=u: fire.season_days(
            viewer=viewer, until=win.until, **u)), [fire.season_days_sql(s, win.until, unit)]  # fmt: skip
        yield "fire", "hotspots", lambda v=v, u=u: fire.hotspot_rows(**v, **u), [fire.hotspots_sql(s, win, unit)]
        seg, camera, complaint = items["segment"], items["camera"], items["complaint"]
        yield (
            "segment page",
            "segment",
            (lambda viewer=viewer, seg=seg: tr.segment(viewer=viewer, segment_id=seg)),
            [tr.segment_sql(s, seg)],
        )
        yield (
            "segment page",
            "history",
            (lambda v=v, seg=seg: tr.segment_history(**v, segment_id=seg)),
            [tr.segment_history_sql(s, win, seg)],
        )
        yield (
            "camera page",
            "series+uptime",
            (lambda v=v, c=camera: cam.camera_page(**v, camera_id=c)),
            [cam.camera_series_sql(s, win, camera), cam.uptime_sql(s, win, None, camera)],
        )
        yield (
            "complaint page",
            "detail",
            (lambda viewer=viewer, c=complaint: cx.detail(viewer=viewer, complaint_id=c)),
            [cx.detail_sql(s, complaint), cx.timeline_sql(s, complaint)],
        )


def compile_sql(engine, stmt) -> tuple[str, dict]:
    """SQL text and parameters as SQLAlchemy sends them for the data layer's `conn.execute(stmt, values)`."""
    # A statement, or a template and its values (what a data function runs for small, frequent queries).
    stmt, values = stmt if isinstance(stmt, tuple) else (stmt, None)
    # Expanded as SQLAlchemy renders it (IN lists one placeholder per value); JSON values (the audit row's)
    # wrapped as SQLAlchemy's JSONB type does for psycopg.
    state = stmt.compile(dialect=engine.dialect).construct_expanded_state(values)
    params = {k: Jsonb(v) if isinstance(v, dict | list) else v for k, v in state.parameters.items()}
    return state.statement, params


# The audit write on the raw side: its transaction, synchronous_commit off, in one pipelined round trip.
ASYNC_COMMIT = ("BEGIN", "SET LOCAL synchronous_commit = off", None, "COMMIT")


def run_raw_plates(raw, sqls, engine, viewer) -> None:
    """Plate hits as the data layer does them: the SELECT, then for a cleared viewer who sees plates the very
    same audit INSERT in a transaction of its own, committed with synchronous_commit off."""
    from data_sources import privacy

    cur = raw.execute(*sqls[0])
    names = [d.name for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    stmt = privacy.view_audit(viewer, rows, subject="camera_alerts", id_field="event_id")
    if stmt is None:
        return
    sql, params = compile_sql(engine, stmt)
    with raw.pipeline(), raw.cursor() as cur:
        for command in ASYNC_COMMIT:
            if command is None:
                cur.execute(sql, params)
            else:
                cur.execute(command)


def run_raw(raw, sqls) -> None:
    """The statements on a bare autocommit psycopg connection, fully fetched; a page's several statements
    pipelined as the data layer sends them (one round trip)."""
    if len(sqls) == 1:
        raw.execute(*sqls[0]).fetchall()
        return
    cursors = [raw.cursor() for _ in sqls]
    with raw.pipeline():
        for cur, (q, p) in zip(cursors, sqls, strict=True):
            cur.execute(q, p)
    for cur in cursors:
        cur.fetchall()
        cur.close()


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def build_views(end):
    """Every range, city-wide and for the busiest unit, as an officer and as the head of that unit's committee."""
    from data_sources.core.huetime import HUE_TZ
    from data_sources.viewer import Viewer
    from ui.drill_state import DrillState, window

    unit, agency = "19786", "UB-THUANHOA"  # Thuận Hóa: the old city's south bank, the busiest unit
    officer = Viewer(role="officer", username="bench-officer", cleared_for_personal_data=True)
    head = Viewer(role="dept_head", username="bench-head", agency_code=agency, unit_codes=(unit,))
    states = [DrillState(range=r) for r in ("24h", "7d", "30d", "90d")]
    local = end.astimezone(HUE_TZ)
    states.append(DrillState(range="custom", start=(local - timedelta(days=59)).date(), end=local.date()))
    views = []
    for state in states:
        win = window(state, end)
        views += [(officer, win, None, end), (officer, win, unit, end), (head, win, None, end)]
    return views


def measure(url: str, reps: int) -> None:
    os.environ["DATABASE_URL"] = url
    from data_sources.core.cache import cache
    from data_sources.core.connections import get_engine
    from data_sources.schema import camera_alerts, complaints, road_segments, traffic_5min

    app = Flask(__name__)
    cache.init_app(app)
    engine = get_engine()
    with engine.connect() as conn:
        end = conn.execute(select(func.max(traffic_5min.c.bucket))).scalar_one() + timedelta(minutes=5)
        items = {
            "segment": conn.execute(select(road_segments.c.segment_id).where(road_segments.c.hot_spot))
            .scalars()
            .first(),
            "camera": conn.execute(select(camera_alerts.c.camera_id).limit(1)).scalar_one(),
            "complaint": conn.execute(select(complaints.c.complaint_id).where(complaints.c.unit_code == "19786"))
            .scalars()
            .first(),
        }
    views = build_views(end)
    # Autocommit and UTC like the data layer's connections: no BEGIN round trip on either side.
    raw = psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )
    raw.execute("SET TimeZone TO 'UTC'")
    cold, direct, cached = defaultdict(list), defaultdict(list), defaultdict(list)
    turns = defaultdict(int)
    print("load average before measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    with app.app_context():
        for rep in range(reps + 1):  # rep 0 warms PostgreSQL's buffers and the Python imports; not recorded
            for page, _name, call, stmts, viewer in calls(views, items):
                sqls = [compile_sql(engine, s) for s in stmts]
                if page == "plate hits":
                    raw_side = partial(run_raw_plates, raw, sqls, engine, viewer)
                else:
                    raw_side = partial(run_raw, raw, sqls)
                cache.clear()
                # Whichever side runs first meets PostgreSQL colder (the same SQL runs markedly faster the second
                # time in a row), so within each page the two sides take turns going first.
                turns[page] += 1
                if turns[page] % 2:
                    t_data, t_sql = timed(call), timed(raw_side)
                else:
                    t_sql, t_data = timed(raw_side), timed(call)
                t_hit = timed(call)
                if rep:
                    cold[page].append(t_data)
                    direct[page].append(t_sql)
                    cached[page].append(t_hit)
    print(f"\nper page: data calls with an empty cache vs the same SQL on a bare psycopg cursor ({reps} reps)")
    print(f"{'page':<16}{'calls':>6}{'p50 ms':>9}{'p95 ms':>9}{'SQL p50':>9}{'SQL p95':>9}{'ratio p50':>10}"
          f"{'ratio p95':>10}{'sum ratio':>10}{'+ms p50':>9}{'cached p50':>11}{'cached p95':>11}")  # fmt: skip
    worst_p95, worst_ratio = 0.0, 0.0
    for page in cold:
        c, d, h = cold[page], direct[page], cached[page]
        r50, r95, rsum = pct(c, 50) / pct(d, 50), pct(c, 95) / pct(d, 95), sum(c) / sum(d)
        worst_p95, worst_ratio = max(worst_p95, pct(c, 95)), max(worst_ratio, r95)
        extra = pct([a - b for a, b in zip(c, d, strict=True)], 50)
        print(f"{page:<16}{len(c):>6}{pct(c, 50):>9.1f}{pct(c, 95):>9.1f}{pct(d, 50):>9.1f}{pct(d, 95):>9.1f}"
              f"{r50:>10.2f}{r95:>10.2f}{rsum:>10.2f}{extra:>9.1f}{pct(h, 50):>11.3f}{pct(h, 95):>11.3f}")  # fmt: skip
    ok = worst_p95 <= TARGET_P95_MS and worst_ratio <= TARGET_RATIO
    print("load average after measuring: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\nworst page p95 {worst_p95:.1f} ms (target <= {TARGET_P95_MS:.0f}), worst p95 ratio {worst_ratio:.2f}"
          f" (target <= {TARGET_RATIO}): {'MET' if ok else 'NOT MET'}")  # fmt: skip
    raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--skip-seed", action="store_true", help="reuse the seeded database")
    parser.add_argument("--db", default=DB_NAME, help=f"database name (default {DB_NAME})")
    parser.add_argument("--drop", action="store_true", help="drop the bench database when done")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    os.environ.setdefault("REDIS_PREFIX", "bench-drill:")
    admin, redis_url = urls()
    url = make_url(admin).set(database=args.db).render_as_string(hide_password=False)
    # Before seeding: the settings are read once per process, and measuring needs them to name this database.
    os.environ["DATABASE_URL"] = url
    if not args.skip_seed:
        from bench.drill_seed import seed

        url, counts, seconds = seed(admin, args.db, redis_url, days=args.days)
        facts = sum(v for k, v in counts.items() if k in FACTS)
        print(f"seeded {args.db} in {seconds:.0f} s: {facts:,} fact rows, {sum(counts.values()):,} rows in all")
        for name, n in counts.items():
            print(f"  {name:<28}{n:>12,}")
    try:
        measure(url, args.reps)
    finally:
        if args.drop:
            drop(admin, args.db, redis_url, os.environ["REDIS_PREFIX"])


def drop(admin_url: str, name: str, redis_url: str, prefix: str) -> None:
    """Drop the bench database (its name is ours, from --db, never from data) and the seed's Redis keys."""
    import redis

    from data_sources.core.connections import reset_connections

    reset_connections()
    with psycopg.connect(admin_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter(match=f"{prefix}*", count=1000))  # only the bench's own prefix
    for i in range(0, len(keys), 500):
        r.delete(*keys[i : i + 500])
    print(f"dropped {name} and {len(keys)} Redis keys under {prefix}")


FACTS = {"camera_alerts", "traffic_readings", "fire_danger", "hotspots", "complaint_events"}

if __name__ == "__main__":
    main()
