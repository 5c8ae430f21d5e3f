"""Browser helpers of the drill-down tests: navigation, plotly clicks, grids read through AG Grid, CSV downloads."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains

from tests.auth_helpers import browser_login


def base(dash_duo) -> str:
    return dash_duo.server.url.rstrip("/")


def go(dash_duo, path: str, ready: str, timeout: float = 20) -> None:
    """Open `path` and wait until `ready` (a CSS selector filled by a callback) is there."""
    dash_duo.driver.get(base(dash_duo) + path)
    dash_duo.wait_for_element(ready, timeout=timeout)


def query(driver) -> dict:
    return {k: v[0] for k, v in parse_qs(urlparse(driver.current_url).query).items()}


def click_bar(dash_duo, graph_id: str, index: int = 0) -> None:
    """Click a bar as a user would (plotly reads the pointer position, so move onto the bar first)."""
    bar = dash_duo.wait_for_element(f"#{graph_id} g.trace.bars g.point path")
    bars = dash_duo.driver.find_elements("css selector", f"#{graph_id} g.trace.bars g.point path")
    # A stacked chart draws a zero-width path for a series a row does not have: a click there hits the axis.
    bars = [b for b in bars if b.size["width"] > 1 and b.size["height"] > 1]
    bar = bars[index]
    ActionChains(dash_duo.driver).move_to_element(bar).pause(0.2).click().perform()


def wait_url(driver, predicate, timeout: float = 15) -> dict:
    end = time.time() + timeout
    while time.time() < end:
        q = query(driver)
        if predicate(q, driver.current_url):
            return q
        time.sleep(0.2)
    raise AssertionError(f"URL never matched: {driver.current_url}")


GRID_JS = """
const api = dash_ag_grid.getApi(arguments[0]);
const cols = api.getAllDisplayedColumns();
const rows = [];
api.forEachNodeAfterFilterAndSort(node => rows.push(cols.map(c => {
  const v = api.getCellValue({rowNode: node, colKey: c, useFormatter: true});
  return v === null || v === undefined ? "" : String(v);
})));
return {headers: cols.map(c => c.getColDef().headerName), rows: rows};
"""


def show_row(driver, grid_id: str, field: str, value: str) -> None:
    """Scroll the grid to the row whose `field` is `value` (rows off screen are not in the DOM)."""
    driver.execute_script(
        """const api = dash_ag_grid.getApi(arguments[0]);
        api.forEachNode(n => { if (n.data[arguments[1]] === arguments[2]) api.ensureNodeVisible(n, 'middle'); });""",
        grid_id,
        field,
        value,
    )
    time.sleep(0.5)


def grid_shown(driver, grid_id: str) -> dict:
    return driver.execute_script(GRID_JS, grid_id)


def first_row_dom(driver, grid_id: str) -> list[str]:
    cells = driver.find_elements(
        "css selector", f"#{grid_id} .ag-center-cols-container .ag-row[row-index='0'] .ag-cell"
    )
    return [c.text for c in sorted(cells, key=lambda c: c.location["x"])]


def export_csv(dash_duo, export_id: str, folder: Path) -> list[list[str]]:
    """Click the export button and read the CSV the browser downloads."""
    folder.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    dash_duo.find_element(f"#{export_id}").click()
    end = time.time() + 10
    while time.time() < end:
        done = [p for p in folder.glob("*.csv")]
        if done and not list(folder.glob("*.crdownload")):
            with done[0].open(encoding="utf-8-sig", newline="") as fh:
                return list(csv.reader(fh))
        time.sleep(0.2)
    raise AssertionError("no CSV was downloaded")


def assert_csv_is_grid(dash_duo, grid_id: str, export_id: str, folder: Path) -> int:
    """The export holds exactly the grid's columns and rows, formatted as on screen; returns the row count."""
    dash_duo.wait_for_element(f"#{grid_id} .ag-row[row-index='0']", timeout=20)
    shown = grid_shown(dash_duo.driver, grid_id)
    rows = export_csv(dash_duo, export_id, folder)
    assert rows[0] == shown["headers"]
    assert rows[1:] == shown["rows"]
    assert first_row_dom(dash_duo.driver, grid_id)[: len(rows[1])] == rows[1]  # and that is what the screen shows
    return len(rows) - 1


def second_browser(dash_duo, accounts, role: str):
    """A fresh browser (own cookies, no history), signed in as `role`: does a link reproduce the view?"""
    from tests.conftest import pytest_setup_options

    driver = webdriver.Chrome(options=pytest_setup_options())

    class Duo:  # just what browser_login needs
        def __init__(self):
            self.driver, self.server = driver, dash_duo.server

        def wait_for_element(self, selector, timeout=10):
            end = time.time() + timeout
            while time.time() < end:
                found = driver.find_elements("css selector", selector)
                if found:
                    return found[0]
                time.sleep(0.1)
            raise AssertionError(selector)

        def find_element(self, selector):
            return driver.find_element("css selector", selector)

        @property
        def server_url(self):
            return self.server.url

        @server_url.setter
        def server_url(self, value):
            driver.get(value)

    browser_login(Duo(), accounts, role)
    return driver


def view_of(driver, grid_id: str) -> dict:
    """What a reader sees of the view: the URL state, the heading trail, the checked range, the grid's rows."""
    end = time.time() + 20
    while time.time() < end:
        if driver.find_elements("css selector", f"#{grid_id} .ag-row[row-index='0']"):
            break
        time.sleep(0.2)
    checked = driver.find_element("css selector", ".range-pills input:checked").get_attribute("value")
    return {
        "query": query(driver),
        "crumbs": driver.find_element("css selector", ".crumbs").text,
        "range": checked,
        "window": driver.find_element("css selector", ".window-text").text,
        "grid": grid_shown(driver, grid_id)["rows"][:20],
    }
