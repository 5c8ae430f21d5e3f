"""Real feeds end to end in headless Chromium: a FIRMS file to the wall map and /fire, a Frigate plate to /console."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from data_sources import schema
from data_sources.core.huetime import HUE_TZ
from data_sources.core.settings import ROOT
from pipeline.archiver import Archiver
from tests.drill_browser import grid_shown

pytestmark = pytest.mark.browser

FIXTURES = ROOT / "tests" / "fixtures" / "ingest"

# The props of a Dash component as the renderer holds them (what the map layer was given to draw).
PROPS = """var s = window.store && window.store.getState(); if (!s || !s.paths) { return null; }
var path = s.paths.strs[arguments[0]]; if (!path) { return null; }
var node = s.layout; for (var i = 0; i < path.length; i++) { node = node[path[i]]; }
return node && node.props ? node.props[arguments[1]] : null;"""
# Centre of each hotspot marker the wall's fire layer really drew, in screen pixels.
WALL_MARKERS = """var found = document.querySelectorAll('.leaflet-wall-fire-pane .wall-hotspot');
return Array.from(found).map(function (m) {
  var r = m.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; });"""


@pytest.fixture
def app(live_env, clean_facts):
    """The real app with empty fact tables and an empty cache (the drill-down memoizes its queries)."""
    from app import app as dash_app
    from data_sources.core.cache import cache

    with dash_app.server.app_context():
        cache.clear()
    return dash_app


def ingest_cli(fmt: str, path: Path) -> dict:
    """`python -m pipeline.ingest <fmt> <file> --json`, the real entry point, on this test's Redis prefix."""
    done = subprocess.run(
        [sys.executable, "-m", "pipeline.ingest", fmt, str(path), "--json"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def stream_events(rds, rkeys, stream: str) -> list[dict]:
    return [json.loads(f[b"data"]) for _, f in rds.xrange(rkeys.stream(stream))]


def _wait(driver, script: str, *args, timeout: float = 20, message: str = ""):
    """Wait until a script returns something truthy; returns it."""
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: d.execute_script(script, *args), message or script
    )


def _features(driver, component: str) -> dict[str, list[float]]:
    data = driver.execute_script(PROPS, component, "data") or {}
    return {f["properties"]["id"]: f["geometry"]["coordinates"] for f in data.get("features", [])}


def _max_residual(x: list[float], y: list[float]) -> tuple[float, float]:
    """Least-squares line y = a x + b through the points: (slope a, largest distance of a point from it in y)."""
    a, b = np.polyfit(x, y, 1)
    return float(a), float(max(abs(a * xi + b - yi) for xi, yi in zip(x, y, strict=True)))


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def test_ing_e2e001_firms_file_on_the_wall_map_and_in_the_fire_drilldown(
    dash_duo, app, rds, rkeys, engine, accounts, login, screenshot, tmp_path
):
    # The fixture as NASA sends it (unpadded acq_time, empty frp, N/1/N20/N21 satellites, junk rows), dated
    # yesterday so every hotspot is within the wall's 48 h window whatever the time of day.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    source = (FIXTURES / "firms_viirs_noaa20_area.csv").read_text(encoding="utf-8")
    fires = tmp_path / "fires.csv"
    fires.write_text(source.replace("2026-04-14", yesterday), encoding="utf-8")
    summary = ingest_cli("firms", fires)
    assert (summary["read"], summary["accepted"]) == (14, 6), summary
    Archiver(k=rkeys, block_ms=100).drain()  # archiver and projector, until idle

    hotspots = {e["event_id"]: e for e in stream_events(rds, rkeys, "fire") if e["kind"] == "hotspot"}
    assert len(hotspots) == 6
    with engine.connect() as conn:
        stored = set(conn.execute(select(schema.hotspots.c.event_id)).scalars())
    assert stored == set(hotspots)

    # ---- the wall, fire layer only: one marker per hotspot, each where its coordinates say.
    driver = dash_duo.driver
    dash_duo.start_server(app, navigate=False)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride", {"width": 1920, "height": 1080, "deviceScaleFactor": 1, "mobile": False}
    )
    driver.get(f"{dash_duo.server.url.rstrip('/')}/wall?token={accounts['wall']['token']}&layers=fire")
    dash_duo.wait_for_element("#wall-root", timeout=20)
    _wait(driver, "return document.querySelectorAll('.leaflet-wall-fire-pane .wall-hotspot').length === 6",
          message="the wall never drew 6 hotspot markers")  # fmt: skip
    layer = _features(driver, "wall-hotspots")
    assert set(layer) == set(hotspots)  # the layer's features are exactly the ingested hotspots, by event id
    for event_id, (lon, lat) in layer.items():
        assert (round(lat, 5), round(lon, 5)) == (
            round(hotspots[event_id]["lat"], 5),
            round(hotspots[event_id]["lon"], 5),
        )
    # The markers on screen sit where a map projection puts those coordinates: x linear in longitude, y in
    # Mercator latitude (north up), every marker within a few pixels of the fitted line.
    markers = sorted(driver.execute_script(WALL_MARKERS))
    points = sorted((h["lon"], h["lat"]) for h in hotspots.values())
    slope_x, off_x = _max_residual([p[0] for p in points], [m[0] for m in markers])
    slope_y, off_y = _max_residual([_mercator(p[1]) for p in points], [m[1] for m in markers])
    assert slope_x > 0 and slope_y < 0 and off_x < 3 and off_y < 3, (slope_x, off_x, slope_y, off_y)
    hidden = driver.execute_script(
        "return getComputedStyle(document.querySelector('.leaflet-wall-traffic-pane')).display"
    )
    assert hidden == "none"  # ?layers=fire: only the fire layer is on
    time.sleep(0.5)
    screenshot(driver, "ing_e2e001_wall_firms_hotspots")

    # ---- /fire as admin: the history map's hotspot layer and the grid list the same six.
    driver.delete_all_cookies()  # end the wall session: a person signs in on this browser now
    login(dash_duo, "admin")
    driver.get(f"{dash_duo.server.url.rstrip('/')}/fire?range=7d")
    dash_duo.wait_for_element("#fire-hotspots-grid .ag-row[row-index='5']", timeout=30)
    layer = _wait(driver, "var f = (function () {" + PROPS + "}).apply(null, arguments);"
                  " return f && f.features && f.features.length ? f : null;",
                  "fire-map-layer", "data", message="no hotspots on the fire map")  # fmt: skip
    on_map = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in layer["features"]}
    assert set(on_map) == set(hotspots)
    for event_id, (lon, lat) in on_map.items():
        assert (lat, lon) == (round(hotspots[event_id]["lat"], 5), round(hotspots[event_id]["lon"], 5))
    rows = grid_shown(driver, "fire-hotspots-grid")["rows"]
    assert len(rows) == 6
    # acq_date + unpadded acq_time (UTC) shown in Huế time: 618 -> 13:18, 4 -> 07:04, 1805 -> 01:05 next day.
    expected_times = sorted(
        datetime.fromisoformat(h["ts"]).astimezone(HUE_TZ).strftime("%H:%M") for h in hotspots.values()
    )
    assert sorted(next(t for t in expected_times if t in row[0]) for row in rows) == expected_times, rows
    assert {"07:04", "13:18", "01:05"} <= set(expected_times)
    time.sleep(0.5)
    screenshot(driver, "ing_e2e001_fire_drilldown_firms")
    driver.execute_script("document.querySelector('#fire-hotspots-grid').scrollIntoView({block: 'center'})")
    time.sleep(0.5)
    screenshot(driver, "ing_e2e001_fire_drilldown_firms_list")
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []


def _frigate(oid: str, kind: str, start: float, frame: float, **after) -> str:
    body = {
        "id": oid,
        "camera": "cau_truong_tien_1",
        "label": "car",
        "sub_label": None,
        "top_score": 0.84,
        "score": 0.84,
        "start_time": start,
        "frame_time": frame,
        "end_time": None,
        "false_positive": False,
        "has_snapshot": True,
        "recognized_license_plate": None,
        "recognized_license_plate_score": None,
    }
    body |= after  # fmt: skip
    return "frigate/events " + json.dumps({"type": kind, "before": body, "after": body}, ensure_ascii=False)


def test_ing_e2e002_frigate_watchlisted_plate_to_a_masked_console_row(
    dash_duo, app, rds, rkeys, engine, login, screenshot, tmp_path
):
    # A car is tracked, its plate read, then matched to Frigate's known plates (the watch-list): one alert.
    start = time.time() - 90
    oid = f"{start:.6f}-e2e{os.getpid() % 1000:03d}"
    capture = tmp_path / "frigate.txt"  # as `mosquitto_sub -v -t 'frigate/#'` prints it
    capture.write_text("\n".join([
        _frigate(oid, "new", start, start + 0.5),
        _frigate(oid, "update", start, start + 2, recognized_license_plate="75A12345",
                 recognized_license_plate_score=0.91),
        _frigate(oid, "update", start, start + 3, recognized_license_plate="75A12345",
                 recognized_license_plate_score=0.93, sub_label=["Xe trộm cắp", 0.95]),
        _frigate(oid, "end", start, start + 9, end_time=start + 9, recognized_license_plate="75A12345",
                 recognized_license_plate_score=0.93, sub_label=["Xe trộm cắp", 0.95]),
    ]) + "\n", encoding="utf-8")  # fmt: skip
    summary = ingest_cli("frigate", capture)
    assert (summary["read"], summary["accepted"], summary["duplicate"]) == (4, 2, 1), summary
    Archiver(k=rkeys, block_ms=100).drain()
    event_id = f"frigate-{oid}"
    with engine.connect() as conn:
        row = conn.execute(select(schema.camera_alerts).where(schema.camera_alerts.c.event_id == event_id)).one()
    assert (row.plate, row.watchlist, row.severity) == ("75A-123.45", "Xe trộm cắp", "high")  # the newest version

    # An officer not cleared for personal data: the alert is in the queue, its plate masked, never in the page.
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, "officer_masked")
    dash_duo.driver.get(f"{dash_duo.server_url}/console")
    dash_duo.wait_for_element("#console-root", timeout=20)
    row_el = dash_duo.wait_for_element(f'#console-grid [row-id="{event_id}"]', timeout=20)
    _wait(dash_duo.driver, "return arguments[0].textContent.includes('75A-***.45')", row_el, timeout=10,
          message="the console row never showed the masked plate")  # fmt: skip
    assert "75A-123.45" not in dash_duo.driver.page_source
    rows = _wait(
        dash_duo.driver,
        "var id = arguments[0], api = dash_ag_grid.getApi('console-grid'), out = [];"
        "api.forEachNode(function (n) { if (n.data.alert_id === id) { out.push(n.data); } });"
        "return out.length ? out : null;",
        event_id,
    )
    assert len(rows) == 1 and rows[0]["severity"] == "high"  # one alert for the object, its newest version
    time.sleep(0.5)
    screenshot(dash_duo.driver, "ing_e2e002_console_frigate_plate_masked")
    assert [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"] == []
