"""Archiver on the real servers: exactly-once facts, dead letters, re-delivery, kill -9 and a PostgreSQL outage."""

from __future__ import annotations

import bisect
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import psutil
import pytest
import redis
from sqlalchemy import Engine, distinct, func, select, text

from data_sources import schema
from data_sources.core.connections import get_engine
from data_sources.core.settings import ROOT
from data_sources.core.streams import DATA_FIELD, publish, publish_raw
from data_sources.events import (
    KIND_STREAM,
    STREAMS,
    CameraAlert,
    ComplaintEvent,
    FireDanger,
    Hotspot,
    TrafficReading,
    to_json,
)
from data_sources.state import read_hash, read_hotspots
from pipeline.archiver import ARCHIVER, NO_DATA, PROJECTOR, Archiver, group_backlog
from pipeline.consumer import Consumer, ConsumerConfig
from pipeline.facts import Refs

STATUSES = ("received", "verified", "dispatched", "in_progress", "resolved")


@pytest.fixture
def refs(live_env) -> Refs:
    return Refs.from_files()


def sample_events(refs: Refs, n: int, *, tag: str, start: datetime | None = None) -> list:
    """n valid events of every kind (60 % traffic), ids unique per tag, 50 ms apart, all in the last hour."""
    rnd = random.Random(tag)
    cams, segs = sorted(refs.camera_unit), sorted(refs.segment_unit)
    units, areas, agencies = sorted(refs.units), sorted(refs.forest_areas), sorted(refs.agencies)
    start = start or datetime.now(UTC) - timedelta(minutes=30)
    out: list = []
    for i in range(n):
        base = {"event_id": f"{tag}-{i}", "ts": start + timedelta(milliseconds=50 * i)}
        slot = i % 10
        if slot < 6:
            speed = rnd.uniform(0, 60)
            out.append(TrafficReading(**base, segment_id=rnd.choice(segs), speed_kmh=speed, free_flow_kmh=60,
                                      congestion_level=rnd.randint(0, 4), confidence=0.9))  # fmt: skip
        elif slot == 6:
            out.append(CameraAlert(**base, camera_id=rnd.choice(cams), alert_type="crowding", severity="medium"))
        elif slot == 7:
            out.append(FireDanger(**base, unit_code=rnd.choice(units), level=rnd.randint(1, 5)))
        elif slot == 8:
            area = rnd.choice(areas)
            out.append(Hotspot(**base, lat=16.3, lon=107.5, confidence="high", source="viirs", area_id=area))
        else:
            c = i // 10
            out.append(ComplaintEvent(**base, complaint_id=f"{tag}-c{c % 7}", status=STATUSES[c % 5],
                                      category="waste", unit_code=rnd.choice(units), lat=16.46, lon=107.59,
                                      channel="hue_s", title="Rác thải", received_at=start,
                                      agency_code=rnd.choice(agencies)))  # fmt: skip
    return out


def expected_counts(events: list) -> dict[str, int]:
    return dict(Counter(schema.FACT_TABLES[e.kind].name for e in events))


def fact_counts(engine: Engine) -> dict[str, int]:
    """Rows per fact table, asserting along the way that no event id is stored twice."""
    out = {}
    with engine.connect() as conn:
        for table in schema.FACT_TABLES.values():
            rows, ids = conn.execute(select(func.count(), func.count(distinct(table.c.event_id)))).one()
            assert rows == ids, f"duplicate event ids in {table.name}"
            if rows:
                out[table.name] = rows
    return out


def wait_for(cond: Callable[[], object], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def drained(rds, k, *groups: str) -> bool:
    return all(group_backlog(rds, g, k=k) == (0, 0) for g in groups)


def test_arc001_valid_events_archived_once_and_projected(live_env, clean_facts, engine, rkeys, rds, refs):
    events = sample_events(refs, 500, tag="a")
    publish(rds, events, k=rkeys)
    arc = Archiver(k=rkeys, block_ms=100)
    arc.drain()

    assert fact_counts(engine) == expected_counts(events)
    assert drained(rds, rkeys, ARCHIVER, PROJECTOR)
    assert rds.xlen(rkeys.stream("deadletter")) == 0
    last = [e for e in events if e.kind == "traffic_reading"][-1]
    with engine.connect() as conn:
        row = conn.execute(select(schema.traffic_readings).where(schema.traffic_readings.c.event_id == last.event_id))
        row = row.mappings().one()
        snapshots = conn.execute(select(func.count()).select_from(schema.complaints)).scalar_one()
    assert row["unit_code"] == refs.segment_unit[last.segment_id]
    assert row["speed_kmh"] == pytest.approx(last.speed_kmh) and row["ts"] == last.ts
    assert snapshots == len({e.complaint_id for e in events if e.kind == "complaint"})
    # Current state: the newest reading of that segment, every camera that alerted, the hotspots.
    assert read_hash(rds, "traffic", k=rkeys)[last.segment_id]["event_id"] == last.event_id
    assert set(read_hash(rds, "camera", k=rkeys)) == {e.camera_id for e in events if e.kind == "camera_alert"}
    assert len(read_hotspots(rds, k=rkeys)) == sum(e.kind == "hotspot" for e in events)


def _traffic(refs: Refs, **override) -> bytes:
    body = {"event_id": "bad-x", "ts": "2026-01-01T00:00:00Z", "kind": "traffic_reading",
            "segment_id": sorted(refs.segment_unit)[0], "speed_kmh": 20, "free_flow_kmh": 50,
            "congestion_level": 2}  # fmt: skip
    body.update(override)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


# parsers=1: the same entries validated in a worker process, the PostgreSQL refusal re-parsed in this one.
@pytest.mark.parametrize("parsers", [0, 1], ids=["in-process", "parser-process"])
def test_arc002_malformed_entries_dead_lettered_with_reason(
    live_env, clean_facts, engine, rkeys, rds, refs, parsers
):  # fmt: skip
    camera = CameraAlert(event_id="ok-cam", ts=datetime.now(UTC), camera_id=sorted(refs.camera_unit)[0],
                         alert_type="face_match", severity="high")  # fmt: skip
    nul_plate = to_json(camera.model_copy(update={"event_id": "nul-plate", "plate": "43A\x0012345"})).encode()
    hotspot_nan = b'{"event_id":"nan-1","ts":"2026-01-01T00:00:00Z","kind":"hotspot","lat":NaN,"lon":107.5,'
    hotspot_nan += b'"confidence":"high","source":"viirs"}'
    bad = [  # (stream, payload, a fragment the reason must contain)
        ("traffic", b'{"event_id": "broken", "ts": ', "json"),
        ("traffic", _traffic(refs, event_id="no-speed", speed_kmh=None), "speed_kmh"),
        ("traffic", to_json(camera).encode(), "does not belong on stream"),
        ("camera", to_json(camera.model_copy(update={"camera_id": "CAM-NOPE"})).encode(), "unknown camera_id"),
        ("fire", hotspot_nan, "lat"),
        ("traffic", _traffic(refs, event_id="naive", ts="2026-01-01T00:00:00"), "timezone"),
        # NUL, which PostgreSQL text cannot hold, is refused by the contract itself (no control characters).
        ("camera", nul_plate, "U+0000"),
        # The fast path validates a one-kind stream with its model: "kind" must still be sent, refs still known.
        ("traffic", _traffic(refs, event_id="no-kind", kind=None), "discriminator"),
        ("traffic", _traffic(refs, event_id="no-seg", segment_id="SEG-NOPE"), "unknown segment_id"),
        ("complaint", to_json(camera.model_copy(update={"event_id": "cam-on-pa"})).encode(), "does not belong"),
    ]
    good = sample_events(refs, 200, tag="b")
    publish(rds, good[:100], k=rkeys)
    bad_ids = [publish_raw(rds, stream, [payload], k=rkeys)[0] for stream, payload, _ in bad]
    no_data_id = rds.xadd(rkeys.stream("complaint"), {b"payload": b"{}"}).decode()
    publish(rds, good[100:], k=rkeys)

    arc = Archiver(k=rkeys, block_ms=100, parsers=parsers)
    try:
        arc.drain()
    finally:
        arc.close()

    assert fact_counts(engine) == expected_counts(good)
    # Entry ids are per stream (two streams can hand out the same id), so a letter is keyed by both.
    letters = {(f[b"stream"].decode(), f[b"entry_id"].decode()): f for _, f in rds.xrange(rkeys.stream("deadletter"))}
    assert set(letters) == {*((s, i) for (s, _, _), i in zip(bad, bad_ids, strict=True)), ("complaint", no_data_id)}
    for entry_id, (stream, payload, fragment) in zip(bad_ids, bad, strict=True):
        letter = letters[stream, entry_id]
        assert letter[DATA_FIELD] == payload
        assert fragment.lower() in letter[b"reason"].decode().lower(), letter[b"reason"]
    assert letters["complaint", no_data_id][b"reason"].decode() == NO_DATA
    counts = {s.decode(): int(n) for s, n in rds.hgetall(rkeys.dead_letter_counts).items()}
    assert counts == dict(Counter([s for s, _, _ in bad] + ["complaint"]))
    assert arc.archive.dead_letters == len(bad) + 1
    # The projector only counts; it refuses exactly what the archiver dead-letters for the contract.
    assert arc.project.invalid == len(bad) + 1 and arc.project.applied == len(good)
    assert drained(rds, rkeys, ARCHIVER, PROJECTOR)


def test_arc003_redelivery_creates_no_duplicates(live_env, clean_facts, engine, rkeys, rds, refs):
    events = sample_events(refs, 400, tag="c")
    publish(rds, events, k=rkeys)
    arc = Archiver(k=rkeys, block_ms=100)
    arc.drain()
    expected = expected_counts(events)
    assert fact_counts(engine) == expected

    publish(rds, events[::-1], k=rkeys)  # the producer retried everything, newest first
    arc.drain()
    assert fact_counts(engine) == expected
    for stream in STREAMS:  # and the group is rewound to the beginning
        rds.xgroup_setid(rkeys.stream(stream), ARCHIVER, "0")
    arc.drain()
    assert fact_counts(engine) == expected
    assert arc.archive.written == 4 * len(events)  # 400 + 400 duplicates + 800 replayed entries
    with engine.connect() as conn:
        snapshots = dict(conn.execute(select(schema.complaints.c.complaint_id, schema.complaints.c.status)).all())
    newest = {e.complaint_id: e.status for e in events if e.kind == "complaint"}
    assert snapshots == newest  # replaying older steps never moved a complaint backwards
    assert drained(rds, rkeys, ARCHIVER, PROJECTOR)


def _entry_key(entry_id: bytes | str) -> tuple[int, int]:
    ms, seq = (entry_id.decode() if isinstance(entry_id, bytes) else entry_id).split("-")
    return int(ms), int(seq)


def _delivered(rds, k, published: dict[str, list[tuple[int, int]]]) -> int:
    """How many published entries the archiver group has been handed (works on Redis 6.2 and 7)."""
    total = 0
    for stream, ids in published.items():
        groups = rds.xinfo_groups(k.stream(stream)) if rds.exists(k.stream(stream)) else []
        last = [g["last-delivered-id"] for g in groups if g["name"] == ARCHIVER.encode()]
        total += bisect.bisect_right(ids, _entry_key(last[0])) if last else 0
    return total


def _pending_of(rds, k, consumer: str) -> int:
    return sum(
        c["pending"]
        for s in STREAMS
        for c in rds.xinfo_consumers(k.stream(s), ARCHIVER)
        if c["name"] == consumer.encode()
    )


@pytest.mark.slow
def test_arc004_kill_9_mid_batch_loses_nothing(live_env, clean_facts, engine, rkeys, rds, refs, tmp_path):
    rnd = random.Random(4)
    log_file = (tmp_path / "archiver.log").open("ab")
    command = [sys.executable, "-m", "pipeline.archiver", "--batch", "300", "--claim-idle", "1"]

    def start() -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stdout=log_file, stderr=subprocess.STDOUT)

    proc, published, in_flight_at_kill, helpers_left = start(), [], [], []
    entry_ids: dict[str, list[tuple[int, int]]] = {s: [] for s in STREAMS}
    try:
        for wave in range(5):
            events = sample_events(refs, 4000, tag=f"k{wave}")
            base = _delivered(rds, rkeys, entry_ids)
            for event, entry_id in zip(events, publish(rds, events, k=rkeys), strict=True):
                entry_ids[KIND_STREAM[event.kind]].append(_entry_key(entry_id))
            published += events
            if wave == 4:
                break
            # Kill at a random point of this wave's work: after some of it has been read, before all is done.
            target = base + rnd.randint(200, 3500)
            wait_for(lambda t=target: _delivered(rds, rkeys, entry_ids) >= t, timeout=30, what="the archiver to read")
            helpers = psutil.Process(proc.pid).children(recursive=True)  # its parser process(es)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            assert helpers, "the archiver runs its parser in a process of its own"
            helpers_left.append(_alive_after(helpers, timeout=10))
            in_flight_at_kill.append(_pending_of(rds, rkeys, f"{socket.gethostname()}-{proc.pid}"))
            proc = start()
        wait_for(lambda: drained(rds, rkeys, ARCHIVER, PROJECTOR), timeout=60, what="no pending and no lag")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0, "graceful stop on SIGTERM"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        log_file.close()

    assert any(in_flight_at_kill), f"no kill hit entries in flight: {in_flight_at_kill}"
    assert helpers_left == [[]] * 4, f"processes outlived their killed archiver: {helpers_left}"
    assert fact_counts(engine) == expected_counts(published)
    assert rds.xlen(rkeys.stream("deadletter")) == 0


def _alive_after(procs: list[psutil.Process], *, timeout: float) -> list[int]:
    """Pids among procs still running after up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    alive = procs
    while alive and time.monotonic() < deadline:
        time.sleep(0.2)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    return [p.pid for p in alive]


def test_arc010_parser_process_killed_mid_run_loses_nothing(live_env, clean_facts, engine, rkeys, rds, refs, caplog):
    caplog.set_level(logging.INFO, logger="data_sources")
    arc = Archiver(k=rkeys, block_ms=100, count=200, parsers=1)
    try:
        first_pids = set(arc.archive.pool.pids)
        assert len(first_pids) == 1
        events = sample_events(refs, 3000, tag="pk")
        publish(rds, events[:1500], k=rkeys)
        runner = threading.Thread(target=arc.run, args=([ARCHIVER],), daemon=True)
        runner.start()
        wait_for(lambda: arc.archive.written > 0, timeout=30, what="the first batches")
        os.kill(next(iter(first_pids)), signal.SIGKILL)  # as the OOM killer would
        publish(rds, events[1500:], k=rkeys)
        wait_for(lambda: drained(rds, rkeys, ARCHIVER), timeout=60, what="the archiver to catch up")
        arc.stop.set()
        runner.join(timeout=15)
        assert not runner.is_alive()
        assert fact_counts(engine) == expected_counts(events)
        assert rds.xlen(rkeys.stream("deadletter")) == 0
        assert arc.archive.pool.pids and not arc.archive.pool.pids & first_pids, "a new worker took over"
        assert any("parser" in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    finally:
        arc.stop.set()
        arc.close()


def test_arc005_projector_lives_through_postgres_outage(live_env, clean_facts, engine, rkeys, rds, refs, caplog):
    caplog.set_level(logging.INFO, logger="data_sources")
    down = Archiver(engine=get_engine("postgresql://postgres@127.0.0.1:1/closed"), k=rkeys, block_ms=100, name="pg-out")
    runner = threading.Thread(target=down.run, daemon=True)
    runner.start()
    published = []
    try:
        for wave in range(2):  # the state keeps advancing wave after wave
            events = sample_events(refs, 300, tag=f"e{wave}", start=datetime.now(UTC) - timedelta(minutes=10 - wave))
            publish(rds, events, k=rkeys)
            published += events
            last = [e for e in events if e.kind == "traffic_reading"][-1]
            wait_for(lambda e=last: read_hash(rds, "traffic", k=rkeys).get(e.segment_id, {}).get("event_id")
                     == e.event_id, timeout=15, what="the projector")  # fmt: skip
            # Nothing acked: what the archiver has read stays pending (its read-ahead is bounded), the rest lags.
            wait_for(lambda: group_backlog(rds, ARCHIVER, k=rkeys)[0] > 0, timeout=15, what="entries pending")
            pending, lag = group_backlog(rds, ARCHIVER, k=rkeys)
            assert lag is None or pending + lag == len(published)  # lag is None on Redis 6.2
        wait_for(lambda: down.consumers[ARCHIVER].stats.retries >= 3, timeout=15, what="retries")
        assert group_backlog(rds, PROJECTOR, k=rkeys) == (0, 0)
        assert fact_counts(engine) == {}
    finally:
        down.stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive()
    outage_lines = [r for r in caplog.records if "archiver store unavailable" in r.getMessage()]
    assert len(outage_lines) == 1, "one log line per outage, not per retry"

    # Same consumer name with a reachable database: it first re-reads its own pending entries.
    Archiver(k=rkeys, block_ms=100, name="pg-out").drain()
    assert fact_counts(engine) == expected_counts(published)
    assert drained(rds, rkeys, ARCHIVER, PROJECTOR)


def test_arc006_redis_outage_is_retried_and_logged_once(live_env, rkeys, caplog):
    caplog.set_level(logging.INFO, logger="data_sources")
    closed = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    consumer = Consumer(closed, _NeverCalled(), ConsumerConfig("never", block_ms=100), k=rkeys)
    runner = threading.Thread(target=consumer.run, daemon=True)
    runner.start()
    try:
        wait_for(lambda: consumer.stats.retries >= 3, timeout=15, what="retries against a closed port")
    finally:
        consumer.stop.set()
        runner.join(timeout=10)
    assert not runner.is_alive(), "stops on request even in the middle of an outage"
    assert consumer.stats.outages == 1 and consumer.stats.acked == 0
    assert len([r for r in caplog.records if "redis reads (never) unavailable" in r.getMessage()]) == 1


def test_arc007_batch_mixing_stored_and_new_ids_is_written_once(live_env, clean_facts, engine, rkeys, rds, refs):
    # The fast path COPYs without savepoints: one stored id fails the whole transaction, which must then
    # go again through the duplicate-tolerant path, new events included.
    first, second = sample_events(refs, 300, tag="m1"), sample_events(refs, 300, tag="m2")
    publish(rds, first, k=rkeys)
    arc = Archiver(k=rkeys, block_ms=100)
    arc.drain([ARCHIVER])
    publish(rds, [e for pair in zip(first[::2], second, strict=False) for e in pair] + second[150:], k=rkeys)
    arc.drain([ARCHIVER])
    assert fact_counts(engine) == expected_counts(first + second)
    assert rds.xlen(rkeys.stream("deadletter")) == 0
    assert group_backlog(rds, ARCHIVER, k=rkeys) == (0, 0)


def test_arc009_one_table_batches_refused_or_replayed(live_env, clean_facts, engine, rkeys, rds, refs):
    # A batch of one table (no complaints) is COPYed in autocommit: a stored id or a value PostgreSQL refuses
    # must still roll all of it back and send it through the tolerant, bisecting path.
    traffic = [e for e in sample_events(refs, 400, tag="t1") if e.kind == "traffic_reading"]
    publish(rds, traffic[:120], k=rkeys)
    arc = Archiver(k=rkeys, block_ms=100)
    arc.drain([ARCHIVER])
    publish(rds, traffic[60:], k=rkeys)  # 60 stored ids, then new ones, one stream only
    arc.drain([ARCHIVER])
    cameras = [e for e in sample_events(refs, 200, tag="t2") if e.kind == "camera_alert"]
    # A value the contract accepts but PostgreSQL refuses (the contract now refuses NUL, the old vehicle):
    # a CHECK added for this test only.
    refused = to_json(cameras[0].model_copy(update={"event_id": "t2-nul", "plate": "43A-REFUSED"})).encode()
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE camera_alerts ADD CONSTRAINT t_arc009 CHECK (plate <> '43A-REFUSED')"))
    try:
        publish(rds, cameras[:10], k=rkeys)
        nul_id = publish_raw(rds, "camera", [refused], k=rkeys)[0]
        publish(rds, cameras[10:], k=rkeys)
        arc.drain([ARCHIVER])
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE camera_alerts DROP CONSTRAINT t_arc009"))

    assert fact_counts(engine) == expected_counts(traffic + cameras)
    letters = rds.xrange(rkeys.stream("deadletter"))
    assert [(f[b"entry_id"].decode(), f[b"reason"].decode()[:24]) for _, f in letters] == [
        (nul_id, "rejected by PostgreSQL: ")
    ]
    assert group_backlog(rds, ARCHIVER, k=rkeys) == (0, 0)


class _FailingStore:
    """Fails its first `failures` handle() calls as a failed COMMIT would, checking the batch is still pending."""

    def __init__(self, rds: redis.Redis, k, failures: int) -> None:
        self.rds, self.k, self.failures = rds, k, failures
        self.calls, self.stored = 0, []
        self.unacked_at_failure: list[bool] = []

    def prepare(self, batch):
        return batch

    def _all_pending(self, prepared) -> bool:
        for batch in prepared:
            for stream, rows in batch.items():
                pending = self.rds.xpending_range(self.k.stream(stream), "flaky", min="-", max="+", count=100_000)
                if not {row[0] for row in rows} <= {p["message_id"] for p in pending}:
                    return False
        return True

    def handle(self, prepared):
        self.calls += 1
        if self.calls <= self.failures:
            self.unacked_at_failure.append(self._all_pending(prepared))
            raise RuntimeError("COMMIT failed: server closed the connection")
        self.stored += [row[0] for batch in prepared for rows in batch.values() for row in rows]
        return None


def test_arc008_failed_commit_in_pipelined_writer_acks_nothing(live_env, rkeys, rds, caplog):
    caplog.set_level(logging.INFO, logger="data_sources")
    for i in range(120):
        rds.xadd(rkeys.stream(STREAMS[i % 4]), {DATA_FIELD: f"{i}".encode()})
    store = _FailingStore(rds, rkeys, failures=3)
    cfg = ConsumerConfig("flaky", count=10, block_ms=100, prefetch=2, merge_max=30)
    consumer = Consumer(rds, store, cfg, k=rkeys)
    consumer.run(until_idle=True)

    assert store.unacked_at_failure == [True, True, True], "a batch whose commit failed was acked"
    assert consumer.stats.retries >= 3 and consumer.stats.outages == 1
    assert sorted(store.stored) == sorted(i for s in STREAMS for i, _ in rds.xrange(rkeys.stream(s)))
    assert consumer.stats.acked == 120
    assert all(rds.xpending(rkeys.stream(s), "flaky")["pending"] == 0 for s in STREAMS)
    assert len([r for r in caplog.records if "flaky store unavailable" in r.getMessage()]) == 1


class _NeverCalled:
    def prepare(self, batch):
        raise AssertionError("nothing can be read from a closed port")

    def handle(self, prepared):
        raise AssertionError("nothing can be read from a closed port")
