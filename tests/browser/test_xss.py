"""Hostile complaint text stays text in every renderer later pages use: plain components, AG Grid, map popups."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_leaflet as dl
import pytest
from dash import Dash, html

from tests.auth_helpers import ensure_started
from ui.safe_text import html_text

pytestmark = pytest.mark.browser

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>Đèn hỏng'


def _tiny_app() -> Dash:
    feature = {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [107.59, 16.46]},
        "properties": {"popup": html_text(HOSTILE), "tooltip": html_text(HOSTILE)},
    }
    app = Dash(__name__)
    app.layout = html.Div(
        [
            html.Div(HOSTILE, id="xss-text"),
            dag.AgGrid(
                id="xss-grid",
                rowData=[{"title": HOSTILE}],
                columnDefs=[{"field": "title"}],
                style={"height": 150, "width": 600},
            ),
            dl.Map(
                [dl.GeoJSON(data={"type": "FeatureCollection", "features": [feature]}, id="xss-geojson")],
                center=[16.46, 107.59],
                zoom=14,
                style={"height": 300, "width": 600},
                id="xss-map",
            ),
        ]
    )
    return app


def test_xss001_complaint_text_renders_as_text(dash_duo, ioc_app, screenshot):
    # Let the real app take the globally registered callbacks first, so the tiny app starts with none of them.
    ensure_started(ioc_app)
    dash_duo.start_server(_tiny_app())
    dash_duo.wait_for_text_to_equal("#xss-text", HOSTILE)
    dash_duo.wait_for_text_to_equal("#xss-grid .ag-cell[col-id='title']", HOSTILE)
    dash_duo.wait_for_element("#xss-map .leaflet-marker-icon").click()
    dash_duo.wait_for_text_to_equal(".leaflet-popup-content", HOSTILE)
    screenshot(dash_duo.driver, "xss001_hostile_text_as_text")
    assert dash_duo.driver.execute_script("return window.__pwned === undefined")
    assert dash_duo.driver.find_elements("css selector", "#xss-map .leaflet-popup-content img") == []
