"""Callbacks of "/fire": each panel reads the stored window and draws (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, callback

from data_sources.history import fire
from server.auth import current_viewer
from ui import drill_fire as build
from ui import ids
from ui.drill_controls import read_store
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F, MAP = ids.FIRE, ids.FIRE_MAP


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
