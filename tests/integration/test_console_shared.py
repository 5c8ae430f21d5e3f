"""Consoles under load: pulls shared per worker between known ids, audit rows of many consoles in one commit."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, select, text

from data_sources import console, reference
from data_sources import events as ev
from data_sources.core import streams
from data_sources.core.group_commit import GroupCommit
from data_sources.schema_auth import audit_log
from data_sources.viewer import Viewer

CAM = reference.load_files()["cameras"][0]["camera_id"]


def _alert(tag: str, **extra) -> ev.CameraAlert:
    return ev.CameraAlert(event_id=f"{tag}-{uuid.uuid4().hex[:8]}", ts=datetime.now(UTC), camera_id=CAM,
                          alert_type="fire_smoke", severity="critical", **extra)  # fmt: skip


def test_console_sh001_shared_pull_reads_once_up_to_the_known_ids(rds, rkeys, engine):
    cursor = console.snapshot(rds, k=rkeys)["cursor"]
    first = [_alert("sh-a") for _ in range(3)]
    streams.publish(rds, first, k=rkeys)
    until = console.heads(rds, k=rkeys)
    streams.publish(rds, [_alert("sh-late")], k=rkeys)  # after the ids the consoles were woken with

    one = console.shared_pull(rds, cursor, until, engine=engine, k=rkeys)
    two = console.shared_pull(rds, dict(cursor), dict(until), engine=engine, k=rkeys)
    assert two is one  # the second console got the first one's answer, not a second read
    assert [i["alert_id"] for i in one["items"]] == [a.event_id for a in first]
    assert one["cursor"]["camera"] == until["camera"] and one["states"] == {}
    # The late alert is in the next range, read from where the shared answer ended.
    rest = console.pull(rds, one["cursor"], k=rkeys)
    assert [i["alert_id"][:7] for i in rest["items"]] == ["sh-late"]


def test_console_sh002_shared_pull_carries_workflow_states(rds, rkeys, engine):
    from data_sources import alerts_workflow as wf

    cursor = console.snapshot(rds, k=rkeys)["cursor"]
    alert = _alert("sh-wf")
    streams.publish(rds, [alert], k=rkeys)
    assert wf.act(engine, viewer=Viewer(role="officer", username="t-sh"), alert_id=alert.event_id,
                  action="acknowledge", version=0).ok  # fmt: skip
    console.announce(rds, alert_id=alert.event_id, version=1, k=rkeys)
    got = console.shared_pull(rds, cursor, console.heads(rds, k=rkeys), engine=engine, k=rkeys)
    assert got["changed"] == [alert.event_id]
    assert got["states"][alert.event_id]["state"] == "acknowledged"


def test_console_sh003_masked_viewers_need_no_postgres(rds, rkeys):
    """A viewer who is not cleared is masked in Python: no transaction, so no pool checkout under load."""
    nowhere = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")  # would fail if used
    item = {"alert_id": "a1", "plate": "75A-123.45", "raw": {"plate": "75A-123.45"}}
    out = console.protect(nowhere, [item], viewer=Viewer(role="officer", username="t-masked"))
    assert out[0]["plate"] != "75A-123.45" and out[0]["raw"]["plate"] != "75A-123.45"


def test_console_sh004_cleared_views_are_audited_in_shared_commits(engine):
    """Forty consoles shown a plate at once: forty audit rows, committed before each answer, in fewer commits."""
    actor = f"t-group-{uuid.uuid4().hex[:6]}"
    viewer = Viewer(role="officer", username=actor, cleared_for_personal_data=True)
    item = {"alert_id": "plate-1", "plate": "75A-123.45", "raw": {"plate": "75A-123.45"}}
    group = GroupCommit()
    slow = threading.Event()

    def first_job(conn):  # holds the first transaction open so the others queue behind it
        conn.execute(text("SELECT pg_sleep(0.3)"))
        slow.set()
        return "first"

    seen: list[bool] = []

    def console_view() -> None:
        rows = group.run(engine, lambda conn: console.privacy.protect_rows(
            conn, viewer, [item], subject="console_alert", id_field="alert_id"))  # fmt: skip
        with engine.connect() as conn:  # committed by the time the caller has its rows
            n = conn.execute(select(audit_log.c.audit_id).where(audit_log.c.actor == actor)).all()
        seen.append(rows[0]["plate"] == "75A-123.45" and len(n) >= 1)

    leader = threading.Thread(target=lambda: group.run(engine, first_job))
    leader.start()
    time.sleep(0.05)
    threads = [threading.Thread(target=console_view) for _ in range(40)]
    for th in threads:
        th.start()
    for th in (leader, *threads):
        th.join(30)
    assert slow.is_set() and seen == [True] * 40
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.detail).where(audit_log.c.actor == actor)).all()
    assert len(rows) == 40 and all(r.detail["ids"] == ["plate-1"] for r in rows)
    assert group.jobs == 41 and group.transactions < 10


def test_console_sh005_a_failed_group_fails_its_callers_and_the_next_one_works(engine):
    group = GroupCommit()

    def broken(conn):
        conn.execute(text("SELECT 1/0"))

    try:
        group.run(engine, broken)
    except Exception as exc:  # noqa: BLE001 - any database error is the point
        assert "division by zero" in str(exc)
    else:
        raise AssertionError("the failing job returned")
    assert group.run(engine, lambda conn: conn.execute(text("SELECT 41 + 1")).scalar()) == 42
