"""Browser helpers of the fault tests: sign in against an app process, keep several pages open, read what they show."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from data_sources import events as ev
from data_sources.core.streams import publish
from pipeline.facts import Refs
from tests.faults.conftest import wait_for


def js_wait(driver: WebDriver, condition: str, *, timeout: float, what: str):
    """Wait until a JavaScript expression is truthy in the current window; returns its value."""
    return wait_for(lambda: driver.execute_script(f"try {{ return {condition}; }} catch (e) {{ return null; }}"),
                    timeout=timeout, what=what, every=0.1)  # fmt: skip


def open_window(driver: WebDriver, url: str) -> str:
    """Open url in a new window (not a tab: a background tab's timers are throttled) and return its handle."""
    driver.switch_to.new_window("window")
    driver.set_window_size(1920, 1080)
    driver.get(url)
    return driver.current_window_handle


def sign_in(driver: WebDriver, base: str, account: dict) -> None:
    """The real sign-in form, in the current window."""
    driver.get(f"{base}/login")
    wait_for(lambda: driver.find_elements(By.ID, "username"), timeout=20, what="the sign-in form")
    driver.find_element(By.ID, "username").send_keys(account["username"])
    driver.find_element(By.ID, "password").send_keys(account["password"])
    driver.find_element(By.ID, "signin-submit").click()
    wait_for(lambda: "/login" not in driver.current_url, timeout=20, what="sign-in to land")


def ticker_ids(driver: WebDriver) -> list[str]:
    script = (
        "return Array.from(document.querySelectorAll('#wall-ticker li')).map(li => li.getAttribute('data-alert-id'))"
    )
    return driver.execute_script(script)


def visible_text(driver: WebDriver, selector: str) -> str:
    """Text of the element if it is displayed, else ''."""
    found = driver.find_elements(By.CSS_SELECTOR, selector)
    return found[0].text if found and found[0].is_displayed() else ""


def camera_alert(refs: Refs, tag: str, i: int, *, severity: str = "high") -> ev.CameraAlert:
    camera = sorted(refs.camera_unit)[i % len(refs.camera_unit)]
    return ev.CameraAlert(event_id=f"{tag}-{i}", ts=datetime.now(UTC) - timedelta(seconds=1), camera_id=camera,
                          alert_type="crowding", severity=severity)  # fmt: skip


class AlertFeed(threading.Thread):
    """A few camera alerts a second (what fills the wall's ticker and the console's queue) until stopped.

    Publishing fails while Redis is down: those events were never accepted, so they are not counted.
    """

    def __init__(self, rds, k, refs: Refs, *, tag: str, every: float = 0.25) -> None:
        super().__init__(daemon=True, name=f"alert-feed-{tag}")
        self.rds, self.k, self.refs, self.tag, self.every = rds, k, refs, tag, every
        self.published: list = []
        self.halt = threading.Event()

    def run(self) -> None:
        i = 0
        while not self.halt.wait(self.every):
            event = camera_alert(self.refs, self.tag, i)
            i += 1
            try:
                publish(self.rds, [event], k=self.k)
            except Exception:  # Redis is down on purpose: the producer would retry, the test just moves on
                continue
            self.published.append(event)

    def stop(self) -> list:
        self.halt.set()
        self.join(timeout=10)
        return self.published


def pause(seconds: float) -> None:
    time.sleep(seconds)
