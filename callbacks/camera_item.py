"""Callbacks of "/cameras/<camera_id>": the range rewrites the URL; the camera's history is drawn from it."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from data_sources.history import cameras
from ui import drill_cameras as build
from ui import ids
from ui.auth import current_viewer
from ui.drill_controls import now_local, read_store
from ui.drill_nav import next_search
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F = ids.CAMERA


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
    Output(ids.CAMERA_KPIS, "children"),
    Output(ids.CAMERA_SERIES, "figure"),
    Output(ids.CAMERA_PLATES_GRID.grid, "rowData"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw(data):
    """KPI tiles, alerts over time, and the camera's plate hits (masked unless cleared, then audited)."""
    state, win, camera_id = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    camera_id = camera_id or ""
    series, uptime = cameras.camera_page(viewer=viewer, window=win, camera_id=camera_id)
    hits = cameras.plate_hits(viewer=viewer, window=win, camera_id=camera_id)
    return (
        build.camera_kpis(series, uptime, lang),
        build.series_figure(series, win, lang),
        build.plate_rows(hits, lang),
    )


clientside_callback(
    ClientsideFunction("drill", "exportCsv"),
    Output(ids.CAMERA_PLATES_GRID.grid, "exportDataAsCsv"),
    Input(ids.CAMERA_PLATES_GRID.export, "n_clicks"),
    prevent_initial_call=True,
)
