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


CLUSTERS_JS = """
const map = document.querySelector('#complaints-map');
const n = [...map.querySelectorAll('.marker-cluster span[data-n]')].map(e => +e.dataset.n);
const dots = [...map.querySelectorAll('.drill-point span[data-id]')];
const box = map.getBoundingClientRect();
const inside = e => { const r = e.getBoundingClientRect(), x = (r.left + r.right) / 2, y = (r.top + r.bottom) / 2;
  return x > box.left + 20 && x < box.right - 20 && y > box.top + 20 && y < box.bottom - 20; };
return {n: n, ids: dots.map(e => e.dataset.id), shown: dots.filter(inside).map(e => e.dataset.id),
        total: n.reduce((a, b) => a + b, 0) + dots.length};
"""


def _markers(driver) -> dict:
    return driver.execute_script(CLUSTERS_JS)


def _settled(dash_duo, timeout: float = 20) -> dict:
    """The map's markers once two reads a moment apart agree (the server answered the latest view)."""
    end, last = time.time() + timeout, None
    while time.time() < end:
        now = _markers(dash_duo.driver)
        if now == last and now["total"]:
            return now
        last = now
        time.sleep(0.8)
    raise AssertionError(f"the map never settled: {last}")


def test_drill007_clustered_map_counts_add_up_and_a_click_zooms_in(dash_duo, ioc_app, cases, login, screenshot):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    go(dash_duo, "/complaints?range=30d", "#complaints-map .marker-cluster", timeout=25)
    kpi = dash_duo.wait_for_element("#complaints-kpis .kpi .kpi-value", timeout=20).text
    received = int("".join(ch for ch in kpi if ch.isdigit()))
    city = _settled(dash_duo)
    # The whole city is in view: its clusters and lone reports are every report received in the window.
    assert city["total"] == received and len(city["n"]) >= 3, (city, received)
    screenshot(dash_duo.driver, "drill007_complaints_clusters_city_vi")
    search = query(dash_duo.driver)

    # A click on the biggest cluster zooms in on it (in the browser; the URL stays): it splits into smaller ones.
    biggest = max(city["n"])
    marker = dash_duo.driver.find_element("css selector", f"#complaints-map .marker-cluster span[data-n='{biggest}']")
    ActionChains(dash_duo.driver).move_to_element(marker).pause(0.2).click().perform()
    zoomed = None
    end = time.time() + 20
    while time.time() < end:
        zoomed = _settled(dash_duo)
        if zoomed != city:
            break
    assert zoomed != city and max(zoomed["n"] or [0]) < biggest and zoomed["total"] >= 2, (city, zoomed)
    assert query(dash_duo.driver) == search
    screenshot(dash_duo.driver, "drill007_complaints_clusters_zoomed_vi")

    # Zoom on until lone reports show in view; a click on one opens its page.
    for _ in range(4):
        if zoomed["shown"]:
            break
        dash_duo.find_element("#complaints-map .leaflet-control-zoom-in").click()
        time.sleep(0.6)
        zoomed = _settled(dash_duo)
    assert zoomed["shown"], zoomed
    target = zoomed["shown"][0]
    dot = dash_duo.driver.find_element("css selector", f"#complaints-map .drill-point span[data-id='{target}']")
    ActionChains(dash_duo.driver).move_to_element(dot).pause(0.2).click().perform()
    wait_url(dash_duo.driver, lambda _, url: f"/complaints/{target}" in url)
    dash_duo.wait_for_element(".timeline li", timeout=15)
    assert dash_duo.get_logs() == []


HEADER_JS = """
const header = document.querySelector('.shell-header');
const links = [...header.querySelectorAll('.nav-link')];
const parts = [...header.children].map(e => e.getBoundingClientRect());
return {
  nav: links.map(a => a.textContent), hrefs: links.map(a => a.getAttribute('href')),
  title: header.querySelector('.brand-title').textContent, height: header.getBoundingClientRect().height,
  tops: links.map(a => Math.round(a.getBoundingClientRect().top)),
  overflow: header.scrollWidth > header.clientWidth,
  right: Math.max(...parts.map(r => r.right)), width: header.clientWidth,
  user: header.querySelector('.user-box').textContent,
};
"""
NAV = {
    "vi": ["Tổng quan", "Trực ban", "Giao thông", "Cháy rừng", "Camera", "Phản ánh"],
    "en": ["Overview", "Duty console", "Traffic", "Forest fire", "Cameras", "Citizen reports"],
}


def _header(driver) -> dict:
    return driver.execute_script(HEADER_JS)


def test_drill008_header_follows_lang_in_the_url_and_fits_on_one_line(dash_duo, ioc_app, cases, login, screenshot):
    dash_duo.start_server(ioc_app, navigate=False)
    login(dash_duo, "officer")
    pages = [
        ("", "#home-cards .card", "home"),
        ("/traffic?range=7d", "#traffic-kpis .kpi", "traffic"),
        ("/fire?range=30d", "#fire-season g.trace.bars g.point path", "fire"),
        ("/cameras?range=24h", "#cameras-kpis .kpi", "cameras"),
        ("/complaints?range=30d", "#complaints-map .marker-cluster", "complaints"),
        (f"/complaints/{cases['late_x']}?range=7d", ".timeline li", "complaint_item"),
        (f"/cameras/{cases['cam_x']}?range=7d", "#camera-kpis .kpi", "camera_item"),
        ("/fire/units/20161?range=30d", "#fireunit-kpis .kpi", "fire_unit"),
    ]
    for lang in ("vi", "en"):
        for path, ready, name in pages:
            sep = "&" if "?" in path else "?"
            go(dash_duo, f"{path or '/'}{sep}lang={lang}", ready, timeout=25)
            head = _header(dash_duo.driver)
            assert head["nav"] == NAV[lang], (path, head)
            assert head["title"] == ("Huế Intelligent Operations Centre" if lang == "en" else
                                     "Trung tâm Giám sát, Điều hành Đô thị thông minh Huế"), head  # fmt: skip
            assert ("Sign out" in head["user"]) == (lang == "en") and ("Đăng xuất" in head["user"]) == (lang == "vi")
            # One line, nothing pushed out: every link on the same row, the header no taller than one line.
            assert len(set(head["tops"])) == 1 and head["height"] < 60 and not head["overflow"], head
            assert head["right"] <= head["width"] + 1, head
            # A language chosen in the URL sticks to the navigation links.
            assert all(h.endswith(f"?lang={lang}") for h in head["hrefs"]), head["hrefs"]
            time.sleep(1.0)
            screenshot(dash_duo.driver, f"drill008_{name}_{lang}")
    # Following a header link keeps English in the page and in the header.
    dash_duo.find_element(".shell-header .nav-link[href='/traffic?lang=en']").click()
    wait_url(dash_duo.driver, lambda q, url: "/traffic" in url and q.get("lang") == "en")
    dash_duo.wait_for_text_to_equal(".drill-head h1", "Traffic – congestion over time and place", timeout=15)
    assert _header(dash_duo.driver)["nav"] == NAV["en"]
    # Without ?lang= the header follows the cookie / setting again, like the page body.
    go(dash_duo, "/traffic?range=7d", "#traffic-kpis .kpi")
    assert _header(dash_duo.driver)["nav"] == NAV["vi"]
    # A narrower screen: still one line (the title gives way first).
    dash_duo.driver.set_window_size(1366, 900)
    go(dash_duo, "/complaints?range=30d&lang=en", "#complaints-kpis .kpi")
    head = _header(dash_duo.driver)
    assert len(set(head["tops"])) == 1 and head["height"] < 60 and not head["overflow"], head
    screenshot(dash_duo.driver, "drill008_complaints_en_1366")
    assert dash_duo.get_logs() == []
