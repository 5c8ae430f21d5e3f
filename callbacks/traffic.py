"""Callbacks of "/traffic": each panel reads the stored window and draws (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, State, callback, no_update

from data_sources.history import traffic
from server.auth import current_viewer
from ui import drill_traffic as build
from ui import ids
from ui.drill_controls import read_store
from ui.drill_nav import clicked, item_href
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F, MAP = ids.TRAFFIC, ids.TRAFFIC_MAP


@callback(
    Output(F.url, "href"), Input(ids.TRAFFIC_WORST, "clickData"), State(F.store, "data"), prevent_initial_call=True
)
def open_segment(click, data) -> str:
    """A worst-segment bar opens that segment's page."""
    return item_href("/traffic/segments", clicked(click), data) or no_update


@callback(
    Output(ids.TRAFFIC_UNITS, "figure"), Output(MAP.units, "data"), Input(F.store, "data"), on_error=on_drill_error
)
def draw_units(data):
    """Congestion per unit: the bars and the map colours (both clickable)."""
    state, win, _ = read_store(data)
    lang = pick_language(state.lang)
    units = traffic.units(viewer=current_viewer(), window=win)
    return build.unit_bars(units, lang, state.unit), build.units_geojson(units, lang)


@callback(Output(ids.TRAFFIC_HEATMAP, "figure"), Input(F.store, "data"), on_error=on_drill_error)
def draw_heatmap(data):
    """Hour-of-week heat map of heavy congestion."""
    state, win, _ = read_store(data)
    lang = pick_language(state.lang)
    return build.heatmap(traffic.hour_of_week(viewer=current_viewer(), window=win, unit=state.unit), lang)


@callback(
    Output(ids.TRAFFIC_KPIS, "children"),
    Output(ids.TRAFFIC_COMPARE, "figure"),
    Output(ids.TRAFFIC_WORST, "figure"),
    Output(ids.TRAFFIC_GRID.grid, "rowData"),
    Output(MAP.layer, "data"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw_segments(data):
    """KPIs, this period against a week earlier, worst segments (bars), every segment (grid) and their map colours.

    One callback for everything that reads the segment ranking: separate ones would each miss the cold cache
    at the same moment and run the same query twice.
    """
    state, win, _ = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    compare = traffic.compare(viewer=viewer, window=win, unit=state.unit)
    segments = traffic.segments(viewer=viewer, window=win, unit=state.unit)
    return (
        build.kpis(compare, segments, lang),
        build.compare_figure(compare, lang),
        build.worst_figure(segments, lang),
        build.grid_rows(segments, lang),
        build.segments_geojson(segments, lang),
    )
