"""Callbacks of "/cameras/<camera_id>": the camera's history drawn from the URL's range (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, callback

from data_sources.history import cameras
from server.auth import current_viewer
from ui import drill_cameras as build
from ui import ids
from ui.drill_controls import read_store
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F = ids.CAMERA


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
