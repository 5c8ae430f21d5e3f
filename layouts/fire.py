"""Forest-fire drill-down "/fire": danger level per unit and day, hotspot history map, days at level IV+ this season."""

from __future__ import annotations

import dash
from dash import dcc, html

from data_sources.history.fire import season_start
from server.auth import current_viewer
from ui import drill_fire, ids
from ui.drill_controls import page_link, panel
from ui.drill_grid import grid
from ui.drill_labels import day_text, unit_codes, unit_name
from ui.drill_nav import DRILL_ROLES
from ui.drill_page import graph, list_map, list_page, row, visit
from ui.i18n import t

PATH = "/fire"
dash.register_page(__name__, path=PATH, title="IOC Huế – Cháy rừng", nav_key="nav.fire", roles=DRILL_ROLES)


def layout(**query: str) -> html.Div:
    """Rebuilt from the URL on every visit and every filter change (the URL is the only state)."""
    v, viewer = visit(query, units=unit_codes()), current_viewer()
    lang, state = v.lang, v.state
    unit_page = None
    if state.unit:
        unit_page = dcc.Link(
            t("fire.open_unit", lang, unit=unit_name(state.unit, lang)),
            href=page_link("/fire/units/" + state.unit, state, unit=None),
            className="drill-button unit-page-link",
        )
    season = t("fire.season_note", lang, since=day_text(season_start(v.win.until), lang))
    fire_map = list_map(ids.FIRE_MAP, state, viewer, forest=True, point_styles=drill_fire.HOTSPOT_STYLES)
    return list_page(
        "fire",
        PATH,
        ids.FIRE,
        ids.FIRE_KPIS,
        v,
        viewer,
        [
            row(
                panel(t("fire.map", lang), fire_map, note=t("fire.map_hint", lang)),
                panel(t("fire.season", lang), graph(ids.FIRE_SEASON), note=season + " " + t("drill.bar_hint", lang)),
            ),
            panel(t("fire.levels", lang), graph(ids.FIRE_LEVELS), note=t("fire.levels_hint", lang), wide=True),
            panel(
                t("fire.hotspots", lang),
                grid(ids.FIRE_GRID, drill_fire.hotspot_columns(lang), lang=lang, file_name="fire-hotspots.csv"),
                wide=True,
            ),
        ],
        extra=unit_page,
    )
