"""Source health on real servers: liveness apart from data, quiet is not down, /healthz, /livez, /readyz, loading."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from data_sources import events as ev
from data_sources import health, liveness, reference
from data_sources.core import streams
from data_sources.core.connections import reset_connections
from data_sources.core.settings import get_settings
from data_sources.events import STREAMS
from pipeline.demo.live import TICK, LiveFeed, run_live

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ingest"
SEED = 20251123


def _entries(rds, rkeys) -> list[tuple[str, bytes]]:
    """(event_id, payload) of every entry of the four streams."""
    out = []
    for name in STREAMS:
        for _, fields in rds.xrange(rkeys.stream(name)):
            out.append((json.loads(fields[streams.DATA_FIELD])["event_id"], fields[streams.DATA_FIELD]))
    return out


def test_sh001_demo_feed_never_publishes_an_event_twice_unless_it_changed(rds, rkeys):
    """Fifteen simulated minutes of the real feed against real Redis, driven tick by tick with a synthetic clock.

    The old feed re-published the latest event of a stream quiet for 4 s (same id, same content): a camera
    event 53 times in five minutes. Now an id may come again only as a later version (a lifecycle step).
    """
    t0 = datetime(2026, 6, 20, 2, 0, tzinfo=UTC).timestamp()  # 09:00 in Huế: office hours, traffic, alerts
    feed = LiveFeed(rds, rate=1.0, accel=1.0, seed=SEED, now=t0)
    t = t0
    while t < t0 + 15 * 60:
        t += 1.0
        feed.publish(feed.tick(t, 1.0), t)
    entries = _entries(rds, rkeys)
    repeats = Counter(entries)
    assert len(entries) > 1000, len(entries)  # the feed did run: traffic alone is one reading a minute a segment
    twice = [(eid, n) for (eid, _), n in repeats.items() if n > 1]
    assert not twice, f"{len(twice)} events re-sent unchanged, e.g. {twice[:3]}"
    by_id = Counter(eid for eid, _ in entries)
    for eid, n in by_id.items():
        if n > 1:  # same id again: only with new content (e.g. a complaint's next status)
            assert len({payload for e, payload in entries if e == eid}) == n, eid


def test_sh002_demo_feed_reports_itself_alive_apart_and_says_when_it_stopped(rds, rkeys):
    stop = threading.Event()
    threading.Timer(2.0, stop.set).start()
    run_live(rds, rate=1.0, accel=1.0, seed=SEED, stop_event=stop)
    reports = liveness.snapshot(rds, k=rkeys)["streams"]
    # Stopped: every stream's producer said so at once (no waiting for the report to expire).
    assert {name: (s["liveness"], s["producer"], s["state"]) for name, s in reports.items()} == {
        name: ("down", "demo", "down") for name in STREAMS
    }
    raw = {f.decode(): json.loads(v) for f, v in rds.hgetall(liveness.liveness_key(rkeys)).items()}
    assert set(raw) == {f"{name}:demo" for name in STREAMS}
    assert all(v["last_ok"] is not None and v["ttl"] > 0 for v in raw.values())


def _reading(ts: datetime, event_id: str = "tr-old-1") -> ev.TrafficReading:
    seg = reference.load_files()["road_segments"][0]["segment_id"]
    return ev.TrafficReading(
        event_id=event_id, ts=ts, segment_id=seg, speed_kmh=30, free_flow_kmh=40, congestion_level=1
    )


def _alert(ts: datetime) -> ev.CameraAlert:
    cam = reference.load_files()["cameras"][0]["camera_id"]
    return ev.CameraAlert(event_id=f"ca-q-{int(ts.timestamp())}", ts=ts, camera_id=cam, alert_type="crowding",
                          severity="low")  # fmt: skip


def test_sh003_a_source_whose_liveness_stopped_is_down_though_old_entries_keep_arriving(rds, rkeys):
    now = time.time()
    liveness.report(rds, STREAMS, producer="test", ttl=10, now=now - 60, k=rkeys)  # its last word: a minute ago
    old = _reading(datetime.now(UTC) - timedelta(minutes=30))
    for _ in range(5):  # a replaying producer: the same old event, entries arriving right now
        streams.publish(rds, [old], k=rkeys)
    stats = streams.stream_stats(rds, k=rkeys)
    assert stats["traffic"]["age_seconds"] < 5  # by entry arrival (the old rule) it looked fresh
    traffic = liveness.snapshot(rds, k=rkeys)["streams"]["traffic"]
    assert (traffic["state"], traffic["reason"]) == ("down", "liveness_expired")
    assert traffic["data_age_seconds"] >= 29 * 60  # judged on the event's own time
    # Even a producer that is alive cannot make re-sent old data look new: traffic is late for its cadence.
    liveness.report(rds, ["traffic"], producer="poller", ttl=7200, now=now - 3600, k=rkeys)  # alive for an hour
    liveness.report(rds, ["traffic"], producer="poller", ttl=60, k=rkeys)
    assert liveness.snapshot(rds, k=rkeys)["streams"]["traffic"]["state"] == "late"


def _quiet_city(rds, rkeys) -> None:
    """Every producer alive; cameras last alerted two hours ago, fire never spoke, traffic fresh, one report 1 h ago."""
    now = datetime.now(UTC)
    liveness.report(rds, STREAMS, producer="test", ttl=120, k=rkeys)
    streams.publish(rds, [_alert(now - timedelta(hours=2)), _reading(now, "tr-now-1")], k=rkeys)
    unit = reference.load_files()["units"][0]["code"]
    complaint = ev.ComplaintEvent(
        event_id="pa-q-1", ts=now - timedelta(hours=1), complaint_id="PA-Q-1", status="received", category="waste",
        unit_code=unit, lat=16.46, lon=107.59, channel="web", title="Rác", received_at=now - timedelta(hours=1),
        deadline=now + timedelta(days=3),
    )  # fmt: skip
    streams.publish(rds, [complaint], k=rkeys)


def test_sh004_quiet_but_alive_sources_are_not_down_on_healthz_overview_or_wall(rds, rkeys, auth_client):
    from callbacks.home import refresh_cards
    from callbacks.wall import health as wall_health

    _quiet_city(rds, rkeys)
    assert auth_client(None).get("/healthz").get_json() == {"status": "ok", "degraded": []}
    detailed = auth_client("officer").get("/healthz").get_json()
    states = {name: detailed["redis"]["streams"][name]["state"] for name in STREAMS}
    assert states == {"camera": "quiet", "traffic": "ok", "fire": "quiet", "complaint": "quiet"}

    with auth_client(None).application.test_request_context("/"):
        cards, _ = refresh_cards(1)
    shown = {c.id: c.to_plotly_json()["props"]["data-status"] for c in cards[:4]}
    assert shown == {f"home-card-{name}": s for name, s in states.items()}

    data, _children, class_name = wall_health(1, {"lang": "en"})
    assert data["states"] == states and class_name == "wall-banner hidden"
    assert data["streams"]["fire"] is None and data["streams"]["camera"] < time.time() - 7000


def test_sh005_a_source_the_adapter_cannot_reach_is_down_on_the_wall_and_in_healthz(rds, rkeys, auth_client):
    from callbacks.wall import health as wall_health

    _quiet_city(rds, rkeys)
    liveness.report(rds, ["fire"], producer="firms", ok=False, detail="FIRMS poll failed: HTTP 503", ttl=60, k=rkeys)
    liveness.forget(rds, "fire", "test", k=rkeys)
    assert auth_client(None).get("/healthz").get_json() == {"status": "degraded", "degraded": ["fire"]}
    data, children, class_name = wall_health(1, {"lang": "en"})
    assert data["states"]["fire"] == "down" and class_name == "wall-banner banner-stale banner-source-down"
    assert "Source down: Forest fire." in str(children)


def test_sh006_healthz_is_200_degraded_when_postgres_is_unreachable_and_probes_tell_apart(
    rds, rkeys, auth_client, monkeypatch
):
    _quiet_city(rds, rkeys)
    client = auth_client(None)
    real_db, real_redis = get_settings().database_url, get_settings().redis_url
    try:
        monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/test")  # nothing listens there
        get_settings.cache_clear()
        reset_connections()
        response = client.get("/healthz")
        assert (response.status_code, response.get_json()) == (200, {"status": "degraded", "degraded": ["postgres"]})
        assert not health.report()["postgres"]["ok"]
        assert client.get("/readyz").status_code == 200  # the live path works: keep the walls in
        assert client.get("/livez").get_json() == {"status": "alive"}

        monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
        get_settings.cache_clear()
        reset_connections()
        response = client.get("/healthz")
        assert (response.status_code, response.get_json()["status"]) == (503, "down")
        ready = client.get("/readyz")
        assert (ready.status_code, ready.get_json()["status"]) == (503, "unavailable")
        assert client.get("/livez").status_code == 200  # the process answers: no restart would help
    finally:
        monkeypatch.setenv("DATABASE_URL", real_db)
        monkeypatch.setenv("REDIS_URL", real_redis)
        get_settings.cache_clear()
        reset_connections()
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_sh007_while_the_first_backfill_runs_everything_says_history_is_loading(rds, rkeys, auth_client):
    from callbacks.home import refresh_cards
    from callbacks.wall import health as wall_health

    # Written the way pipeline.demo.backfill writes it: day 3 of 10 (+1 for the final state) done.
    liveness.write_progress(rds, phase="history", done=3, total=10, started=time.time() - 40, k=rkeys)
    assert auth_client(None).get("/healthz").get_json() == {
        "status": "loading", "degraded": [], "loading": {"percent": 30.0},
    }  # fmt: skip
    with auth_client(None).application.test_request_context("/"):
        cards, _ = refresh_cards(1)
    text = str([c.to_plotly_json() for c in cards])
    assert "đang nạp (30 %)" in text and "Mất kết nối" not in text
    assert {c.to_plotly_json()["props"]["data-status"] for c in cards[:4]} == {"loading"}
    data, children, class_name = wall_health(1, {"lang": "en"})
    assert set(data["states"].values()) == {"loading"} and class_name == "wall-banner banner-loading"
    assert "Loading history (30 %)" in str(children)

    liveness.write_progress(rds, phase="done", done=10, total=10, started=time.time() - 90, k=rkeys)
    assert auth_client(None).get("/healthz").get_json()["status"] == "loading"  # the feed is starting
    rds.hset(liveness.progress_key(rkeys), "updated", time.time() - 60)  # ... and had its time to report
    assert auth_client(None).get("/healthz").get_json() == {
        "status": "degraded",
        "degraded": list(STREAMS),
    }  # fmt: skip  (nothing feeds this prefix: once loaded, the truth is that every source is down)


def test_sh008_ingest_reports_liveness_on_a_file_and_on_each_poll(rds, rkeys, monkeypatch):
    from pipeline.ingest.__main__ import main
    from pipeline.ingest.fetch import SourceError, poll

    assert main(["firms", str(FIXTURES / "firms_viirs_noaa20_area.csv")]) == 0
    fire = liveness.snapshot(rds, k=rkeys)["streams"]["fire"]
    assert (fire["liveness"], fire["producer"]) == ("alive", "firms")
    stored = json.loads(rds.hget(liveness.liveness_key(rkeys), "fire:firms"))
    assert stored["ttl"] == get_settings().liveness_file_seconds

    calls = []

    def step() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise SourceError("HTTP 503")

    seen = []
    poll(step, interval_s=0.01, stop=threading.Event(), max_polls=2, what="test poll",
         alive=lambda ok, detail, ttl: seen.append((ok, detail, ttl)))  # fmt: skip
    assert [(ok, "503" in detail) for ok, detail, _ in seen] == [(True, False), (False, True)]
    assert all(ttl > 0.01 for *_, ttl in seen)


@pytest.mark.parametrize("dt", [TICK])
def test_sh009_demo_fire_bulletin_is_published_again_daily_as_a_new_event(rds, rkeys, dt):
    t0 = datetime(2026, 6, 20, 2, 0, tzinfo=UTC).timestamp()
    feed = LiveFeed(rds, rate=1.0, accel=1.0, seed=SEED, now=t0)
    first = [e for e in feed.tick(t0, dt) if e.kind == "fire_danger"]
    assert first
    unit = first[0].unit_code
    feed.fire[unit] = first[0].model_copy(update={"ts": first[0].ts - timedelta(days=1, seconds=1)})
    again = [e for e in feed.tick(t0 + 1, dt) if e.kind == "fire_danger"]
    assert [e.unit_code for e in again] == [unit] and again[0].event_id != first[0].event_id
