"""Where drill-down clicks lead (pure)."""

from __future__ import annotations

from datetime import date, datetime

from data_sources.history.common import LOCAL
from ui.drill_nav import clicked, feature_id, item_href, next_search
from ui.drill_state import DrillState, to_store, window

NOW = datetime(2026, 11, 23, 14, 37, tzinfo=LOCAL)


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
