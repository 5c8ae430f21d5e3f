"""Callbacks of "/cameras": each panel reads the stored window and draws (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from data_sources.history import cameras
from server.auth import current_viewer
from ui import drill_cameras as build
from ui import ids
from ui.drill_controls import read_store
from ui.drill_nav import clicked, item_href
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F, MAP = ids.CAMERAS, ids.CAMERAS_MAP


@callback(
    Output(F.url, "href"),
    Input(ids.CAMERAS_TOP, "clickData"),
    Input(MAP.layer, "clickData"),
    State(F.store, "data"),
    prevent_initial_call=True,
)
def open_camera(bar_click, map_click, data) -> str:
    """A camera bar or a camera on the map opens that camera's page."""
    click = bar_click if ctx.triggered_id == ids.CAMERAS_TOP else map_click
    return item_href("/cameras", clicked(click), data) or no_update


@callback(
    Output(ids.CAMERAS_KPIS, "children"),
    Output(ids.CAMERAS_KINDS, "figure"),
    Output(ids.CAMERAS_UNITS, "figure"),
    Output(MAP.units, "data"),
    Output(ids.CAMERAS_UPTIME_GRID.grid, "rowData"),
    Output(MAP.layer, "data"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw_kinds(data):
    """Alerts by kind and by unit (bars and map colours), uptime (grid and camera points), and the KPI tiles."""
    state, win, _ = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    everywhere = cameras.by_unit_kind(viewer=viewer, window=win)
    kinds = everywhere[everywhere.unit_code == state.unit] if state.unit else everywhere
    uptime = cameras.uptime(viewer=viewer, window=win, unit=state.unit)
    return (
        build.kpis(kinds, uptime, lang),
        build.by_kind(kinds, lang),
        build.by_unit(everywhere, lang, state.unit),
        build.units_geojson(everywhere, lang),
        build.uptime_rows(uptime, lang),
        build.cameras_geojson(uptime, lang),
    )


@callback(Output(ids.CAMERAS_HOURS, "figure"), Input(F.store, "data"), on_error=on_drill_error)
def draw_hours(data):
    """Alerts by hour of day."""
    state, win, _ = read_store(data)
    return build.by_hour(
        cameras.by_hour(viewer=current_viewer(), window=win, unit=state.unit), pick_language(state.lang)
    )


@callback(Output(ids.CAMERAS_TOP, "figure"), Input(F.store, "data"), on_error=on_drill_error)
def draw_top(data):
    """The busiest cameras."""
    state, win, _ = read_store(data)
    return build.by_camera(
        cameras.by_camera(viewer=current_viewer(), window=win, unit=state.unit), pick_language(state.lang)
    )


@callback(Output(ids.CAMERAS_PLATES_GRID.grid, "rowData"), Input(F.store, "data"), on_error=on_drill_error)
def draw_plates(data):
    """Watch-list plate hits, masked by the data layer unless the viewer is cleared (then audited)."""
    state, win, _ = read_store(data)
    hits = cameras.plate_hits(viewer=current_viewer(), window=win, unit=state.unit)
    return build.plate_rows(hits, pick_language(state.lang))
