"""The plausible-time contract at the door, readers that survive rows stored before it, and one row per event id."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from data_sources import console, console_history, db, live, wall_history
from data_sources.core.streams import publish, publish_raw
from data_sources.events import CameraAlert, TrafficReading, to_json
from data_sources.state import read_hash, read_hotspots
from pipeline.archiver import Archiver
from pipeline.facts import Refs
from pipeline.state import StateWriter

FAR = "9999-12-31T23:59:59-07:00"
YEAR1 = "0001-01-01T00:00:00+07:00"


@pytest.fixture
def refs(live_env) -> Refs:
    return Refs.from_files()


def _reading(refs: Refs, seg: str, ts: datetime, speed: float, event_id: str) -> TrafficReading:
    return TrafficReading(event_id=event_id, ts=ts, segment_id=seg, speed_kmh=speed, free_flow_kmh=50.0,
                          congestion_level=0 if speed > 40 else 3)  # fmt: skip


def _alert(refs: Refs, i: int, **kw) -> CameraAlert:
    fields = {"event_id": f"ctr-cam-{i}", "ts": datetime.now(UTC), "alert_type": "crowding", "severity": "high"}
    return CameraAlert(camera_id=sorted(refs.camera_unit)[i], **(fields | kw))


def _raw(event, **override) -> bytes:
    return json.dumps(json.loads(to_json(event)) | override).encode()


def test_ctr001_year0001_9999_and_epoch_are_dead_lettered_and_state_console_health_stay_right(
    live_env, clean_facts, engine, rkeys, rds, refs, auth_client
):
    seg = sorted(refs.segment_unit)[0]
    now = datetime.now(UTC)
    good_reading = _reading(refs, seg, now - timedelta(seconds=30), 45.0, "ctr1-good")
    good_alert = _alert(refs, 0, severity="critical", ts=now - timedelta(seconds=20))
    hostile = [
        ("traffic", _raw(_reading(refs, seg, now, 5.0, "ctr1-year1"), ts=YEAR1), "before 2000-01-01"),
        ("traffic", _raw(_reading(refs, seg, now, 5.0, "ctr1-far"), ts=FAR), "ahead of the receiver's clock"),
        ("camera", _raw(_alert(refs, 1, event_id="ctr1-epoch"), ts=int(now.timestamp())), "not a number"),
    ]
    ids = [publish_raw(rds, stream, [payload], k=rkeys)[0] for stream, payload, _ in hostile]
    publish(rds, [good_reading, good_alert], k=rkeys)
    arc = Archiver(k=rkeys, block_ms=100)
    try:
        arc.drain()
    finally:
        arc.close()

    letters = {(f[b"stream"].decode(), f[b"entry_id"].decode()): f[b"reason"].decode()
               for _, f in rds.xrange(rkeys.stream("deadletter"))}  # fmt: skip
    for entry_id, (stream, _, fragment) in zip(ids, hostile, strict=True):
        assert fragment in letters[stream, entry_id], letters
    # The state holds the valid reading (the 9999 one would have pinned the segment for ever).
    assert read_hash(rds, "traffic", k=rkeys)[seg]["event_id"] == "ctr1-good"
    # The console shows the valid alert and nothing of the refused ones.
    items = console.snapshot(rds, engine=engine, k=rkeys)["items"]
    assert [i["alert_id"] for i in items] == [good_alert.event_id]
    # History and /healthz: nothing implausible got into PostgreSQL; the history part answers.
    summary = db.history_summary(engine)
    assert all(d["implausible"] == 0 for d in summary.values())
    body = auth_client("officer").get("/healthz").get_json()
    assert body["status"] != "down" and body["postgres"]["ok"], body


def test_ctr002_a_far_future_reading_stored_before_does_not_hide_the_valid_one(live_env, rkeys, rds, refs):
    seg = sorted(refs.segment_unit)[1]
    # Stored before the contract, as the old projector wrote it: value and its time, 9999-12-31.
    far = {"event_id": "old-far", "ts": FAR, "kind": "traffic_reading", "segment_id": seg, "speed_kmh": 3.0,
           "free_flow_kmh": 50.0, "congestion_level": 4, "confidence": 1.0, "source": "sensor"}  # fmt: skip
    rds.hset(rkeys.state("traffic"), seg, json.dumps(far))
    rds.hset(rkeys.state_ts("traffic"), seg, repr(datetime.fromisoformat(FAR).timestamp()))
    far_hotspot = {"event_id": "old-far-hs", "ts": FAR, "kind": "hotspot", "lat": 16.3, "lon": 107.5,
                   "confidence": "high", "source": "VIIRS"}  # fmt: skip
    rds.zadd(rkeys.state("hotspots"), {json.dumps(far_hotspot): datetime.fromisoformat(FAR).timestamp()})
    # What a wall reads now: the far-future values are skipped, not drawn (and not crashed on).
    present = live.read_current_state(rds, k=rkeys)
    assert seg not in {t["segment_id"] for t in present["traffic"]} and present["hotspots"] == []
    cursor = live.cursor_now(rds, k=rkeys)

    valid = _reading(refs, seg, datetime.now(UTC) - timedelta(seconds=5), 44.0, "ctr2-valid")
    publish(rds, [valid], k=rkeys)
    pulled = live.pull(rds, cursor, k=rkeys)
    # The wall's pull keeps it (the held 9999 time does not make it look superseded)...
    assert [e["event_id"] for e in pulled.events] == ["ctr2-valid"]
    StateWriter(rds, rkeys).apply([valid])
    # ... and the projector stores it: the current state and what a fresh wall loads show the valid reading.
    assert read_hash(rds, "traffic", k=rkeys)[seg]["event_id"] == "ctr2-valid"
    assert {t["segment_id"]: t["event_id"] for t in live.read_current_state(rds, k=rkeys)["traffic"]}[seg] == (
        "ctr2-valid"
    )
    # The future-dated hotspot left the set, and the skips were counted.
    assert read_hotspots(rds, k=rkeys) == [] and rds.zcard(rkeys.state("hotspots")) == 0
    assert int(rds.hget(rkeys.implausible_counts, "wall:state")) >= 1


def test_ctr003_year0001_rows_already_stored_do_not_empty_the_console_or_zero_history(
    live_env, clean_facts, engine, rkeys, rds, refs
):
    cam, unit = sorted(refs.camera_unit)[2], sorted(refs.units)[0]
    now = datetime.now(UTC)
    good = _alert(refs, 2, alert_type="fire_smoke", severity="critical", ts=now - timedelta(minutes=3))
    with engine.begin() as conn:
        rows = [("old-y1", YEAR1), ("old-far", FAR), ("old-good", (now - timedelta(days=3)).isoformat()),
                ("old-good2", (now - timedelta(minutes=10)).isoformat())]  # fmt: skip
        for event_id, ts in rows:
            conn.execute(
                text("INSERT INTO camera_alerts (event_id, ts, camera_id, unit_code, alert_type, severity) "
                     "VALUES (:e, CAST(:ts AS timestamptz), :c, :u, 'fire_smoke', 'critical')"),
                {"e": event_id, "ts": ts, "c": cam, "u": refs.camera_unit[cam]},
            )  # fmt: skip
        conn.execute(
            text("INSERT INTO complaints (complaint_id, status, category, unit_code, channel, lat, lon, title,"
                 " description, urgent, received_at, deadline, updated_at) VALUES ('PA-OLD', 'received', 'waste',"
                 " :u, 'web', 16.46, 107.59, 'Rác', '', true, CAST(:y1 AS timestamptz), CAST(:y1 AS timestamptz),"
                 " CAST(:y1 AS timestamptz))"),
            {"u": unit, "y1": YEAR1},
        )  # fmt: skip
        conn.execute(
            text("INSERT INTO fire_danger (event_id, ts, unit_code, level) VALUES ('old-fd-far', CAST(:ts AS"
                 " timestamptz), :u, 5), ('old-fd-y1', CAST(:y1 AS timestamptz), :u, 5)"),
            {"ts": FAR, "y1": YEAR1, "u": unit},
        )  # fmt: skip
    # The same in Redis: a year-0001 alert on the stream (written around the archiver) and in the state.
    publish_raw(rds, "camera", [_raw(good, event_id="old-stream-y1", ts=YEAR1)], k=rkeys)
    rds.hset(rkeys.state("camera"), cam, _raw(good, event_id="old-state-y1", ts=YEAR1))
    publish(rds, [good], k=rkeys)

    summary = db.history_summary(engine)
    assert summary["camera"]["implausible"] == 2 and summary["camera"]["days"] == pytest.approx(3.0, abs=0.1)
    history = console_history.open_items(engine)
    assert {i["alert_id"] for i in history} == {"old-good", "old-good2"}
    snap = console.snapshot(rds, engine=engine, k=rkeys)
    assert [i["alert_id"] for i in snap["items"]] == [good.event_id]
    merged = {i["alert_id"] for i in console_history.merge(history, snap["items"])}
    assert merged == {"old-good", "old-good2", good.event_id}
    assert live.read_current_state(rds, k=rkeys)["camera"] == []
    # The wall's sparklines read the last hour: the 9999 rows are no minute of it (nor a crash).
    series = wall_history.read_last_hour(engine, now=now)
    assert sum(series["alerts"]) == 1 and series["fire"] == [0] * wall_history.MINUTES
    assert int(rds.hget(rkeys.implausible_counts, "console")) >= 1


def test_ctr004_the_same_event_fifty_times_reaches_the_wall_and_the_console_once(live_env, rkeys, rds, refs):
    from ui.wall_updates import shared_update

    now = datetime.now(UTC)
    same = _alert(refs, 3, event_id="ctr4-same", alert_type="fire_smoke", severity="critical")
    others = [_alert(refs, 4 + i, event_id=f"ctr4-other-{i}", ts=now) for i in range(3)]
    start, start_console = live.cursor_now(rds, k=rkeys), {**live.cursor_now(rds, k=rkeys), "workflow": "0"}
    publish_raw(rds, "camera", [to_json(same).encode()] * 25, k=rkeys)
    publish(rds, others, k=rkeys)
    first = live.pull(rds, start, k=rkeys)
    assert sorted(e["event_id"] for e in first.events) == sorted(["ctr4-same", *(o.event_id for o in others)])
    # A later batch of 25 more copies (cross-batch): nothing new for the wall, nor for the console.
    publish_raw(rds, "camera", [to_json(same).encode()] * 25, k=rkeys)
    second = live.pull(rds, first.cursor, k=rkeys)
    assert second.events == []
    update = shared_update(rkeys.prefix, first.cursor, second.cursor, "vi", 30)
    assert update.patch is None  # no ticker row, no layer change
    # The shared renderer over the whole range: one row for the event, the others beside it.
    whole = shared_update(rkeys.prefix, start, second.cursor, "vi", 30)
    prepended = [
        o["params"]["value"][0] for o in whole.patch.to_plotly_json()["operations"] if o["operation"] == "Prepend"
    ]
    assert sorted(prepended) == sorted(["ctr4-same", *(o.event_id for o in others)])
    # The console: one queue item for it, and none from the later copies.
    got = console.pull(rds, start_console, k=rkeys)
    assert [i["alert_id"] for i in got["items"]].count("ctr4-same") == 1
    later = console.pull(rds, {**first.cursor, "workflow": "0"}, k=rkeys)
    assert later["items"] == []


def test_ctr005_a_newer_version_replaces_and_an_older_copy_changes_nothing(live_env, rkeys, rds, refs):
    now = datetime.now(UTC) - timedelta(seconds=30)
    v1 = _alert(refs, 8, event_id="ctr5-v", severity="medium", ts=now, updated_at=now + timedelta(seconds=1))
    v2 = v1.model_copy(update={"severity": "critical", "updated_at": now + timedelta(seconds=9)})
    v0 = v1.model_copy(update={"severity": "low", "updated_at": now})  # an older version, re-sent late
    start = live.cursor_now(rds, k=rkeys)
    publish(rds, [v1], k=rkeys)
    a = live.pull(rds, start, k=rkeys)
    publish(rds, [v2], k=rkeys)
    b = live.pull(rds, a.cursor, k=rkeys)
    # The newer version comes with the version it replaces, so the page's row is swapped, not doubled.
    assert [e["severity"] for e in b.events] == ["critical"]
    assert json.loads(b.events[0]["replaces"])["severity"] == "medium"
    publish(rds, [v0, v1], k=rkeys)
    assert live.pull(rds, b.cursor, k=rkeys).events == []
    # The current state: the newest version stays, whatever copies the projector sees after it.
    writer = StateWriter(rds, rkeys)
    writer.apply([v1, v2, v0, v1])
    assert read_hash(rds, "camera", k=rkeys)[v1.camera_id]["severity"] == "critical"
    # The console, reading the stream from the start: one item, the newest version.
    items = console.pull(rds, {**start, "workflow": "0"}, k=rkeys)["items"]
    assert [(i["alert_id"], i["severity"]) for i in items] == [("ctr5-v", "critical")]
