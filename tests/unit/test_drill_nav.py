"""Where drill-down clicks lead (pure)."""

from __future__ import annotations

from datetime import date, datetime

from data_sources.core.huetime import HUE_TZ
from ui import ids
from ui.drill_nav import NavSpec, clicked, feature_id, item_href, nav_inputs, nav_search, next_search
from ui.drill_state import DrillState, to_store, window

NOW = datetime(2026, 11, 23, 14, 37, tzinfo=HUE_TZ)


def _store(**kw) -> dict:
    state = DrillState(**kw)
    return to_store(state, window(state, NOW))


def test_clicks_carry_their_key():
    assert clicked({"points": [{"customdata": "19768", "x": 3}]}) == "19768"
    assert clicked({"points": [{"customdata": ["SEG-0001"]}]}) == "SEG-0001"  # heat map rows
    assert clicked({"type": "Feature", "properties": {"code": "19786", "name": "Thuận Hóa"}}) == "19786"
    assert clicked({"properties": {"id": "PA-1"}}) == "PA-1"
    assert clicked({"properties": {"cluster": True, "point_count": 12}}) is None  # a cluster only zooms
    assert (
        clicked(None) is None and clicked({"points": []}) is None and clicked({"points": [{"customdata": 3}]}) is None
    )


def test_next_search_changes_one_thing_and_ignores_no_ops():
    data = _store(range="30d", unit="19768", lang="en")
    assert next_search(data, date(2026, 11, 23), unit="19786") == "?range=30d&unit=19786&lang=en"
    assert next_search(data, date(2026, 11, 23), unit="19768") is None
    assert (
        next_search(data, date(2026, 11, 23), range="custom")
        == "?range=custom&from=2026-11-17&to=2026-11-23&unit=19768&lang=en"
    )
    assert next_search(None, date(2026, 11, 23), unit="19786") is None


def test_item_pages_keep_the_range_and_language_but_not_the_filters():
    data = _store(range="custom", start=date(2026, 11, 1), end=date(2026, 11, 3), unit="19768", agency="X", lang="en")
    assert (
        item_href("/complaints", "PA 1/2", data)
        == "/complaints/PA%201%2F2?range=custom&from=2026-11-01&to=2026-11-03&lang=en"
    )
    assert item_href("/cameras", None, data) is None


def test_a_clicked_report_opens_by_its_id_and_a_cluster_does_not():
    point = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [107.58123, 16.46123]},
        "properties": {"k": 1, "n": 1, "id": "PA-1"},
    }
    assert feature_id(point) == "PA-1"
    assert feature_id({"properties": {"cluster": True, "id": "PA-2", "n": 3}}) is None
    assert feature_id(None) is None and feature_id({"properties": {"id": 7}}) is None


def test_one_navigation_serves_list_and_item_pages():
    """The shared navigation: whichever input fired decides the change; the others' values do not leak in."""
    today = NOW.date()
    data = _store(range="7d", unit="19768")
    spec = NavSpec(
        ids.COMPLAINTS, agency_filter=True, unit_clicks=("units-bar", "units-map"), agency_clicks=("agency-bar",)
    )
    f = ids.COMPLAINTS
    pairs = nav_inputs(spec)
    assert pairs[:5] == [
        (f.range, "value"),
        (f.dates, "start_date"),
        (f.dates, "end_date"),
        (f.unit, "value"),
        (f.agency, "value"),
    ]
    values = dict.fromkeys(pairs)
    values[(f.range, "value")] = "30d"
    values[("units-map", "clickData")] = {"properties": {"code": "19786"}}
    values[("agency-bar", "clickData")] = {"points": [{"customdata": "SXD"}]}
    assert nav_search(spec, f.range, values, data, today) == "?range=30d&unit=19768"
    assert nav_search(spec, "units-map", values, data, today) == "?range=7d&unit=19786"
    assert nav_search(spec, "agency-bar", values, data, today) == "?range=7d&unit=19768&agency=SXD"
    assert nav_search(spec, "units-bar", values, data, today) is None  # no click data: nothing to do
    assert nav_search(spec, f.unit, values, data, today) == "?range=7d"  # the unit cleared

    item = NavSpec(ids.CAMERA, unit_filter=False)
    assert nav_inputs(item) == [
        (ids.CAMERA.range, "value"),
        (ids.CAMERA.dates, "start_date"),
        (ids.CAMERA.dates, "end_date"),
    ]
    picked = {(ids.CAMERA.dates, "start_date"): "2026-11-01", (ids.CAMERA.dates, "end_date"): "2026-11-05"}
    custom = _store(range="custom", start=date(2026, 11, 10), end=date(2026, 11, 12))
    assert nav_search(item, ids.CAMERA.dates, picked, custom, today) == "?range=custom&from=2026-11-01&to=2026-11-05"
    assert nav_search(item, ids.CAMERA.unit, picked, _store(range="7d"), today) is None  # item pages have no unit
