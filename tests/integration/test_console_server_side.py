"""The server decides what a console action acts on: alerts are looked up by id, unknown ids write nothing, and the
detail panel shows the server's copy of an alert, never what the browser sent (through the real callback endpoint)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_sources import alerts_workflow as wf
from data_sources import console_lookup, reference
from data_sources.core import streams
from data_sources.core.streams import Keys
from tests import factories as f
from tests.auth_helpers import callback_body, csrf_header, ensure_started
from ui import console_rows, ids
from ui.i18n import t

UNKNOWN = "nonexistent-alert-123"
FORGED = "75Z-999.99"  # a plate only the browser ever sent


@pytest.fixture
def app(ioc_app, rkeys):
    ensure_started(ioc_app)
    return ioc_app


def _key(app, output: str) -> str:
    return next(k for k, e in app.callback_map.items() if output in k and e.get("callback") is not None)


def _rows(engine, alert_id: str) -> tuple[int, int]:
    """(workflow rows, audit rows) of one alert id."""
    with engine.connect() as conn:
        flow = conn.execute(select(func.count()).where(wf.console_alert.c.alert_id == alert_id)).scalar()
        audit = conn.execute(select(func.count()).where(wf.console_alert_audit.c.alert_id == alert_id)).scalar()
    return flow, audit


def _act(app, client, row: dict, action: str = "acknowledge", comment: str | None = "kiểm tra"):
    key = _key(app, f"{ids.CONSOLE_MESSAGE}.children")
    body = callback_body(
        app,
        key,
        {
            (ids.console_action(action), "n_clicks"): 1,
            (ids.CONSOLE_GRID, "selectedRows"): [row],
            (ids.CONSOLE_COMMENT, "value"): comment,
            (ids.CONSOLE_CONFIG, "data"): {"lang": "en"},
        },
    )
    body["changedPropIds"] = [f"{ids.console_action(action)}.n_clicks"]
    return client.post("/_dash-update-component", json=body, headers=csrf_header(client))


def _detail(app, client, row: dict):
    key = _key(app, f"{ids.CONSOLE_DETAIL}.children")
    body = callback_body(
        app, key, {(ids.CONSOLE_GRID, "selectedRows"): [row], (ids.CONSOLE_CONFIG, "data"): {"lang": "en"}}
    )
    return client.post("/_dash-update-component", json=body, headers=csrf_header(client))


def _browser_row(alert_id: str, **extra) -> dict:
    """A whole grid row as the browser holds it (what a replayed callback sends), with a forged raw event."""
    raw = {"kind": "camera_alert", "camera_id": "CAM-0001", "plate": FORGED, "note": "sent by the browser"}
    item = {"alert_id": alert_id, "event_id": alert_id, "severity": "critical", "ts": datetime.now(UTC).timestamp(),
            "kind": "camera_alert", "type": "plate_watchlist", "plate": FORGED, "lat": 16.46, "lon": 107.59,
            "raw": raw}  # fmt: skip
    return {**console_rows.grid_row(item, None, lang="en", units={}), **extra}


def _message(response) -> str:
    return response.get_json()["response"][ids.CONSOLE_MESSAGE]["children"]


def _camera_alert(rds, rkeys: Keys, *, plate: str = "75A-123.45"):
    cam = reference.load_files()["cameras"][5]["camera_id"]
    alert = f.camera(1, camera_id=cam, ts=datetime.now(UTC), plate=plate)
    alert = alert.model_copy(update={"event_id": f"srv-{uuid.uuid4().hex[:10]}"})
    streams.publish(rds, [alert], k=rkeys)
    return alert


def test_console_srv001_unknown_alert_id_is_refused_and_writes_nothing(app, auth_client, engine):
    """The replay from the issue: acknowledge "nonexistent-alert-123" with a made-up raw event."""
    client = auth_client("officer")
    row = _browser_row(UNKNOWN)
    response = _act(app, client, row)
    assert response.status_code == 200, response.text
    assert _message(response) == t("console.unknown", "en")
    assert _rows(engine, UNKNOWN) == (0, 0)  # no workflow row, no audit row
    # Each action, and an id of another shape, is refused the same way.
    for action in ("escalate", "resolve"):
        assert _message(_act(app, client, {**row, "alert_id": "complaint:NO-SUCH"}, action)) == t(
            "console.unknown", "en"
        )
    assert _rows(engine, "complaint:NO-SUCH") == (0, 0)


def test_console_srv002_known_alert_is_acted_on_from_the_server_copy(app, auth_client, engine, rds, rkeys):
    alert = _camera_alert(rds, rkeys)
    client = auth_client("officer")
    # The browser's row lies about everything but the id and the version it saw.
    row = _browser_row(alert.event_id, lat=1.0, lon=2.0)
    response = _act(app, client, row)
    assert response.status_code == 200, response.text
    assert _message(response) == t("console.done", "en", action=t("console.act.acknowledge", "en"))
    assert _rows(engine, alert.event_id) == (1, 1)
    got = response.get_json()["response"]
    new_row = got[ids.CONSOLE_GRID]["selectedRows"][0]
    assert new_row["raw"]["plate"] == "75A-123.45" and new_row["lat"] != 1.0  # the server's copy
    assert FORGED not in json.dumps(got)
    # The version seen still guards against a double action (a stale second click is a conflict, not a write).
    again = _act(app, client, row)
    assert "t-officer" in _message(again) and _rows(engine, alert.event_id) == (1, 1)


def test_console_srv003_detail_panel_shows_the_server_copy_not_the_sent_raw(app, auth_client, rds, rkeys):
    alert = _camera_alert(rds, rkeys)
    officer, masked = auth_client("officer"), auth_client("officer_masked")
    row = _browser_row(alert.event_id)
    text = _detail(app, officer, row).text
    assert FORGED not in text and "sent by the browser" not in text
    assert "75A-123.45" in text  # cleared officer: the server's event, in the clear
    text = _detail(app, masked, row).text
    assert FORGED not in text and "75A-123.45" not in text and "75A-***.45" in text  # masked per role
    unknown = _detail(app, officer, _browser_row(UNKNOWN))
    assert unknown.status_code == 200 and FORGED not in unknown.text
    assert t("console.unknown", "en") in unknown.text


def test_console_srv004_lookup_finds_archived_alerts_and_closed_complaints(engine, clean_facts, rds, rkeys):
    """Beyond the streams' window the alert is read from PostgreSQL; a complaint that left the queue is still one."""
    from pipeline import facts

    now = datetime.now(UTC)
    cam = reference.load_files()["cameras"][2]["camera_id"]
    old = f.camera(2, camera_id=cam, ts=now - timedelta(days=2)).model_copy(update={"event_id": f"pg-{uuid.uuid4()}"})
    quiet = f.camera(3, camera_id=cam, ts=now, alert_type="crowding", severity="low")
    unit = reference.load_files()["units"][0]["code"]
    closed = f.complaint(4, complaint_id=f"PA-{uuid.uuid4().hex[:8]}", status="resolved", result="ok", ts=now,
                         unit_code=unit)  # fmt: skip
    with engine.begin() as conn:
        facts.write_events(conn, [old, quiet, closed], facts.Refs.from_files())
    found = console_lookup.find(rds, engine, alert_id=old.event_id, k=rkeys)
    assert found["alert_id"] == old.event_id and found["raw"]["camera_id"] == cam
    assert console_lookup.find(rds, engine, alert_id=quiet.event_id, k=rkeys) is None  # never needed a person
    item = console_lookup.find(rds, engine, alert_id=f"complaint:{closed.complaint_id}", k=rkeys)
    assert item["kind"] == "complaint" and item["raw"]["status"] == "resolved"
    for junk in ("", "x" * 300, "a\x00b", "../etc", UNKNOWN):
        assert console_lookup.find(rds, engine, alert_id=junk, k=rkeys) is None
