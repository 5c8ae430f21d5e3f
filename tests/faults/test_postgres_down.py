"""PostgreSQL stopped under a running app and archiver: the wall lives on Redis, drill pages say so, nothing is lost."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from data_sources.core.streams import publish
from pipeline.archiver import ARCHIVER, PROJECTOR
from pipeline.facts import Refs
from tests.faults.conftest import server_errors, wait_for
from tests.faults.pages import AlertFeed, js_wait, sign_in, ticker_ids, visible_text
from tests.integration.test_archiver import drained, expected_counts, fact_counts, sample_events
from ui.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DRILL_PAGES = ("/traffic", "/fire", "/cameras", "/complaints")
PG_DOWN = [t("banner.pg_down", lang) for lang in ("vi", "en")]


def _feed_index(ids: list[str]) -> int:
    """N of the newest "pg-feed-N" row (-1 when the top row is not from the feed)."""
    return max((int(i.rsplit("-", 1)[1]) for i in ids if i.startswith("pg-feed-")), default=-1)


def _says_pg_down(driver) -> str:
    text = visible_text(driver, "#shell-banner")
    return text if any(message in text for message in PG_DOWN) else ""


def test_flt201_postgres_down_wall_lives_drill_pages_say_so_archiver_catches_up(
    fault_servers, fault_env, fault_accounts, fengine, frds, fkeys, web, archiver_proc, chrome, screenshot
):
    refs = Refs.from_files()
    app = web()
    base = app.url
    archiver = archiver_proc("--batch", "200")
    before = sample_events(refs, 300, tag="pg-before")
    publish(frds, before, k=fkeys)
    feed = AlertFeed(frds, fkeys, refs, tag="pg-feed")
    feed.start()
    wall, admin = chrome(), chrome()
    try:
        wall.get(f"{base}/wall?token={fault_accounts['wall']['token']}")
        js_wait(wall, "document.querySelectorAll('#wall-ticker li').length > 0", timeout=30, what="ticker rows")
        sign_in(admin, base, fault_accounts["admin"])
        admin.get(f"{base}/traffic")
        wait_for(lambda: admin.find_elements(By.CSS_SELECTOR, "#traffic-kpis .kpi"), timeout=30, what="traffic KPIs")

        fault_servers.pg.stop()

        # The wall keeps drawing live alerts from Redis: one published after the stop reaches its ticker.
        driver = wall
        newest = feed.published[-1].event_id if feed.published else None
        wait_for(lambda: feed.published and feed.published[-1].event_id != newest, timeout=10, what="a new alert")
        after_stop = int(feed.published[-1].event_id.rsplit("-", 1)[1])
        wait_for(lambda: _feed_index(ticker_ids(driver)[:1]) >= after_stop, timeout=15, what="an alert sent after it")
        assert "banner-down" not in driver.find_element(By.ID, "wall-banner").get_attribute("class")
        screenshot(driver, "flt201_wall_postgres_down")

        # Each drill-down page says history is unavailable, in words, with its frame still there.
        driver = admin
        for path in DRILL_PAGES:
            driver.get(f"{base}{path}")
            try:
                message = wait_for(lambda: _says_pg_down(driver), timeout=15, what=f"the banner on {path}")
            finally:
                screenshot(driver, f"flt201{path.replace('/', '_')}_postgres_down")
            page = driver.find_element(By.ID, "_pages_content").text
            assert page.strip(), f"{path} is blank"
            assert "Traceback" not in page and "Error" not in page, page[:500]
            assert message

        # The archiver waits and retries (still running, one log line for the outage), entries stay pending.
        wait_for(lambda: "archiver store unavailable" in archiver.text(), timeout=20, what="the outage log line")
        assert archiver.alive(), archiver.text()[-3000:]
        during = sample_events(refs, 300, tag="pg-during")
        publish(frds, during, k=fkeys)
        wait_for(lambda: drained(frds, fkeys, PROJECTOR), timeout=20, what="the projector (Redis only) to keep up")
        assert not drained(frds, fkeys, ARCHIVER)

        # Well past the sign-in cache (AUTH_CACHE_SECONDS): the wall is still live and still signed in. (The
        # ticker keeps 30 rows and the feed adds 4 a second, so "this alert or a newer one on top".)
        latest = int(feed.published[-1].event_id.rsplit("-", 1)[1])
        wait_for(lambda: _feed_index(ticker_ids(wall)[:1]) >= latest, timeout=15, what="the wall, long into the outage")
        screenshot(wall, "flt201_wall_postgres_down_later")
        assert not wall.find_element(By.ID, "wall-offline").is_displayed()

        fault_servers.pg.start()
    finally:
        published = feed.stop()
        if not fault_servers.pg.running:
            fault_servers.pg.start()

    wait_for(lambda: drained(frds, fkeys, ARCHIVER, PROJECTOR), timeout=60, what="the archiver to catch up")
    assert archiver.alive()
    # Every event sent, before, during and after the outage, is in PostgreSQL exactly once.
    assert fact_counts(fengine) == expected_counts(before + during + published)
    assert "archiver store back after" in archiver.text()

    # Drill pages work again without anyone restarting the app.
    driver = admin
    driver.get(f"{base}/traffic")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#traffic-kpis .kpi"), timeout=30, what="traffic again")
    wait_for(lambda: not _says_pg_down(driver), timeout=15, what="the banner to clear")
    screenshot(driver, "flt201_traffic_postgres_back")
    errors = server_errors(app.text())
    assert not errors, f"{len(errors)} server errors in the web log, e.g.\n" + "\n".join(errors[:10])
