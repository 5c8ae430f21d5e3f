"""Drill-down pages in headless Chromium: drill path, URL round trip (back button, a new browser), CSV == grid."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from sqlalchemy import text

from tests.drill_browser import (
    assert_csv_is_grid,
    base,
    click_bar,
    go,
    grid_shown,
    query,
    second_browser,
    show_row,
    view_of,
    wait_url,
)
from tests.drill_data import ensure

pytestmark = pytest.mark.browser


@pytest.fixture
def cases(engine, rds):
    return ensure(engine, rds)


def test_drill001_traffic_unit_drill_back_button_link_and_csv(
    dash_duo, ioc_app, cases, login, accounts, screenshot, tmp_path
):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    go(dash_duo, "/traffic?range=7d", "#traffic-units g.trace.bars g.point path")
    dash_duo.wait_for_element("#traffic-kpis .kpi")
    screenshot(dash_duo.driver, "drill001_traffic_city_vi")
    click_bar(dash_duo, "traffic-units", 0)
    q = wait_url(dash_duo.driver, lambda q, _: "unit" in q)
    assert q["range"] == "7d"
    dash_duo.wait_for_element("#traffic-segments-grid .ag-row[row-index='0']", timeout=20)
    units = {r[2] for r in grid_shown(dash_duo.driver, "traffic-segments-grid")["rows"]}
    crumbs = dash_duo.find_element(".crumbs").text
    assert len(units) == 1 and units.pop() in crumbs  # the grid shows only the clicked unit
    time.sleep(1)
    screenshot(dash_duo.driver, "drill001_traffic_unit_vi")
    link = dash_duo.driver.current_url
    mine = view_of(dash_duo.driver, "traffic-segments-grid")
    assert assert_csv_is_grid(dash_duo, "traffic-segments-grid", "traffic-segments-export", tmp_path) > 0

    other = second_browser(dash_duo, accounts, "officer")
    try:
        other.get(link)
        assert view_of(other, "traffic-segments-grid") == mine
    finally:
        other.quit()

    dash_duo.driver.back()
    wait_url(dash_duo.driver, lambda q, _: "unit" not in q)
    dash_duo.wait_for_text_to_equal(".crumbs", "Giao thông", timeout=15)
    assert dash_duo.get_logs() == []


def test_drill002_worst_segment_opens_its_history(dash_duo, ioc_app, cases, login, screenshot):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    go(dash_duo, "/traffic?range=24h", "#traffic-worst g.trace.bars g.point path")
    click_bar(dash_duo, "traffic-worst", 0)
    wait_url(dash_duo.driver, lambda _, url: "/traffic/segments/SEG-" in url)
    dash_duo.wait_for_element("#segment-speed g.scatterlayer .trace", timeout=20)
    assert query(dash_duo.driver)["range"] == "24h"
    assert "km/h" in dash_duo.find_element("#segment-kpis").text
    time.sleep(1)
    screenshot(dash_duo.driver, "drill002_segment_vi")
    assert dash_duo.get_logs() == []


def test_drill003_complaints_for_a_department_head(dash_duo, ioc_app, cases, login, screenshot, tmp_path, engine):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "dept_head")
    go(dash_duo, "/complaints?range=7d", "#complaints-due-grid .ag-row[row-index='0']")
    dash_duo.wait_for_element("#complaints-kpis .kpi")
    assert "UBND" in dash_duo.find_element(".scope-note").text
    ids_shown = [r[0] for r in grid_shown(dash_duo.driver, "complaints-due-grid")["rows"]]
    assert cases["late_x"] in ids_shown and cases["late_y"] not in ids_shown  # scope is enforced in SQL
    agencies = {r[0] for r in grid_shown(dash_duo.driver, "complaints-agencies-grid")["rows"]}
    assert agencies == {"UBND phường Phú Xuân"}
    time.sleep(1.5)
    screenshot(dash_duo.driver, "drill003_complaints_dept_head_vi")
    assert assert_csv_is_grid(dash_duo, "complaints-due-grid", "complaints-due-export", tmp_path) >= 2

    show_row(dash_duo.driver, "complaints-due-grid", "complaint_id", cases["late_x"])
    dash_duo.find_element(f"#complaints-due-grid a.drill-link[href^='/complaints/{cases['late_x']}']").click()
    wait_url(dash_duo.driver, lambda _, url: f"/complaints/{cases['late_x']}" in url)
    dash_duo.wait_for_element(".timeline li", timeout=15)
    assert "Trễ hạn" in dash_duo.find_element("#complaint-detail").text
    assert len(dash_duo.driver.find_elements("css selector", ".timeline li")) == 3  # received, dispatched, deadline
    screenshot(dash_duo.driver, "drill003_complaint_item_vi")
    # Another agency's report: the same "not found" as a report that does not exist.
    go(dash_duo, f"/complaints/{cases['late_y']}", ".not-found")
    dash_duo.driver.back()
    dash_duo.driver.back()
    wait_url(dash_duo.driver, lambda _, url: url.endswith("/complaints?range=7d"))
    dash_duo.wait_for_element("#complaints-due-grid .ag-row[row-index='0']", timeout=20)
    assert dash_duo.get_logs() == []


def test_drill004_english_and_a_unit_clicked_on_the_map(dash_duo, ioc_app, cases, login, screenshot):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    go(dash_duo, "/complaints?range=30d", "#complaints-map .marker-cluster", timeout=25)
    dash_duo.find_element("#lang-en").click()
    dash_duo.wait_for_text_to_equal(".drill-head h1", "Citizen reports – handled on time?", timeout=15)
    dash_duo.wait_for_element("#complaints-map .marker-cluster", timeout=25)
    dash_duo.wait_for_element("#complaints-agencies g.trace.bars g.point path", timeout=20)
    time.sleep(1.5)
    screenshot(dash_duo.driver, "drill004_complaints_officer_en")
    # On the fire map (few points) a click lands on a unit polygon, drawn on canvas: that unit gets selected.
    go(dash_duo, "/fire?range=30d", "#fire-season g.trace.bars g.point path")
    mapdiv = dash_duo.find_element("#fire-map")
    # From the centre (move_to_element's anchor in every selenium version), a little to the west.
    ActionChains(dash_duo.driver).move_to_element(mapdiv).move_by_offset(
        -mapdiv.size["width"] // 6, 0
    ).click().perform()
    q = wait_url(dash_duo.driver, lambda q, _: "unit" in q)
    assert q["range"] == "30d"
    dash_duo.wait_for_element(".unit-page-link", timeout=15)
    assert dash_duo.find_element(".drill-head h1").text == "Forest fire – danger levels and hotspots"
    assert dash_duo.get_logs() == []


def test_drill005_cameras_plates_masked_by_role(
    dash_duo, ioc_app, cases, login, accounts, screenshot, tmp_path, engine
):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'view_personal_data'")).scalar()
    go(dash_duo, "/cameras?range=24h", "#cameras-plates-grid .ag-row[row-index='0']")
    plates = {r[3] for r in grid_shown(dash_duo.driver, "cameras-plates-grid")["rows"]}
    assert {cases["plate_x"], cases["plate_y"]} <= plates  # cleared officer: in the clear, and audited
    with engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'view_personal_data'")).scalar()
    assert after > before
    dash_duo.wait_for_element("#cameras-top g.trace.bars g.point path", timeout=20)
    time.sleep(1.5)
    screenshot(dash_duo.driver, "drill005_cameras_officer_vi")
    assert assert_csv_is_grid(dash_duo, "cameras-plates-grid", "cameras-plates-export", tmp_path) >= 2
    click_bar(dash_duo, "cameras-top", 0)
    wait_url(dash_duo.driver, lambda _, url: "/cameras/CAM-" in url)
    dash_duo.wait_for_element("#camera-kpis .kpi", timeout=15)

    head = second_browser(dash_duo, accounts, "dept_head")
    try:
        head.get(base(dash_duo) + "/cameras?range=24h")
        plates = {r[3] for r in view_of(head, "cameras-plates-grid")["grid"]}
        assert "75A-***.81" in plates and "75B-***.79" not in plates  # own unit only, masked
        assert all("***" in p for p in plates)
        assert all(r[2] == "Phú Xuân" for r in grid_shown(head, "cameras-uptime-grid")["rows"])
        time.sleep(1.5)
        screenshot(head, "drill005_cameras_dept_head_vi")
    finally:
        head.quit()
    assert dash_duo.get_logs() == []


def test_drill006_fire_season_custom_range_and_unit_page(
    dash_duo, ioc_app, cases, login, accounts, screenshot, tmp_path
):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    go(dash_duo, "/fire?range=7d", "#fire-season g.trace.bars g.point path")
    dash_duo.wait_for_element("#fire-levels g.hm, #fire-levels .heatmaplayer", timeout=20)
    time.sleep(1.5)
    screenshot(dash_duo.driver, "drill006_fire_vi")
    assert assert_csv_is_grid(dash_duo, "fire-hotspots-grid", "fire-hotspots-export", tmp_path) >= 3
    dash_duo.find_element("#fire-range label:last-child").click()  # "custom"
    q = wait_url(dash_duo.driver, lambda q, _: q.get("range") == "custom")
    assert q["from"] and q["to"]
    dash_duo.wait_for_element(".dates:not(.hidden)", timeout=15)
    click_bar(dash_duo, "fire-season", 0)
    q = wait_url(dash_duo.driver, lambda q, _: q.get("unit") == "20161")  # the unit with most days at IV+
    assert q["range"] == "custom"
    link = dash_duo.driver.current_url
    mine = view_of(dash_duo.driver, "fire-hotspots-grid")
    other = second_browser(dash_duo, accounts, "officer")
    try:
        other.get(link)
        assert view_of(other, "fire-hotspots-grid") == mine
    finally:
        other.quit()
    dash_duo.find_element(".unit-page-link").click()
    wait_url(dash_duo.driver, lambda _, url: "/fire/units/20161" in url)
    dash_duo.wait_for_element("#fireunit-bulletins-grid .ag-row[row-index='0']", timeout=20)
    assert "V –" in dash_duo.find_element("#fireunit-kpis").text
    time.sleep(1.5)
    screenshot(dash_duo.driver, "drill006_fire_unit_vi")
    assert dash_duo.get_logs() == []
