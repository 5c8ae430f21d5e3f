"""Drill-down callbacks during a PostgreSQL outage: panels say "history unavailable", never "no data"."""

from __future__ import annotations

import json

import pytest
import redis
from dash import no_update
from sqlalchemy import exc as sa_exc

from ui import drill_outage
from ui.i18n import t

PG_DOWN = sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))
OUTPUTS = [
    {"id": "traffic-kpis", "property": "children"},
    {"id": "traffic-compare", "property": "figure"},
    {"id": "traffic-worst", "property": "figure"},
    {"id": "traffic-grid", "property": "rowData"},
    {"id": "traffic-map-layer", "property": "data"},
]


def _text(value) -> str:
    """The value as text; a chart's hand-wrapped lines read as one sentence again."""
    return json.dumps(
        value.to_plotly_json() if hasattr(value, "to_plotly_json") else value, default=str, ensure_ascii=False
    ).replace("<br>", " ")


@pytest.fixture
def banner(monkeypatch):
    shown = {}
    monkeypatch.setattr("ui.outage.set_props", lambda component, props: shown.update({component: props}))
    monkeypatch.setattr("ui.outage.pick_language", lambda: "en")
    return shown


def test_drl301_figures_and_kpis_say_history_unavailable_the_rest_keeps_its_state():
    kpis, compare, worst, grid, layer = drill_outage.outputs_for(OUTPUTS, "en")
    message = t("drill.history_unavailable", "en")
    assert message in _text(kpis)
    for figure in (compare, worst):
        assert message in _text(figure)
        assert t("drill.no_data", "en") not in _text(figure)
    assert grid is no_update and layer is no_update


def test_drl302_a_single_output_gets_a_single_value_in_the_page_language():
    figure = drill_outage.outputs_for({"id": "cameras-hours", "property": "figure"}, "vi")
    assert t("drill.history_unavailable", "vi") in _text(figure)
    assert drill_outage.outputs_for({"id": "grid", "property": "rowData"}, "vi") is no_update


def test_drl303_the_handler_raises_the_banner_and_fills_the_outputs(banner, monkeypatch):
    store = {"state": {"range": "7d", "lang": "en"}, "since": "2026-11-01T00:00:00+07:00",
             "until": "2026-11-08T00:00:00+07:00", "grain": "hour"}  # fmt: skip
    monkeypatch.setattr(drill_outage, "callback_context", _Context(OUTPUTS, store))
    values = drill_outage.on_drill_error(PG_DOWN)
    (shown,) = banner.values()
    assert shown["className"] == "banner banner-down"
    assert t("drill.history_unavailable", "en") in _text(values[1])


def test_drl304_redis_outage_and_bugs_keep_ui_outage_behaviour(banner, monkeypatch):
    monkeypatch.setattr(drill_outage, "callback_context", _Context(OUTPUTS, None))
    assert drill_outage.on_drill_error(redis.ConnectionError("refused")) is None  # no_update everywhere
    with pytest.raises(KeyError):
        drill_outage.on_drill_error(KeyError("segment_id"))


def test_drl305_an_item_page_without_postgresql_says_so_and_links_back():
    from ui.drill_state import DrillState

    page = _text(drill_outage.unavailable_page("en", DrillState(range="30d", lang="en"), "/traffic"))
    assert t("drill.history_unavailable.title", "en") in page
    assert t("drill.not_found.title", "en") not in page
    assert "/traffic?" in page and "range=30d" in page


class _Context:
    """What Dash's callback_context offers an on_error handler: the outputs and the inputs of the failed call."""

    def __init__(self, outputs, store):
        self.outputs_list = outputs
        self.inputs_list = [{"id": "traffic-store", "property": "data", "value": store}]
        self.states_list = []


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_drl305_the_chart_message_is_wrapped_to_fit_a_half_width_panel(lang):
    text = drill_outage.figure(lang).to_plotly_json()["layout"]["annotations"][0]["text"]
    lines = text.split("<br>")
    assert lines[0] == t("drill.history_unavailable.title", lang) and len(lines) >= 2
    assert all(len(line) <= drill_outage.CHART_LINE for line in lines[1:])
    assert " ".join(lines[1:]) == t("drill.history_unavailable", lang)
