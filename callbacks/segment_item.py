"""Callbacks of "/traffic/segments/<segment_id>": the range rewrites the URL; the speed history is drawn from it."""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from data_sources.history import traffic
from ui import drill_traffic as build
from ui import ids
from ui.auth import current_viewer
from ui.drill_controls import now_local, read_store
from ui.drill_nav import next_search
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F = ids.SEGMENT


@callback(
    Output(F.url, "search"),
    Input(F.range, "value"),
    Input(F.dates, "start_date"),
    Input(F.dates, "end_date"),
    State(F.store, "data"),
    prevent_initial_call=True,
)
def navigate(range_, start, end, data) -> str:
    """A new range or custom dates become the next URL."""
    today = now_local().date()
    if ctx.triggered_id == F.range:
        return next_search(data, today, range=range_) or no_update
    return next_search(data, today, start=start, end=end) or no_update


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
