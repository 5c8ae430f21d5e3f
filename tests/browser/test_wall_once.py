"""Browser test of the wall's ticker against a replaying producer: one row per event id, whatever is re-sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from data_sources import events as ev
from data_sources import reference
from data_sources.core.streams import publish_raw
from tests.browser.wall_seed import heartbeat, new_id, publish

pytestmark = pytest.mark.browser

SHOWN = "Array.from(document.querySelectorAll('#wall-ticker li')).map(li => li.getAttribute('data-alert-id'))"


@pytest.fixture
def app(live_env):
    from app import app as dash_app

    return dash_app


def _wait(dash_duo, script: str, timeout: float = 30):
    return WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.2).until(
        lambda d: d.execute_script(f"return {script}"), script
    )


def test_wall020_same_event_fifty_times_is_one_row_and_other_alerts_stay(dash_duo, app, rds, rkeys, login, screenshot):
    publish(rds, rkeys, heartbeat(datetime.now(UTC)))
    dash_duo.driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False}
    )
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, "wall")
    dash_duo.driver.get(f"{dash_duo.server_url}/wall?ticker=8")
    dash_duo.wait_for_element("#wall-root", timeout=20)
    _wait(dash_duo, "window.iocWall && window.iocWall.cursor && !window.iocWall.inflight")
    cams = [c["camera_id"] for c in reference.load_files()["cameras"]]
    now = datetime.now(UTC)
    others = [
        ev.CameraAlert(event_id=new_id(f"other{i}"), ts=now - timedelta(seconds=10 - i), camera_id=cams[200 + i],
                       alert_type="plate_watchlist", severity="high")
        for i in range(4)
    ]  # fmt: skip
    publish(rds, rkeys, others)
    same = ev.CameraAlert(event_id=new_id("same"), ts=now, camera_id=cams[250], alert_type="fire_smoke",
                          severity="critical")  # fmt: skip
    payload = ev.to_json(same).encode()
    # A replaying producer: 50 raw XADDs of one event, in a burst and then one by one (later push messages).
    publish_raw(rds, "camera", [payload] * 30, k=rkeys)
    _wait(dash_duo, f"{SHOWN}.indexOf('{same.event_id}') >= 0")
    for _ in range(20):
        publish_raw(rds, "camera", [payload], k=rkeys)
    # Something after the copies, so we know the page has read past all of them.
    last = ev.CameraAlert(event_id=new_id("last"), ts=datetime.now(UTC), camera_id=cams[260],
                          alert_type="face_match", severity="high")  # fmt: skip
    publish(rds, rkeys, [last])
    _wait(dash_duo, f"{SHOWN}[0] === '{last.event_id}'")
    rows = dash_duo.driver.execute_script(f"return {SHOWN}")
    assert rows.count(same.event_id) == 1, rows
    # The ticker holds 8 rows: the copies pushed none of the other alerts out.
    assert {o.event_id for o in others} <= set(rows), rows
    assert len(rows) == len(set(rows)) <= 8
    path = screenshot(dash_duo.driver, "wall020_same_event_fifty_times")
    assert path.exists()
