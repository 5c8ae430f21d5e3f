"""The console workflow in PostgreSQL: transitions, audit rows, and exactly one winner when two officers collide."""

from __future__ import annotations

import threading
import uuid

import pytest

from data_sources import alerts_workflow as wf
from data_sources.viewer import Viewer

ANNA = Viewer(role="officer", username="t-anna")
BINH = Viewer(role="officer", username="t-binh")


def _alert() -> str:
    return f"cam-test-{uuid.uuid4().hex[:10]}"


def test_console_wf001_full_lifecycle_writes_one_audit_row_per_change(engine):
    alert = _alert()
    steps = [
        (ANNA, "acknowledge", {"comment": "đang xem camera"}),
        (ANNA, "assign", {"assignee": "agency:CA-TP"}),
        (BINH, "escalate", {"comment": "cần hỗ trợ"}),
        (BINH, "resolve", {"outcome": "đã xử lý tại chỗ"}),
        (ANNA, "reopen", {"comment": "tái diễn"}),
    ]
    version = 0
    for viewer, action, extra in steps:
        out = wf.act(engine, viewer=viewer, alert_id=alert, action=action, version=version, **extra)
        assert out.ok, (action, out)
        assert out.state["version"] == version + 1
        version = out.state["version"]
    assert wf.states(engine, alert_ids=[alert])[alert]["state"] == "reopened"
    trail = wf.trail(engine, alert_id=alert)
    assert [r["action"] for r in trail] == [a for _, a, _ in steps]
    assert [(r["before"]["state"], r["after"]["state"]) for r in trail] == [
        ("new", "acknowledged"),
        ("acknowledged", "assigned"),
        ("assigned", "escalated"),
        ("escalated", "resolved"),
        ("resolved", "reopened"),
    ]
    assert trail[0]["actor"] == "t-anna" and trail[0]["comment"] == "đang xem camera"
    assert trail[1]["after"]["assignee"] == "agency:CA-TP"
    assert trail[3]["after"]["outcome"] == "đã xử lý tại chỗ"


def test_console_wf002_stale_version_is_told_who_won(engine):
    alert = _alert()
    assert wf.act(engine, viewer=ANNA, alert_id=alert, action="acknowledge", version=0, comment="mine").ok
    late = wf.act(engine, viewer=BINH, alert_id=alert, action="acknowledge", version=0, comment="no, mine")
    assert not late.ok and late.conflict_by == "t-anna" and late.state["state"] == "acknowledged"
    assert len(wf.trail(engine, alert_id=alert)) == 1  # the loser wrote nothing


@pytest.mark.parametrize("version", [0, 1])
def test_console_wf003_simultaneous_actions_exactly_one_wins(engine, version):
    """Many threads act on the same version at once (first touch = INSERT, later = UPDATE): one row changes."""
    alert = _alert()
    if version:
        assert wf.act(engine, viewer=ANNA, alert_id=alert, action="acknowledge", version=0).ok
    barrier, results = threading.Barrier(8), []
    action = "acknowledge" if version == 0 else "escalate"

    def go(i: int) -> None:
        viewer = Viewer(role="officer", username=f"t-officer-{i}")
        barrier.wait()
        results.append(wf.act(engine, viewer=viewer, alert_id=alert, action=action, version=version))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    winners = [r for r in results if r.ok]
    assert len(winners) == 1
    winner = winners[0].state["updated_by"]
    assert all(r.conflict_by == winner for r in results if not r.ok)
    assert len(wf.trail(engine, alert_id=alert)) == 1 + version


def test_console_wf004_invalid_transitions_and_roles_are_refused(engine):
    alert = _alert()
    with pytest.raises(wf.InvalidAction):
        wf.act(engine, viewer=ANNA, alert_id=alert, action="reopen", version=0)
    with pytest.raises(PermissionError):
        wf.act(engine, viewer=Viewer(role="wall", username="w"), alert_id=alert, action="acknowledge", version=0)
    assert wf.states(engine, alert_ids=[alert]) == {}


def test_console_wf005_queue_snapshot_then_cursor_pulls_lose_nothing(rds, rkeys):
    """A burst longer than one pull arrives over several pulls (`more`), each alert once, none lost."""
    from datetime import UTC, datetime

    from data_sources import console, reference
    from data_sources import events as ev
    from data_sources.core import streams

    cam = reference.load_files()["cameras"][0]["camera_id"]

    def alert(i: int, severity: str = "critical") -> ev.CameraAlert:
        kind = "fire_smoke" if severity == "critical" else "crowding"
        return ev.CameraAlert(event_id=f"burst-{i}-{uuid.uuid4().hex[:6]}", ts=datetime.now(UTC), camera_id=cam,
                              alert_type=kind, severity=severity)  # fmt: skip

    streams.publish(rds, [alert(0), alert(1, "low")], k=rkeys)
    snap = console.snapshot(rds, k=rkeys)
    assert [i["alert_id"][:7] for i in snap["items"]] == ["burst-0"]  # a low crowding alert needs nobody
    burst = [alert(i) for i in range(2, 25)]
    streams.publish(rds, burst, k=rkeys)
    cursor, seen, rounds = snap["cursor"], [], 0
    while True:
        got = console.pull(rds, cursor, k=rkeys, count=5)
        seen += [i["alert_id"] for i in got["items"]]
        cursor, rounds = got["cursor"], rounds + 1
        if not got["more"]:
            break
    assert seen == [a.event_id for a in burst] and rounds >= 5
    assert console.pull(rds, cursor, k=rkeys)["items"] == []


def _fire(unit: str, level: int, at, tag: str):
    from data_sources import events as ev

    return ev.FireDanger(event_id=f"fd-{tag}-{uuid.uuid4().hex[:6]}", ts=at, unit_code=unit, level=level)


def _write(engine, events) -> None:
    from pipeline import facts

    with engine.begin() as conn:
        facts.write_events(conn, events, facts.Refs.from_files())


def test_console_wf010_queue_from_postgres_open_work_beyond_the_stream(engine, clean_facts):
    """Open camera alerts, hotspots, fire rises and due/overdue/urgent complaints come from PostgreSQL; resolved,
    old, quiet and not-yet-due ones do not."""
    from datetime import UTC, datetime, timedelta

    from data_sources import console_history, reference
    from tests import factories as f

    now = datetime.now(UTC)
    units = [u["code"] for u in reference.load_files()["units"]]
    cam = reference.load_files()["cameras"][3]["camera_id"]
    tag = uuid.uuid4().hex[:6]
    plate = f.camera(1, camera_id=cam, ts=now - timedelta(days=3), plate="75A-111.11")
    plate = plate.model_copy(update={"event_id": f"pg-plate-{tag}"})
    done = f.camera(2, camera_id=cam, ts=now - timedelta(days=2), alert_type="face_match", severity="critical")
    done = done.model_copy(update={"event_id": f"pg-done-{tag}"})
    quiet = f.camera(3, camera_id=cam, ts=now - timedelta(hours=1), alert_type="crowding", severity="medium")
    old = f.camera(4, camera_id=cam, ts=now - timedelta(days=10)).model_copy(update={"event_id": f"pg-old-{tag}"})
    spot = f.hotspot(5, ts=now - timedelta(days=1)).model_copy(update={"event_id": f"pg-hs-{tag}"})
    h = lambda n: now - timedelta(hours=n)  # noqa: E731
    a, b = units[0], units[1]
    fires = [_fire(a, 3, h(6), "a3"), _fire(a, 4, h(5), "a4"), _fire(a, 4, h(4), "a4b"), _fire(a, 5, h(3), "a5"),
             _fire(a, 3, h(2), "a3b"), _fire(a, 4, h(1), "a4c"), _fire(b, 4, h(1), "b4")]  # fmt: skip
    pa = lambda i, **kw: f.complaint(i, complaint_id=f"PA-{tag}-{i}", unit_code=a, ts=h(1), received_at=h(30), **kw)  # noqa: E731
    complaints = [
        pa(1, urgent=True, deadline=now + timedelta(days=4)),  # urgent
        pa(2, deadline=now + timedelta(hours=10)),  # due within 24 h
        pa(3, deadline=now - timedelta(hours=2)),  # overdue
        pa(4, deadline=now + timedelta(days=3)),  # not yet: out
        pa(5, status="resolved", deadline=now - timedelta(hours=5), result="đã sửa"),  # closed: out
    ]
    _write(engine, [plate, done, quiet, old, spot, *fires, *complaints])
    assert wf.act(engine, viewer=ANNA, alert_id=done.event_id, action="resolve", version=0, outcome="ok").ok

    items = {i["alert_id"]: i for i in console_history.open_items(engine)}
    assert plate.event_id in items and items[plate.event_id]["raw"]["plate"] == "75A-111.11"
    assert done.event_id not in items and old.event_id not in items and quiet.event_id not in items
    assert items[spot.event_id]["type"] == "hotspot"
    rises = sorted((i["raw"]["event_id"][:6], i["type"]) for i in items.values() if i["kind"] == "fire_danger")
    assert rises == [("fd-a4-", "fire_level_4"), ("fd-a4c", "fire_level_4"), ("fd-a5-", "fire_level_5"),
                     ("fd-b4-", "fire_level_4")]  # fmt: skip
    got = {i["alert_id"]: i["type"] for i in items.values() if i["kind"] == "complaint"}
    assert got == {f"complaint:PA-{tag}-1": "complaint_urgent", f"complaint:PA-{tag}-2": "complaint_due",
                   f"complaint:PA-{tag}-3": "complaint_overdue"}  # fmt: skip
    assert len(console_history.open_items(engine, limit=1)) <= 4  # bounded per kind
    merged = console_history.merge([items[plate.event_id]], [{**items[plate.event_id], "raw": {"from": "stream"}}])
    assert merged == [{**items[plate.event_id], "raw": {"from": "stream"}}]


def test_console_wf011_stream_fire_rise_compares_with_the_previous_level(engine, clean_facts, rds, rkeys):
    """Previous level: earlier in the window, else the current state (if older), else PostgreSQL."""
    from datetime import UTC, datetime, timedelta

    from data_sources import console, reference
    from data_sources.core import streams
    from pipeline.state import StateWriter

    now = datetime.now(UTC)
    m = lambda n: now - timedelta(minutes=n)  # noqa: E731
    a, b, c, d = (u["code"] for u in reference.load_files()["units"][:4])
    _write(engine, [_fire(a, 4, m(120), "pa"), _fire(b, 4, m(120), "pb")])
    StateWriter(rds, rkeys).apply([_fire(b, 3, m(60), "sb")])  # not archived: PostgreSQL still says IV
    steady, rose = _fire(a, 4, m(1), "a"), _fire(b, 4, m(1), "b")
    window = [_fire(c, 3, m(3), "c3"), _fire(c, 4, m(2), "c4"), _fire(c, 4, m(1), "c4b")]
    streams.publish(rds, [steady, rose, *window], k=rkeys)
    snap = console.snapshot(rds, engine=engine, k=rkeys)
    queued = {i["alert_id"] for i in snap["items"]}
    assert queued == {rose.event_id, window[1].event_id}

    StateWriter(rds, rkeys).apply([_fire(d, 4, m(1), "sd")])
    again, up = _fire(d, 4, now, "d4"), _fire(c, 5, now, "c5")
    streams.publish(rds, [again, up], k=rkeys)
    got = console.pull(rds, snap["cursor"], engine=engine, k=rkeys)
    assert [i["alert_id"] for i in got["items"]] == [up.event_id]


def test_console_wf012_workflow_changes_reach_other_consoles_through_the_pull(rds, rkeys):
    from data_sources import console

    snap = console.snapshot(rds, k=rkeys)
    assert console.heads(rds, k=rkeys)["workflow"] == snap["cursor"]["workflow"] == "0"
    first = console.announce(rds, alert_id="a-1", version=1, k=rkeys)
    console.announce(rds, alert_id="a-2", version=1, k=rkeys)
    console.announce(rds, alert_id="a-1", version=2, k=rkeys)
    assert console.heads(rds, k=rkeys)["workflow"] > first
    got = console.pull(rds, snap["cursor"], k=rkeys)
    assert got["changed"] == ["a-1", "a-2"] and got["items"] == []
    assert console.pull(rds, got["cursor"], k=rkeys)["changed"] == []


def test_console_wf013_assign_only_to_an_agency_or_an_officer_from_the_picklist(engine, accounts):
    people = wf.assignees(engine)
    values = {p["value"] for p in people}
    assert "agency:CA-TP" in values and "officer:t-officer" in values
    assert not any(v.endswith(":t-admin") or v.endswith(":t-dept-head") for v in values)  # officers only
    alert = _alert()
    with pytest.raises(wf.InvalidAction):
        wf.act(engine, viewer=ANNA, alert_id=alert, action="assign", version=0, assignee="someone typed this")
    out = wf.act(engine, viewer=ANNA, alert_id=alert, action="assign", version=0, assignee="officer:t-officer")
    assert out.ok and out.state["assignee"] == "officer:t-officer"


def test_console_wf014_closed_complaint_leaves_the_queue(rds, rkeys):
    from datetime import UTC, datetime, timedelta

    from data_sources import console, console_history, reference
    from data_sources.core import streams
    from tests import factories as f

    now, unit = datetime.now(UTC), reference.load_files()["units"][0]["code"]
    cid = f"PA-{uuid.uuid4().hex[:8]}"
    step = lambda i, status, **kw: f.complaint(i, complaint_id=cid, status=status, unit_code=unit,  # noqa: E731
                                               ts=now - timedelta(minutes=10 - i), received_at=now, **kw)  # fmt: skip
    opened = step(1, "received", urgent=True).model_copy(update={"event_id": f"{cid}-1"})
    streams.publish(rds, [opened], k=rkeys)
    snap = console.snapshot(rds, k=rkeys)
    assert [i["alert_id"] for i in snap["items"]] == [f"complaint:{cid}"] and snap["gone"] == []
    closed = step(2, "resolved", urgent=True, result="đã xử lý").model_copy(update={"event_id": f"{cid}-2"})
    streams.publish(rds, [closed], k=rkeys)
    got = console.pull(rds, snap["cursor"], k=rkeys)
    assert got["items"] == [] and got["gone"] == [f"complaint:{cid}"]
    # A fresh console: the stream saw it close, so an (older) open row from PostgreSQL does not come back.
    fresh = console.snapshot(rds, k=rkeys)
    assert fresh["items"] == [] and fresh["gone"] == [f"complaint:{cid}"]
    assert console_history.merge(snap["items"], fresh["items"], fresh["gone"]) == []
