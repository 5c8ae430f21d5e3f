"""Sign-in while PostgreSQL is stopped: a clear "service unavailable" page with 503, never a bare 500."""

from __future__ import annotations

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

from tests.auth_helpers import PAGE, csrf_from_form
from tests.faults.conftest import server_errors, wait_for
from ui.i18n import t

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _post_form(base: str, account: dict, lang: str = "vi") -> requests.Response:
    s = requests.Session()
    form = s.get(f"{base}/login?lang={lang}", headers=PAGE, timeout=20)
    assert form.status_code == 200  # the form itself needs no database
    data = {"username": account["username"], "password": account["password"], "csrf_token": csrf_from_form(form.text)}
    return s.post(f"{base}/login?lang={lang}", data=data, headers=PAGE, allow_redirects=False, timeout=30)


def _headings(driver) -> list[str]:
    try:
        return [h.text for h in driver.find_elements(By.TAG_NAME, "h1")]
    except StaleElementReferenceException:
        return []


def test_flt210_signin_with_postgres_stopped_is_503_with_a_clear_page(
    fault_servers, fault_env, fault_accounts, web, chrome, screenshot
):
    app = web()
    base = app.url
    fault_servers.pg.stop()
    try:
        for lang in ("vi", "en"):
            answer = _post_form(base, fault_accounts["officer"], lang)
            assert answer.status_code == 503, answer.text[:500]
            assert answer.headers["Retry-After"].isdigit()
            assert t("auth.unavailable.title", lang) in answer.text and t("auth.unavailable", lang) in answer.text
            assert "Traceback" not in answer.text and "Internal Server Error" not in answer.text
        # A program (not a browser) gets the same status as JSON.
        api = requests.post(f"{base}/login", data={"username": "x", "password": "y"}, timeout=30)
        assert api.status_code in (400, 503)  # no CSRF token: refused before the database is asked

        # What an officer sees: the sign-in form, then the page saying why, with a way to try again.
        driver = chrome()
        driver.get(f"{base}/login?lang=vi")
        wait_for(lambda: driver.find_elements(By.ID, "username"), timeout=20, what="the sign-in form")
        driver.find_element(By.ID, "username").send_keys(fault_accounts["officer"]["username"])
        driver.find_element(By.ID, "password").send_keys(fault_accounts["officer"]["password"])
        driver.find_element(By.ID, "signin-submit").click()
        # The form page has an <h1> too: look for the heading afresh each time, so the navigation
        # that replaces the page cannot leave us holding a stale element.
        wait_for(
            lambda: any(t("auth.unavailable.title", "vi") in text for text in _headings(driver)),
            timeout=30,
            what="the 503 heading",
        )
        assert t("auth.unavailable", "vi") in driver.find_element(By.ID, "signin-message").text
        assert driver.find_element(By.ID, "signin-home").text == t("auth.retry", "vi")
        screenshot(driver, "flt210_signin_postgres_down")
    finally:
        if not fault_servers.pg.running:
            fault_servers.pg.start()

    # Back up: the same form signs in, nobody restarted anything.
    answer = wait_for(
        lambda: (a := _post_form(base, fault_accounts["officer"])).status_code == 302 and a,
        timeout=30,
        what="sign-in after PostgreSQL is back",
        every=1,
    )
    assert answer.headers["Location"] == "/"
    # The 503s above are the answer; nothing else is a server error (no 500, no traceback).
    errors = [line for line in server_errors(app.text()) if '" 503 ' not in line]
    assert not errors, "\n".join(errors[:10])
    assert sum('" 503 ' in line for line in app.text().splitlines()) >= 3
