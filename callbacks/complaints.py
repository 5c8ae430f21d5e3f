"""Callbacks of "/complaints": each panel reads the stored window and draws (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, State, callback, no_update
from dash.exceptions import PreventUpdate

from data_sources.history import complaints
from server.auth import current_viewer
from ui import drill_complaints as build
from ui import ids
from ui.drill_controls import now_local, read_store
from ui.drill_nav import feature_id, item_href
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F, MAP = ids.COMPLAINTS, ids.COMPLAINTS_MAP


# Registered before the charts: the renderer sends callbacks in this order, and the map paints first.
@callback(
    Output(MAP.layer, "data"),
    Input(MAP.map, "zoom"),
    Input(MAP.map, "bounds"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw_clusters(zoom, bounds, data):
    """The reports of the window clustered on the server for the zoom and bounds the map reports after each move."""
    view = build.cluster_view(zoom, bounds)
    if view is None:
        raise PreventUpdate  # the map reports its viewport once it has laid itself out
    state, win, _ = read_store(data)
    df = complaints.clusters(
        viewer=current_viewer(), window=win, zoom=view[0], span=view[1], unit=state.unit, agency=state.agency
    )
    return build.clusters_geojson(df, pick_language(state.lang))


@callback(Output(F.url, "href"), Input(MAP.layer, "clickData"), State(F.store, "data"), prevent_initial_call=True)
def open_complaint(click, data) -> str:
    """A report clicked on the map opens its page; a cluster click only zooms (in the browser)."""
    return item_href("/complaints", feature_id(click), data) or no_update


@callback(
    Output(ids.COMPLAINTS_KPIS, "children"),
    Output(ids.COMPLAINTS_AGENCIES, "figure"),
    Output(ids.COMPLAINTS_AGENCY_GRID.grid, "rowData"),
    Output(ids.COMPLAINTS_CATEGORIES, "figure"),
    Output(ids.COMPLAINTS_CHANNELS, "figure"),
    Output(ids.COMPLAINTS_RATINGS, "figure"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw_summary(data):
    """KPIs, on time per agency (bars and table), by category, by channel, satisfaction: one scan, one answer."""
    state, win, _ = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    scope = {"viewer": viewer, "window": win, "unit": state.unit, "agency": state.agency}
    parts = complaints.summary(**scope)
    return (
        build.kpis(parts["all"], lang),
        build.on_time_bars(parts["agency"], lang, by="agency", selected=state.agency),
        build.agency_rows(parts["agency"], lang),
        build.mix_figure(parts["category"], lang, "category"),
        build.mix_figure(parts["channel"], lang, "channel"),
        build.ratings_figure(complaints.ratings(**scope), lang),
    )


@callback(
    Output(ids.COMPLAINTS_UNITS, "figure"), Output(MAP.units, "data"), Input(F.store, "data"), on_error=on_drill_error
)
def draw_units(data):
    """On-time share per unit (bars) and reports received per unit (map colours)."""
    state, win, _ = read_store(data)
    lang = pick_language(state.lang)
    df = complaints.breakdown(viewer=current_viewer(), window=win, agency=state.agency, by="unit")
    return build.on_time_bars(df, lang, by="unit", selected=state.unit), build.units_geojson(df, lang)


@callback(Output(ids.COMPLAINTS_BACKLOG, "figure"), Input(F.store, "data"), on_error=on_drill_error)
def draw_backlog(data):
    """Open and overdue reports over the window."""
    state, win, _ = read_store(data)
    df = complaints.backlog(viewer=current_viewer(), window=win, unit=state.unit, agency=state.agency)
    return build.backlog_figure(df, win, pick_language(state.lang))


@callback(Output(ids.COMPLAINTS_DUE_GRID.grid, "rowData"), Input(F.store, "data"), on_error=on_drill_error)
def draw_due(data):
    """Open reports overdue or due within 24 h (as of now, whatever the window)."""
    state, _, _ = read_store(data)
    now = now_local().replace(second=0, microsecond=0)  # to the minute: the list is cached for 30 s
    df = complaints.due(viewer=current_viewer(), now=now, unit=state.unit, agency=state.agency)
    return build.due_rows(df, pick_language(state.lang))
