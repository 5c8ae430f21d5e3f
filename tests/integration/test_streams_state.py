"""Streams and current state on a real Redis: publish, cursor reads, guarded state, dead letters, freshness."""

from __future__ import annotations

import json
from datetime import timedelta

from data_sources import events as ev
from data_sources import reference, state
from data_sources.core import streams
from pipeline.state import StateWriter
from tests import factories as f


def _unit() -> str:
    return reference.load_files()["units"][0]["code"]


def test_publish_then_read_after_cursor_returns_every_event_in_order(rds, rkeys):
    batch = [f.traffic(i) for i in range(250)]
    ids = streams.publish(rds, batch, k=rkeys)
    assert len(ids) == 250
    seen, cursor = [], "0"
    while True:
        entries, cursor = streams.read_after(rds, "traffic", cursor, count=100, k=rkeys)
        if not entries:
            break
        seen += [ev.parse_event("traffic", e.data) for e in entries]
    assert seen == batch
    assert streams.last_id(rds, "traffic", k=rkeys) == ids[-1]


def test_streams_are_capped(rds, rkeys, monkeypatch):
    from data_sources.core.settings import get_settings

    monkeypatch.setenv("STREAM_MAXLEN", "100")
    get_settings.cache_clear()
    streams.publish(rds, [f.traffic(i) for i in range(2000)], k=rkeys)
    # MAXLEN ~ trims whole macro-nodes, so a little over the cap is allowed, never unbounded.
    assert rds.xlen(rkeys.stream("traffic")) < 300


def test_state_keeps_the_newest_event_per_key_even_when_older_ones_arrive_later(rds, rkeys):
    writer = StateWriter(rds, rkeys)
    newer = f.traffic(1, speed=10.0, ts=f.T0 + timedelta(minutes=5))
    older = f.traffic(2, speed=38.0, ts=f.T0)
    writer.apply([newer])
    writer.apply([older])
    now = state.read_hash(rds, "traffic", k=rkeys)
    assert now["SEG-0001"]["event_id"] == newer.event_id


def test_closed_complaint_leaves_the_open_set_and_a_late_older_step_does_not_reopen_it(rds, rkeys):
    unit = _unit()
    writer = StateWriter(rds, rkeys)
    writer.apply([f.complaint(0, unit_code=unit), f.complaint(1, status="dispatched", unit_code=unit)])
    assert state.read_hash(rds, "complaints", k=rkeys)["PA-000001"]["status"] == "dispatched"
    writer.apply([f.complaint(5, status="resolved", unit_code=unit, result="Đã thay bóng đèn")])
    assert "PA-000001" not in state.read_hash(rds, "complaints", k=rkeys)
    writer.apply([f.complaint(3, status="in_progress", unit_code=unit)])  # delayed, older than "resolved"
    assert "PA-000001" not in state.read_hash(rds, "complaints", k=rkeys)


def test_camera_offline_then_online(rds, rkeys):
    writer = StateWriter(rds, rkeys)
    writer.apply([f.camera(0, alert_type="camera_offline", severity="low", plate=None)])
    assert set(state.read_hash(rds, "camera_offline", k=rkeys)) == {"CAM-0001"}
    writer.apply([f.camera(1, alert_type="camera_online", severity="low", plate=None)])
    assert state.read_hash(rds, "camera_offline", k=rkeys) == {}


def test_recent_hotspots_are_kept_and_old_ones_expire(rds, rkeys):
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    writer = StateWriter(rds, rkeys)
    writer.apply([f.hotspot(0, ts=now - timedelta(hours=1)), f.hotspot(1, ts=now - timedelta(days=3))])
    assert [h["event_id"] for h in state.read_hotspots(rds, k=rkeys)] == ["t-hs-0"]
    assert state.state_sizes(rds, k=rkeys)["hotspots"] == 1


def test_dead_letter_keeps_the_payload_and_reason_and_counts(rds, rkeys):
    entry = streams.Entry("camera", "1-1", b'{"kind": "camera_alert"')
    streams.dead_letter(rds, entry, "payload: Invalid JSON", k=rkeys)
    [(_, fields)] = rds.xrange(rkeys.stream("deadletter"))
    assert fields[b"data"] == entry.data
    assert fields[b"reason"] == b"payload: Invalid JSON"
    assert fields[b"stream"] == b"camera"
    assert int(rds.hget(rkeys.dead_letter_counts, "camera")) == 1


def test_stream_stats_report_age_of_newest_entry(rds, rkeys):
    stats = streams.stream_stats(rds, k=rkeys)
    assert stats["fire"]["age_seconds"] is None and stats["fire"]["length"] == 0
    streams.publish(rds, [f.danger(unit_code=_unit())], k=rkeys)
    stats = streams.stream_stats(rds, k=rkeys)
    assert stats["fire"]["length"] == 1
    assert 0 <= stats["fire"]["age_seconds"] < 5


def test_published_payload_is_the_documented_json(rds, rkeys):
    event = f.camera()
    streams.publish(rds, [event], k=rkeys)
    [(_, fields)] = rds.xrange(rkeys.stream("camera"))
    assert json.loads(fields[b"data"])["kind"] == "camera_alert"
