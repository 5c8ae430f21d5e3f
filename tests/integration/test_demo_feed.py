"""Demo feed on real servers: backfill fills every fact table and the current state, idempotently; live publishes."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import func, select

from data_sources import liveness, schema, state
from data_sources.core import streams
from data_sources.core.settings import get_settings
from data_sources.events import CLOSED_STATUSES, STREAMS, parse_event
from pipeline.demo import load_world
from pipeline.demo.backfill import backfill
from pipeline.demo.live import LiveFeed, run_live

SEED = 20251123
# Dry season, so every fact table (hotspots included) gets rows in two days.
END = datetime(2026, 6, 20, 9, 2, 30, tzinfo=UTC)
TABLES = (*schema.FACT_TABLES.values(), schema.complaints, schema.traffic_5min)


def _counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}


@pytest.mark.slow
def test_backfill_fills_history_and_state_and_rerunning_adds_nothing(engine, clean_facts, rkeys, rds):
    offered = backfill(engine, rds, days=2, end=END, seed=SEED)
    counts = _counts(engine)
    assert all(counts.values()), counts
    segments = len(load_world().segments)
    assert counts["traffic_readings"] == offered["traffic_readings"] == 2 * 288 * segments
    assert counts["traffic_5min"] == counts["traffic_readings"]  # one reading per segment and 5-minute bucket
    with engine.connect() as conn:
        latest = conn.execute(select(func.max(schema.complaint_events.c.ts))).scalar_one()
        open_ids = set(
            conn.execute(
                select(schema.complaints.c.complaint_id).where(schema.complaints.c.status.not_in(CLOSED_STATUSES))
            ).scalars()
        )
    assert latest <= END
    assert 100 < counts["complaints"] < 250
    now = {name: state.read_hash(rds, name, k=rkeys) for name in ("traffic", "complaints", "fire", "camera")}
    assert len(now["traffic"]) == segments
    assert open_ids and set(now["complaints"]) == open_ids
    assert set(now["fire"]) == set(load_world().a["forest_units"])
    assert len(now["camera"]) > 100

    # The overview and /healthz read its progress: finished now (3 steps: two days and the current state).
    progress = {k.decode(): v.decode() for k, v in rds.hgetall(liveness.progress_key(rkeys)).items()}
    assert (progress["phase"], progress["done"], progress["total"]) == ("done", "3", "3")

    # The live window's alerts, fires and reports are in the streams once, with their own times: a wall opened
    # after the first start shows them in its ticker instead of an empty list beside non-zero KPI tiles.
    def carried() -> list[tuple[str, str]]:
        out = []
        for name in ("camera", "fire", "complaint"):
            for _, fields in rds.xrange(rkeys.stream(name)):
                body = json.loads(fields[b"data"])
                out.append((body["event_id"], body["ts"]))
        return out

    recent = carried()
    assert recent and len({eid for eid, _ in recent}) == len(recent)
    window = END - timedelta(minutes=get_settings().live_window_minutes)
    assert all(window <= datetime.fromisoformat(ts) <= END for _, ts in recent)

    again = backfill(engine, rds, days=2, end=END, seed=SEED)
    assert again == offered
    assert _counts(engine) == counts
    assert carried() == recent  # a second run publishes nothing again


def test_live_run_publishes_to_all_four_streams_and_moves_backfilled_complaints(engine, clean_facts, rkeys, rds):
    # A full day before now: the catch-up window then always spans office hours, whatever time the test runs
    # (at night only urgent complaints move, so a 2-hour window before dawn could legitimately move none).
    end = datetime.now(UTC) - timedelta(hours=26)
    backfill(engine, rds, days=1, end=end, seed=SEED)
    before = state.read_hash(rds, "complaints", k=rkeys)
    stop = threading.Event()
    threading.Timer(3.0, stop.set).start()
    published = run_live(rds, rate=1.0, accel=1.0, seed=SEED, stop_event=stop)
    # Streams speak only when something happens (no re-sent events to look alive): in 3 s there are readings,
    # the day's danger bulletins (the backfilled ones are a day old) and complaint steps; a camera alert may
    # or may not come. The feed's liveness is reported for all four apart from the data.
    assert {"traffic", "fire", "complaint"} <= set(published) <= set(STREAMS)
    stats = streams.stream_stats(rds, k=rkeys)
    assert all(stats[s]["length"] > 0 and stats[s]["age_seconds"] < 5 for s in published), stats
    assert {f.decode() for f in rds.hkeys(liveness.liveness_key(rkeys))} == {f"{s}:demo" for s in STREAMS}
    assert published["traffic"] >= 10
    # Steps that fell due in the day since the backfill ended are caught up at start, from the same model.
    entries = [parse_event("complaint", f[streams.DATA_FIELD]) for _, f in rds.xrange(rkeys.stream("complaint"))]
    moved = [
        e for e in entries if e.complaint_id in before and e.ts > datetime.fromisoformat(before[e.complaint_id]["ts"])
    ]
    assert moved
    assert all(e.category == before[e.complaint_id]["category"] for e in moved)


def test_live_feed_buffers_through_a_redis_outage_and_logs_it_once(rkeys, rds, caplog):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    feed = LiveFeed(dead, rate=1.0, accel=60.0, seed=SEED)
    t = feed.t0
    with caplog.at_level(logging.WARNING, logger="demo.live"):
        for i in range(10):
            feed.publish(feed.tick(t + i, 1.0), t + i)
    assert len([r for r in caplog.records if "unavailable" in r.message]) == 1
    assert feed.buffer and not feed.counts
    feed.r = rds
    feed.publish([], t + 60)
    assert not feed.buffer and sum(feed.counts.values()) > 0
    assert rds.xlen(rkeys.stream("traffic")) == feed.counts["traffic"]
