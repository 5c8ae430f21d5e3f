"""Callbacks of "/fire": filters and clicks rewrite the URL; each panel reads the stored window and draws."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from data_sources.history import fire
from ui import drill_fire as build
from ui import ids
from ui.auth import current_viewer
from ui.drill_controls import now_local, read_store
from ui.drill_nav import clicked, next_search
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F, MAP = ids.FIRE, ids.FIRE_MAP


@callback(
    Output(F.url, "search"),
    Input(F.range, "value"),
    Input(F.dates, "start_date"),
    Input(F.dates, "end_date"),
    Input(F.unit, "value"),
    Input(ids.FIRE_SEASON, "clickData"),
    Input(ids.FIRE_LEVELS, "clickData"),
    Input(MAP.units, "clickData"),
    State(F.store, "data"),
    prevent_initial_call=True,
)
def navigate(range_, start, end, unit, season_click, levels_click, map_click, data) -> str:
    """A filter change, a season bar, a heat-map row or a unit on the map becomes the next URL."""
    trigger, today = ctx.triggered_id, now_local().date()
    if trigger == F.range:
        search = next_search(data, today, range=range_)
    elif trigger == F.dates:
        search = next_search(data, today, start=start, end=end)
    elif trigger == F.unit:
        search = next_search(data, today, unit=unit)
    else:
        click = {ids.FIRE_SEASON: season_click, ids.FIRE_LEVELS: levels_click}.get(trigger, map_click)
        key = clicked(click)
        search = next_search(data, today, unit=key) if key else None
    return search or no_update


@callback(
    Output(ids.FIRE_KPIS, "children"),
    Output(ids.FIRE_LEVELS, "figure"),
    Output(ids.FIRE_SEASON, "figure"),
    Output(MAP.units, "data"),
    Output(MAP.layer, "data"),
    Output(ids.FIRE_GRID.grid, "rowData"),
    Input(F.store, "data"),
    on_error=on_drill_error,
)
def draw_levels(data):
    """Danger levels per unit and day, days at IV+ this season, unit colours and hotspots on the map, the KPIs."""
    state, win, _ = read_store(data)
    lang, viewer = pick_language(state.lang), current_viewer()
    daily = fire.daily_levels(viewer=viewer, window=win, unit=state.unit)
    season = fire.season_days(viewer=viewer, until=win.until, unit=state.unit)
    hotspots = fire.hotspot_rows(viewer=viewer, window=win, unit=state.unit)
    return (
        build.kpis(daily, season, hotspots, lang),
        build.levels_heatmap(daily, lang),
        build.season_bars(season, lang, state.unit),
        build.units_geojson(daily, lang),
        build.hotspots_geojson(hotspots, lang),
        build.hotspot_rows(hotspots, lang),
    )


clientside_callback(
    ClientsideFunction("drill", "exportCsv"),
    Output(ids.FIRE_GRID.grid, "exportDataAsCsv"),
    Input(ids.FIRE_GRID.export, "n_clicks"),
    prevent_initial_call=True,
)
