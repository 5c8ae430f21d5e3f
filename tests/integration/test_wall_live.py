"""The wall's data layer on a real Redis (and PostgreSQL for history): pulls, snapshots, wake-ups, KPIs."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from data_sources import live, wall_history
from data_sources.core import streams
from data_sources.core.connections import get_blocking_redis
from pipeline import state
from tests import factories as f

UNIT = "19768"


def _now(i: int = 0) -> datetime:
    return datetime.now(UTC) + timedelta(milliseconds=i)


def _publish(rds, rkeys, batch) -> None:
    streams.publish(rds, batch, k=rkeys)
    state.StateWriter(rds, rkeys).apply(batch)


def test_pull_reads_every_stream_after_the_cursor_in_arrival_order(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    assert cursor == {"camera": "0", "traffic": "0", "fire": "0", "complaint": "0"}
    _publish(rds, rkeys, [f.traffic(1, ts=_now()), f.camera(2, ts=_now(1)), f.danger(3, unit_code=UNIT, ts=_now(2))])
    got = live.pull(rds, cursor, k=rkeys)
    assert [e["event_id"] for e in got.events] == ["t-tr-1", "t-cam-2", "t-fd-3"]
    assert not got.more and not got.resync
    assert live.pull(rds, got.cursor, k=rkeys).events == []


def test_pulled_events_are_public_no_plate_or_name_leaves_the_data_layer(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    _publish(rds, rkeys, [f.camera(1, ts=_now(), alert_type="face_match", person_name="Nguyễn Văn A")])
    (event,) = live.pull(rds, cursor, k=rkeys).events
    assert "plate" not in event and "person_name" not in event and "watchlist" not in event
    assert event["severity"] == "high" and isinstance(event["ts"], float)


def test_a_burst_larger_than_one_pull_is_read_in_several_and_nothing_is_lost(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    streams.publish(rds, [f.traffic(i, ts=_now(i), segment_id="SEG-0002") for i in range(250)], k=rkeys)
    seen, more = [], True
    while more:
        got = live.pull(rds, cursor, count=100, k=rkeys)
        seen += [e["event_id"] for e in got.events]
        cursor, more = got.cursor, got.more
    assert seen == [f"t-tr-{i}" for i in range(250)]


def test_an_old_backlog_asks_for_a_resync(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    streams.publish(rds, [f.traffic(i, ts=_now(i)) for i in range(5)], k=rkeys)
    later = time.time() + live.RESYNC_AFTER_SECONDS + 5
    assert live.pull(rds, cursor, count=5, now=later, k=rkeys).resync


def test_invalid_entries_are_skipped(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    streams.publish_raw(rds, "camera", [b"not json", b'{"kind": "camera_alert"}'], k=rkeys)
    got = live.pull(rds, cursor, k=rkeys)
    assert got.events == [] and got.cursor["camera"] != "0"


def test_a_late_complaint_step_never_reopens_a_closed_report(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    closed = f.complaint(2, status="resolved", unit_code=UNIT, ts=_now(1000))
    late = f.complaint(1, status="in_progress", unit_code=UNIT, ts=_now())
    _publish(rds, rkeys, [closed])
    _publish(rds, rkeys, [late])  # arrives after, happened before
    assert [e["status"] for e in live.pull(rds, cursor, k=rkeys).events] == ["resolved"]


def test_snapshot_has_the_present_and_the_newest_alerts_up_to_its_cursor(rds, rkeys):
    _publish(rds, rkeys, [f.camera(1, ts=_now()), f.traffic(2, ts=_now()), f.hotspot(3, ts=_now())])
    snap = live.snapshot(rds, k=rkeys)
    assert [e["event_id"] for e in snap["recent"]] == ["t-cam-1", "t-hs-3"]  # alerts: camera and fire streams
    assert snap["traffic"][0]["segment_id"] == "SEG-0001" and len(snap["hotspots"]) == 1
    assert snap["cursor"]["fire"] != "0" and "plate" not in snap["camera"][0]


def test_wait_for_change_wakes_once_per_burst_and_times_out_quietly(rds, rkeys):
    rb = get_blocking_redis()
    last = live.cursor_now(rb, k=rkeys)
    assert live.wait_for_change(rb, last, block_ms=50, k=rkeys) == ([], last)
    threading.Timer(0.05, lambda: streams.publish(rds, [f.traffic(i, ts=_now(i)) for i in range(200)], k=rkeys)).start()
    wake_ups, changed = 0, ["traffic"]
    while changed:  # each wake-up jumps to the newest id: a burst costs one or two, never one per entry
        changed, last = live.wait_for_change(rb, last, block_ms=300 if wake_ups else 2000, k=rkeys)
        wake_ups += bool(changed)
    assert 1 <= wake_ups <= 3
    assert last["traffic"] == live.cursor_now(rds, k=rkeys)["traffic"]


def test_summarize_counts_what_the_tiles_show(rds, rkeys):
    now = datetime.now(UTC)
    _publish(rds, rkeys, [
        f.camera(1, ts=now, camera_id="CAM-0001", alert_type="crowding", severity="low"),
        f.camera(2, ts=now - timedelta(hours=3), camera_id="CAM-0002", alert_type="crowding"),
        f.camera(3, ts=now, camera_id="CAM-0003", alert_type="camera_offline", severity="low"),
        f.traffic(4, ts=now, segment_id="SEG-0001", speed=2.0),
        f.traffic(5, ts=now, segment_id="SEG-0002", speed=39.0),
        f.traffic(6, ts=now - timedelta(hours=1), segment_id="SEG-0003", speed=2.0),
        f.danger(7, unit_code=UNIT, level=4, ts=now),
        f.complaint(8, complaint_id="PA-1", unit_code=UNIT, ts=now, deadline=now - timedelta(hours=1)),
        f.complaint(9, complaint_id="PA-2", unit_code=UNIT, ts=now, deadline=now + timedelta(days=1)),
    ])  # fmt: skip
    summary = live.summarize(live.read_current_state(rds, k=rkeys), now=now.timestamp(), alert_window_s=3600)
    assert summary["alerts"] == 1 and summary["alerts_by_kind"] == {"crowding": 1} and summary["offline"] == 1
    assert summary["congestion"] == 0.5 and summary["segments_reporting"] == 2
    assert summary["fire_high"] == 1 and summary["open"] == 2 and summary["overdue"] == 1


# ------------------------------------------------ history on PostgreSQL (pure parts: unit/test_wall_series.py)


def test_last_hour_reads_postgres(engine, clean_facts):
    from pipeline import facts

    now = datetime.now(UTC)
    batch = [f.camera(i, ts=now - timedelta(minutes=2), camera_id="CAM-0001") for i in range(3)]
    batch.append(f.traffic(10, ts=now - timedelta(minutes=1), speed=1.0))
    with engine.begin() as conn:
        facts.write_events(conn, batch, facts.Refs.from_files())
    history = wall_history.read_last_hour(engine, now=now)
    assert len(history["alerts"]) == 60 and history["alerts"][-3] == 3 and sum(history["alerts"]) == 3
    assert history["congestion"][-2] == 1.0 and history["congestion"][0] is None
    assert history["on_time"] is None and history["on_time_n"] == 0


def test_push_stream_says_ready_then_changed_with_the_ids_and_pings_when_quiet(rds, rkeys, live_env):
    import json

    from server.live_feed import ChangeFeed
    from server.push import wake_ups

    # Bound to the URL, not to the environment: the feed thread outlives the test by up to one block and must
    # not find REDIS_URL already unset by the fixture teardown.
    feed = ChangeFeed(lambda: get_blocking_redis(live_env["REDIS_URL"]), rkeys, block_ms=100)
    stream, other = wake_ups(feed, seconds=60, ping=0.3), wake_ups(feed, seconds=60, ping=0.3)
    assert next(stream).startswith("retry:") and next(other).startswith("retry:")
    ready = next(stream)
    assert ready.startswith("event: ready") and json.loads(ready.split("data: ")[1])["traffic"] == "0"
    assert next(other).startswith("event: ready")
    assert next(stream) == "event: ping\ndata: 1\n\n"
    ids = streams.publish(rds, [f.traffic(1, ts=_now())], k=rkeys)
    for s in (stream, other):  # one XREAD in the feed, every stream told
        changed = _news(s)
        assert changed.startswith("event: changed") and json.loads(changed.split("data: ")[1])["traffic"] == ids[0]
    stream.close()
    other.close()
    assert feed._readers == 0


def test_a_pull_range_stops_at_until_so_every_wall_woken_by_one_message_reads_the_same_entries(rds, rkeys):
    cursor = live.cursor_now(rds, k=rkeys)
    first = streams.publish(rds, [f.traffic(1, ts=_now()), f.traffic(2, ts=_now(1))], k=rkeys)
    streams.publish(rds, [f.traffic(3, ts=_now(2))], k=rkeys)
    got = live.pull(rds, cursor, until={"traffic": first[-1]}, k=rkeys)
    assert [e["event_id"] for e in got.events] == ["t-tr-1", "t-tr-2"] and got.cursor["traffic"] == first[-1]


def _news(stream) -> str:
    """The stream's next message other than a ping (on a busy machine a ping may come before a change is seen)."""
    for message in stream:
        if not message.startswith("event: ping"):
            return message
    raise AssertionError("the stream ended with nothing but pings")


def _alert(i: int):
    """A camera alert (with a plate the wall must never show) on a real camera, a different one for each i."""
    from data_sources import reference

    cameras = reference.load_files()["cameras"]
    return f.camera(i, ts=_now(i), camera_id=cameras[i % len(cameras)]["camera_id"])


def test_push_stream_sends_each_change_ready_made_in_a_chain_the_page_can_check(rds, rkeys, live_env):
    import json

    from server.live_feed import ChangeFeed
    from server.push import wake_ups
    from ui.wall_updates import update_renderer

    feed = ChangeFeed(lambda: get_blocking_redis(live_env["REDIS_URL"]), rkeys, block_ms=100)
    render = update_renderer(rkeys.prefix, {"lang": "en", "ticker": "5"})
    # The stream's own end is not under test: a minute, so a slow moment on a busy machine cannot end it early.
    stream = wake_ups(feed, seconds=60, ping=0.5, render=render)
    assert next(stream).startswith("retry:")
    ready = next(stream)
    assert ready.startswith("event: ready")  # the first message is a plain wake-up: the page catches up by pulling
    start = json.loads(ready.split("data: ")[1])
    first = _alert(1)
    _publish(rds, rkeys, [first])
    update = _news(stream)
    assert update.startswith("event: update"), update
    body = json.loads(update.split("data: ")[1])
    assert body["from"] == start and body["to"]["camera"] != start["camera"]
    ops = body["live"]["operations"]
    rows = [op["params"]["value"] for op in ops if op["operation"] == "Prepend"]
    assert [r[0] for r in rows] == [first.event_id] and "75A-123.45" not in update  # public fields only
    assert any(op["location"][:2] == ["cameras", first.camera_id] for op in ops)
    # A burst: every change follows on from the one before, so a page applying them in turn misses nothing.
    ids = []
    for i in range(2, 8):
        alert = _alert(i)
        ids.append(alert.event_id)
        _publish(rds, rkeys, [alert])
    seen, last = [], body["to"]
    while len(seen) < len(ids):
        message = next(stream, None)
        assert message is not None, f"the stream ended with {len(seen)} of {len(ids)} changes sent"
        if message.startswith("event: ping"):
            continue
        assert message.startswith("event: update"), message
        body = json.loads(message.split("data: ")[1])
        assert body["from"] == last
        last = body["to"]
        seen += [op["params"]["value"][0] for op in body["live"]["operations"] if op["operation"] == "Prepend"]
    assert seen == ids
    stream.close()


def test_a_push_stream_still_hears_changes_after_the_feed_thread_ended_under_it(rds, rkeys, live_env):
    from server.live_feed import ChangeFeed
    from server.push import wake_ups

    calls: list[int] = []

    def client():
        calls.append(1)
        if len(calls) == 1:  # ends the reading thread without an outage to report (as a torn-down setting does)
            raise RuntimeError("REDIS_URL is not set")
        return get_blocking_redis(live_env["REDIS_URL"])

    feed = ChangeFeed(client, rkeys, block_ms=100)
    stream = wake_ups(feed, seconds=30, ping=0.2)
    assert next(stream).startswith("retry:")

    assert _news(stream).startswith("event: ready") and len(calls) >= 2  # only pings: nothing restarted it
    alert = _alert(1)
    _publish(rds, rkeys, [alert])
    assert _news(stream).startswith("event: changed")
    stream.close()


def test_an_update_is_computed_once_per_process_however_many_walls_ask_at_once(rds, rkeys, monkeypatch):
    from ui import wall_updates as wall

    since = live.cursor_now(rds, k=rkeys)
    _publish(rds, rkeys, [_alert(i) for i in range(20)])
    until = live.cursor_now(rds, k=rkeys)
    calls, real = [], live.pull

    def counting(*args, **kwargs):
        calls.append(1)
        time.sleep(0.2)  # slow enough that every thread asks while the first is still reading
        return real(*args, **kwargs)

    monkeypatch.setattr(live, "pull", counting)
    got: list = []
    threads = [
        threading.Thread(target=lambda: got.append(wall.shared_update(rkeys.prefix, since, until, "vi", 30)))
        for _ in range(25)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(calls) == 1 and len(got) == 25 and all(g is got[0] for g in got)
    assert got[0].cursor == until and not got[0].more
    prepends = [op for op in got[0].patch.to_plotly_json()["operations"] if op["operation"] == "Prepend"]
    assert len(prepends) == 20
    # Another language is another answer (ticker rows are text), read from the range already read.
    assert wall.shared_update(rkeys.prefix, since, until, "en", 30) is not got[0] and len(calls) == 1


def test_current_state_is_read_once_per_few_seconds_and_kept_as_one_entry_per_prefix(rds, rkeys, live_env):
    _publish(rds, rkeys, [f.traffic(1, ts=_now())])
    first = live.current_state(prefix=rkeys.prefix)
    assert live.current_state(prefix=rkeys.prefix) is first and len(first["traffic"]) == 1
    _publish(rds, rkeys, [f.traffic(2, ts=_now(1), segment_id="SEG-0002")])
    at, value = live._STATES[rkeys.prefix]
    live._STATES[rkeys.prefix] = (at - live.STATE_SECONDS, value)  # as if the figures were 4 s old
    again = live.current_state(prefix=rkeys.prefix)
    assert again is not first and len(again["traffic"]) == 2
    assert list(live._STATES).count(rkeys.prefix) == 1 and len(live._STATES) <= 8
