"""Seeding for bench/drilldown.py: 90 days of the demo model plus a city-scale camera-alert volume, bulk COPYed."""

from __future__ import annotations

import io
import logging
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import redis
from sqlalchemy import Engine, create_engine, text

from data_sources import db, reference, schema
from data_sources.core.connections import sqlalchemy_url
from data_sources.history.rollups import ROLLUP_TABLES
from pipeline.demo.backfill import backfill

log = logging.getLogger("bench.drill")
# The demo model's cameras raise ~700 alerts a day; a city of 650 AI cameras counting crowds and queues raises
# far more. This many extra alerts brings the facts to ~15 million rows, the scale the issue asks for.
EXTRA_CAMERA_ALERTS = 3_900_000
CHUNK = 400_000
# Alerts per local hour of day (relative): quiet at night, peaks at the rush hours and the evening crowds.
HOUR_SHAPE = np.array([1, 1, 1, 1, 1, 2, 4, 8, 9, 6, 5, 5, 6, 5, 5, 6, 8, 10, 10, 9, 8, 6, 3, 2], dtype=float)


def recreate(admin_url: str, name: str) -> str:
    """Drop and create database `name` on the server of `admin_url`; returns its URL."""
    admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url(admin_url)).set(database=name).render_as_string(hide_password=False)


def extra_alerts(n: int, end: datetime, days: int, seed: int = 7) -> pd.DataFrame:
    """`n` crowding / congestion / fire-smoke alerts over the last `days`, on cameras able to raise them."""
    rng = np.random.default_rng(seed)
    cams = pd.DataFrame(reference.load_files()["cameras"])
    kinds = {"congestion": "congestion", "crowding": "crowding", "fire_smoke": "fire"}
    pools = {k: cams[cams.capabilities.str.contains(cap)] for k, cap in kinds.items()}
    share = {"congestion": 0.55, "crowding": 0.43, "fire_smoke": 0.02}
    parts = []
    start = end - timedelta(days=days)
    for kind, pool in pools.items():
        m = int(n * share[kind])
        day = rng.integers(0, days, m)
        hour = rng.choice(24, m, p=HOUR_SHAPE / HOUR_SHAPE.sum())
        # Local hours: Huế is UTC+7.
        secs = day * 86400 + (hour - 7) * 3600 + rng.integers(0, 3600, m)
        ts = pd.to_datetime(start.timestamp() + secs, unit="s", utc=True)
        pick = pool.iloc[rng.zipf(1.6, m) % len(pool)]  # a few busy junctions raise most of the alerts
        parts.append(
            pd.DataFrame(
                {
                    "event_id": [f"bulk-{kind}-{i}" for i in range(m)],
                    "ts": ts,
                    "camera_id": pick.camera_id.to_numpy(),
                    "unit_code": pick.unit_code.to_numpy(),
                    "alert_type": kind,
                    "severity": "medium" if kind != "fire_smoke" else "critical",
                    "score": np.round(rng.uniform(0.6, 0.99, m), 2),
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    return df[df.ts < end].sort_values("ts", kind="stable")


def copy_alerts(engine: Engine, df: pd.DataFrame) -> None:
    """COPY the alerts in chunks (each chunk is one statement, so the rollup trigger sums it in one pass)."""
    cols = ["event_id", "ts", "camera_id", "unit_code", "alert_type", "severity", "score"]
    for i in range(0, len(df), CHUNK):
        buf = io.StringIO()
        df.iloc[i : i + CHUNK][cols].to_csv(buf, index=False, header=False, date_format="%Y-%m-%dT%H:%M:%S%z")
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            raw = conn.connection.driver_connection
            with raw.cursor().copy(f"COPY camera_alerts ({', '.join(cols)}) FROM STDIN WITH (FORMAT csv)") as cp:
                cp.write(buf.getvalue().encode())


def seed(admin_url: str, name: str, redis_url: str, *, days: int) -> tuple[str, dict[str, int], float]:
    """Create, migrate and fill the bench database; returns its URL, exact row counts and seconds taken."""
    t0 = time.perf_counter()
    url = recreate(admin_url, name)
    db.migrate(url)
    engine = create_engine(sqlalchemy_url(url), pool_size=2)
    reference.load_into(engine)
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    r = redis.Redis.from_url(redis_url)
    backfill(engine, r, days=days, end=end)
    log.info("backfill done in %.0f s; adding %d camera alerts", time.perf_counter() - t0, EXTRA_CAMERA_ALERTS)
    copy_alerts(engine, extra_alerts(EXTRA_CAMERA_ALERTS, end, days))
    tables = [*schema.FACT_TABLES.values(), schema.complaints, schema.traffic_5min, *ROLLUP_TABLES]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            # Names come from the schema, never from input. VACUUM sets the visibility map a live system has.
            conn.execute(text(f"VACUUM (ANALYZE) {table.name}"))
        counts = {t.name: conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one() for t in tables}
    engine.dispose()
    return url, counts, time.perf_counter() - t0
