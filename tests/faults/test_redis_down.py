"""Redis stopped under an open wall and console: banners, the last picture kept, no server errors, and recovery."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from selenium.webdriver.common.by import By

from data_sources.core.streams import publish
from pipeline.facts import Refs
from tests.faults.conftest import server_errors, wait_for
from tests.faults.pages import AlertFeed, camera_alert, js_wait, sign_in, ticker_ids
from tests.integration.test_archiver import sample_events
from ui.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GRID = "dash_ag_grid.getApi('console-grid')"
ROW_IDS = f"(function(){{var a=[];{GRID}.forEachNode(function(n){{a.push(n.data.alert_id)}});return a}})()"
# Set once on each page: still there after the outage means the page was never reloaded.
MARK = "window.__faultMark = window.__faultMark || Date.now(); return window.__faultMark"
WALL_DOWN = "document.querySelector('#wall-banner').className.includes('banner-down')"
CONSOLE_DOWN = "document.querySelector('#console-banner').getAttribute('data-state') === 'down'"
# The bound: the banner shows, and after Redis is back the pages resume, within 5 s.
BOUND_S = 5


def _publish_until_shown(frds, fkeys, refs, driver, tag: str, shown) -> str:
    """Publish one new alert and wait (the issue's bound) until the page shows it; returns its id."""
    event = camera_alert(refs, tag, 0, severity="critical")
    publish(frds, [event], k=fkeys)
    wait_for(lambda: shown(driver, event.event_id), timeout=BOUND_S, what=f"{event.event_id} on the page", every=0.1)
    return event.event_id


def test_flt101_redis_down_wall_and_console_keep_picture_and_recover(
    fault_servers, fault_env, fault_accounts, fengine, frds, fkeys, web, archiver_proc, chrome, screenshot
):
    refs = Refs.from_files()
    app = web()
    base = app.url
    archiver = archiver_proc("--batch", "200")
    publish(frds, sample_events(refs, 10, tag="rd-beat", start=datetime.now(UTC)), k=fkeys)  # every stream live
    feed = AlertFeed(frds, fkeys, refs, tag="rd-feed")
    feed.start()
    wall, console = chrome(), chrome()
    try:
        wall.get(f"{base}/wall?token={fault_accounts['wall']['token']}")
        js_wait(wall, "document.querySelectorAll('#wall-ticker li').length >= 5", timeout=30, what="ticker rows")
        sign_in(console, base, fault_accounts["officer"])
        console.get(f"{base}/console")
        js_wait(console, f"{GRID}.getDisplayedRowCount() >= 5", timeout=30, what="queue rows")
        marks = {name: d.execute_script(MARK) for name, d in (("wall", wall), ("console", console))}
        feed.stop()
        time.sleep(1.5)  # the last alerts reach both pages: that is the picture to keep
        before_ticker, before_queue = ticker_ids(wall), console.execute_script(f"return {ROW_IDS}")

        fault_servers.redis.stop()
        stopped = time.monotonic()

        js_wait(wall, WALL_DOWN, timeout=BOUND_S, what="the wall's Redis banner")
        wall_banner_s = time.monotonic() - stopped
        js_wait(console, CONSOLE_DOWN, timeout=max(0.5, BOUND_S - (time.monotonic() - stopped)),
                what="the console's Redis banner")  # fmt: skip
        console_banner_s = time.monotonic() - stopped
        time.sleep(3)  # a few health ticks and failed pulls into the outage
        assert t("wall.banner.redis_down", "vi") in wall.find_element(By.ID, "wall-banner").text
        assert t("console.banner.redis_down", "vi") in console.find_element(By.ID, "console-banner").text
        # The last picture stays: every ticker row and every queue row is still drawn.
        assert ticker_ids(wall) == before_ticker
        assert console.execute_script(f"return {ROW_IDS}") == before_queue
        screenshot(wall, "flt101_wall_redis_down")
        screenshot(console, "flt101_console_redis_down")

        fault_servers.redis.start()
        started = time.monotonic()
        js_wait(wall, f"!({WALL_DOWN})", timeout=BOUND_S, what="the wall's banner to clear")
        js_wait(console, f"!({CONSOLE_DOWN})", timeout=BOUND_S, what="the console's banner to clear")
        cleared_s = time.monotonic() - started
        # Live again without a reload: a new alert reaches the wall's ticker and the console's queue.
        new_wall = _publish_until_shown(frds, fkeys, refs, wall, "rd-after-w", lambda d, i: i in ticker_ids(d))
        new_console = _publish_until_shown(
            frds, fkeys, refs, console, "rd-after-c", lambda d, i: i in d.execute_script(f"return {ROW_IDS}")
        )
        resumed_s = time.monotonic() - started
        assert {name: d.execute_script(MARK) for name, d in (("wall", wall), ("console", console))} == marks
        # The ticker is capped: the new alert is on top, older rows move down (and off the end).
        assert ticker_ids(wall)[0] in (new_wall, new_console) and len(ticker_ids(wall)) >= len(before_ticker)
        assert set(before_queue) | {new_console} <= set(console.execute_script(f"return {ROW_IDS}"))
        time.sleep(1)
        screenshot(wall, "flt101_wall_redis_back")
        screenshot(console, "flt101_console_redis_back")
    finally:
        feed.stop()
        if not fault_servers.redis.running:
            fault_servers.redis.start()

    print(f"banner after stop: wall {wall_banner_s:.1f} s, console {console_banner_s:.1f} s; "
          f"banners cleared {cleared_s:.1f} s and new alerts shown {resumed_s:.1f} s after the restart")  # fmt: skip
    assert archiver.alive(), archiver.text()[-3000:]
    errors = server_errors(app.text())
    assert not errors, f"{len(errors)} server errors in the web log, e.g.\n" + "\n".join(errors[:10])
