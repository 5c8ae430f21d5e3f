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
        (ANNA, "assign", {"assignee": "CA-HUE"}),
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
    assert trail[1]["after"]["assignee"] == "CA-HUE"
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

    from data_sources import console, reference, streams
    from data_sources import events as ev

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
