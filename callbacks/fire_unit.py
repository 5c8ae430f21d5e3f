"""Callbacks of "/fire/units/<unit_code>": the unit's fire history drawn from the URL's range (URL: drill_nav)."""

from __future__ import annotations

from dash import Input, Output, callback

from data_sources.history import fire
from server.auth import current_viewer
from ui import drill_fire as build
from ui import ids
from ui.drill_controls import read_store
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language

F = ids.FIRE_UNIT


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
