"""Callbacks of "/fire/units/<unit_code>": the range rewrites the URL; the unit's fire history is drawn from it."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from data_sources.history import fire
from ui import drill_fire as build
from ui import ids
from ui.auth import current_viewer
from ui.drill_controls import now_local, read_store
from ui.drill_nav import next_search
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F = ids.FIRE_UNIT


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
    Output(ids.FIRE_UNIT_KPIS, "children"),
    Output(ids.FIRE_UNIT_LEVELS, "figure"),
    Output(ids.FIRE_UNIT_MAP.layer, "data"),
    Output(ids.FIRE_UNIT_GRID.grid, "rowData"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw(data):
    """KPIs, the danger-level step line, the unit's hotspots and its bulletins (all scoped in SQL)."""
    state, win, unit = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    daily = fire.daily_levels(viewer=viewer, window=win, unit=unit)
    season = fire.season_days(viewer=viewer, until=win.until, unit=unit)
    hotspots = fire.hotspot_rows(viewer=viewer, window=win, unit=unit)
    bulletins = fire.bulletins(viewer=viewer, window=win, unit=unit)
    return (
        build.kpis(daily, season, hotspots, lang),
        build.bulletin_figure(bulletins, win, lang),
        build.hotspots_geojson(hotspots, lang),
        build.bulletin_rows(bulletins, lang),
    )


clientside_callback(
    ClientsideFunction("drill", "exportCsv"),
    Output(ids.FIRE_UNIT_GRID.grid, "exportDataAsCsv"),
    Input(ids.FIRE_UNIT_GRID.export, "n_clicks"),
    prevent_initial_call=True,
)
