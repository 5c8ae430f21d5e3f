"""Callbacks of "/traffic/segments/<segment_id>": the speed history drawn from the URL's range (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, callback

from data_sources.history import traffic
from server.auth import current_viewer
from ui import drill_traffic as build
from ui import ids
from ui.drill_controls import read_store
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F = ids.SEGMENT


@callback(
    Output(ids.SEGMENT_KPIS, "children"),
    Output(ids.SEGMENT_SPEED, "figure"),
    Output(ids.SEGMENT_MAP.layer, "data"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw(data):
    """KPI tiles, the speed chart and the segment on the map."""
    state, win, segment_id = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    segment = traffic.segment(viewer=viewer, segment_id=segment_id)
    if segment is None:
        return [], build.fig.empty("–", lang), build.drill_map.EMPTY
    history = traffic.segment_history(viewer=viewer, window=win, segment_id=segment_id)
    return (
        build.segment_kpis(history, segment, lang),
        build.speed_figure(history, segment, lang),
        build.segment_geojson(segment),
    )
