"""Browser test of the app shell and overview page in headless Chromium."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from data_sources import liveness, reference
from data_sources.core import streams
from data_sources.events import STREAMS
from pipeline import state
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture
def app(live_env):
    # Imported here so the app reads settings that point at the test servers.
    from app import app as dash_app

    return dash_app


def _publish_one_per_stream(rds, rkeys):
    """A new event on every stream, and every producer reporting alive (as a running feed does)."""
    data = reference.load_files()
    unit, now = data["units"][0]["code"], datetime.now(UTC)
    batch = [
        f.camera(camera_id=data["cameras"][0]["camera_id"], ts=now),
        f.traffic(segment_id=data["road_segments"][0]["segment_id"], ts=now),
        f.danger(unit_code=unit, level=3, ts=now),
        f.complaint(unit_code=unit, ts=now),
    ]
    liveness.report(rds, STREAMS, producer="test", ttl=120, k=rkeys)
    streams.publish(rds, batch, k=rkeys)
    state.StateWriter(rds, rkeys).apply(batch)


def test_shell001_overview_shows_live_status_per_domain(dash_duo, app, rds, rkeys, screenshot, login):
    _publish_one_per_stream(rds, rkeys)
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, "officer")
    dash_duo.wait_for_text_to_equal(".brand span:last-child", "Trung tâm Giám sát, Điều hành Đô thị thông minh Huế")
    for domain in ("camera", "traffic", "fire", "complaint"):
        dash_duo.wait_for_element(f"#home-card-{domain}[data-status='ok']", timeout=10)
    cards = dash_duo.find_element("#home-cards").text
    assert "Cảnh báo camera AI" in cards and "Phản ánh đang xử lý: 1" in cards
    screenshot(dash_duo.driver, "shell001_overview_vi")

    dash_duo.find_element("#lang-en").click()
    dash_duo.wait_for_text_to_equal(".brand span:last-child", "Huế Intelligent Operations Centre")
    dash_duo.wait_for_contains_text("#home-cards", "Open reports: 1", timeout=10)
    screenshot(dash_duo.driver, "shell001_overview_en")
    assert dash_duo.get_logs() == []


def test_shell002_stale_stream_is_not_shown_as_live(dash_duo, app, rds, rkeys, login):
    # Nothing published for this prefix: every domain must read as down, never as OK.
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, "officer")
    for domain in ("camera", "traffic", "fire", "complaint"):
        dash_duo.wait_for_element(f"#home-card-{domain}[data-status='down']", timeout=10)
    assert "chưa có sự kiện" in dash_duo.find_element("#home-card-traffic").text


def test_shell003_kiosk_wall_does_not_poll_the_hidden_shell_banner(dash_duo, app, login, monkeypatch):
    """The wall hides the shell's banner (it has its own): its tick is off there and back on elsewhere."""
    import time

    from callbacks import shell

    asked: list[float] = []
    real = shell.health.servers_up
    monkeypatch.setattr(shell.health, "servers_up", lambda: asked.append(time.time()) or real())
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, "officer")
    dash_duo.wait_for_element("#home-cards", timeout=15)
    dash_duo.driver.get(dash_duo.server_url + "/wall")
    dash_duo.wait_for_element("#wall-ticker", timeout=20)
    time.sleep(1)
    since = time.time()
    time.sleep(11)  # two ticks of the shell's 5 s interval
    assert [t for t in asked if t >= since] == []
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_element("#home-cards", timeout=15)
    since = time.time()
    time.sleep(11)
    assert [t for t in asked if t >= since], "the overview stopped polling the banner"


def test_shell004_first_start_overview_says_history_is_loading_not_connection_lost(
    dash_duo, app, rds, rkeys, login, screenshot
):
    # What the first backfill writes while it runs (pipeline.demo.backfill): day 12 of 32, plus the state.
    import time

    liveness.write_progress(rds, phase="history", done=12, total=33, started=time.time() - 50, k=rkeys)
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, "officer")
    for domain in ("camera", "traffic", "fire", "complaint"):
        dash_duo.wait_for_element(f"#home-card-{domain}[data-status='loading']", timeout=10)
    cards = dash_duo.find_element("#home-cards").text
    assert "đang nạp (36 %)" in cards and "Đang nạp lịch sử" in cards
    assert "Mất kết nối" not in cards and "0.0 ngày" not in cards
    screenshot(dash_duo.driver, "shell004_overview_history_loading_vi")
    # Loaded, and a producer alive but with nothing new for two hours: quiet, not down.
    liveness.write_progress(rds, phase="done", done=33, total=33, started=time.time() - 90, k=rkeys)
    rds.hset(liveness.progress_key(rkeys), "updated", time.time() - 60)
    liveness.report(rds, ["camera"], producer="test", ttl=120, k=rkeys)
    cam = reference.load_files()["cameras"][0]["camera_id"]
    two_hours_ago = datetime.now(UTC).timestamp() - 7200
    streams.publish(rds, [f.camera(camera_id=cam, ts=datetime.fromtimestamp(two_hours_ago, UTC))], k=rkeys)
    dash_duo.wait_for_element("#home-card-camera[data-status='quiet']", timeout=10)
    dash_duo.wait_for_element("#home-card-traffic[data-status='down']", timeout=10)  # nothing feeds it: the truth
    screenshot(dash_duo.driver, "shell004_overview_quiet_camera_vi")
