"""Demo history: N days of model events COPYed into PostgreSQL, then Redis current state seeded from the latest."""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import repeat
from time import perf_counter

import numpy as np
import redis
from sqlalchemy import Engine, text

from data_sources import liveness, schema
from data_sources.core.huetime import HUE_TZ
from data_sources.core.settings import get_settings
from data_sources.core.streams import keys, publish
from data_sources.events import CLOSED_STATUSES, KIND_STREAM
from data_sources.state import HOTSPOT_WINDOW_SECONDS
from pipeline import facts
from pipeline.demo import load_world
from pipeline.demo import model as m
from pipeline.state import StateWriter

log = logging.getLogger("demo.backfill")


def traffic_rows(world: m.World, seed: int, start: datetime, end: datetime) -> list[tuple]:
    """Traffic fact rows for the 5-minute grid in [start, end), in facts.COLUMNS["traffic_readings"] order.

    Deliberately bypasses pydantic: 30 days are ~3.6M readings and building a model per reading would take
    minutes. The rows are valid by construction (model.traffic_values clips speeds into range, the level
    comes from the tested twin of events.congestion_level, ids follow model.reading()).
    Rows come segment by segment: consecutive keys per segment make the btree inserts ~25 % cheaper than
    time-major order; the price is a BRIN on ts that is precise to the chunk (a day), not to minutes.
    """
    times = m.grid_times(start, end)
    if not times.size:
        return []
    seg = np.arange(len(world.segments))
    speed, level, conf = m.traffic_values(world, seed, times[:, None], seg[None, :])
    epochs = times.tolist()
    stamps = [m.to_dt(t) for t in epochs]
    ffs, sources = world.a["ff"].tolist(), world.a["source"]
    rows: list[tuple] = []
    for j, s in enumerate(world.segments):
        sid = s["segment_id"]
        eids = [f"tr-{sid}-{t}" for t in epochs]
        cols = (speed[:, j].tolist(), level[:, j].tolist(), conf[:, j].tolist())
        rows.extend(
            zip(
                eids,
                stamps,
                repeat(sid),
                repeat(s["unit_code"]),
                cols[0],
                repeat(ffs[j]),
                cols[1],
                cols[2],
                repeat(sources[j]),
            )
        )
    return rows


# The field that keys each kind's current-state hash (data_sources.state).
_STATE_FIELD = {"camera_alert": "camera_id", "fire_danger": "unit_code", "complaint": "complaint_id"}


class _Latest:
    """Keeps, per current-state key, the newest event seen so far (what Redis should hold at `end`)."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.by_key: dict[tuple, object] = {}
        self.hotspots: list = []

    def add(self, events: list) -> None:
        for e in events:
            if e.kind == "hotspot":
                if e.ts.timestamp() >= self.end.timestamp() - HOTSPOT_WINDOW_SECONDS:
                    self.hotspots.append(e)
                continue
            keys = [(e.kind, getattr(e, _STATE_FIELD[e.kind]))]
            if e.kind == "camera_alert" and e.alert_type in ("camera_offline", "camera_online"):
                keys.append(("camera_status", e.camera_id))  # offline state needs its own newest event
            for key in keys:
                old = self.by_key.get(key)
                if old is None or e.ts >= old.ts:
                    self.by_key[key] = e

    def events(self) -> list:
        return sorted([*self.by_key.values(), *self.hotspots], key=lambda e: e.ts)


def rollup_rows(rows: list[tuple]) -> list[tuple]:
    """traffic_5min rows for backfill readings: the grid has exactly one reading per segment and bucket, so the
    rollup is the reading itself — COPYing it is several times cheaper than re-aggregating millions of rows."""
    return [(sid, ts, unit, 1, speed, speed, level, level) for _, ts, sid, unit, speed, _, level, _, _ in rows]


def _progress(r: redis.Redis, phase: str, done: int, total: int, started: float) -> None:
    # The overview, the wall and /healthz say "history loading (x %)" from this; a Redis hiccup must not stop
    # the load for its sake (the state written at the end needs Redis and fails loudly on its own).
    with contextlib.suppress(redis.RedisError):
        liveness.write_progress(r, phase=phase, done=done, total=total, started=started)


def backfill(
    engine: Engine, r: redis.Redis, *, days: int, end: datetime | None = None, seed: int | None = None
) -> dict[str, int]:
    """Write `days` of history ending at `end` (default now), idempotently; returns rows offered per table."""
    seed = get_settings().feed_seed if seed is None else seed
    end = end or datetime.now(UTC)
    start = end - timedelta(days=days)
    world, refs = load_world(), facts.Refs.from_files()
    latest, counts = _Latest(end), Counter()
    # The events of the live window also go to the streams, at the end: a wall opened after the first start shows
    # the last hour's alerts in its ticker (with their own times), as the KPI tiles count them from the state.
    live_from, recent = end - timedelta(minutes=get_settings().live_window_minutes), []
    t0, started = perf_counter(), time.time()
    _progress(r, "history", 0, days + 1, started)
    log.info("backfill %d days %s .. %s (seed %d)", days, start.isoformat(timespec="seconds"), end.isoformat(), seed)
    chunk, day = start, 0
    while chunk < end:
        day += 1
        stop = min(chunk + timedelta(days=1), end)
        rows = traffic_rows(world, seed, chunk, stop)
        found = [
            *m.camera_events(world, seed, chunk, stop),
            *m.fire_events(world, seed, chunk, stop),
            *m.complaint_events(world, seed, chunk, stop),
        ]
        events = [e for e in found if e.ts <= end]  # later lifecycle steps belong to the live feed
        with engine.begin() as conn:
            # History can be regenerated, so losing the last commit in a crash is fine: skip the fsync wait.
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            facts.copy_rows(conn, "traffic_readings", rows)
            facts.copy_rows(conn, "traffic_5min", rollup_rows(rows))
            written = facts.write_events(conn, events, refs)
        latest.add(events)
        recent += [e for e in events if e.ts >= live_from]
        counts.update({"traffic_readings": len(rows), **written.offered})
        log.info(
            "  day %d/%d from %s: %d traffic rows, %d other events (%.1f s)",
            day, days, f"{chunk.astimezone(HUE_TZ):%Y-%m-%d %H:%M}", len(rows), len(events), perf_counter() - t0,
        )  # fmt: skip
        chunk = stop
        _progress(r, "history", day, days + 1, started)  # the last step (ANALYZE, current state) counts as one
    t1 = perf_counter()
    with engine.begin() as conn:
        for table in (*schema.FACT_TABLES.values(), schema.complaints, schema.traffic_5min):
            conn.execute(text(f"ANALYZE {table.name}"))  # names come from the schema, never from input
    log.info("ANALYZE %.1f s", perf_counter() - t1)
    state = [*latest.events(), *m.traffic_readings(world, seed, end - timedelta(seconds=m.STEP), end)]
    StateWriter(r).apply(state)
    k = keys()
    if not any(r.xlen(k.stream(name)) for name in {KIND_STREAM[e.kind] for e in recent}):  # first start only
        publish(r, sorted(recent, key=lambda e: e.ts), k=k)
    _progress(r, "done", days + 1, days + 1, started)
    still_open = sum(1 for e in state if e.kind == "complaint" and e.status not in CLOSED_STATUSES)
    log.info("redis state: %d events, %d open complaints; total %.1f s", len(state), still_open, perf_counter() - t0)
    return dict(counts)
