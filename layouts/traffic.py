"""Traffic drill-down "/traffic": congestion by unit, hour of week, week on week, worst segments; state in the URL."""

from __future__ import annotations

import dash
from dash import html

from data_sources.settings import get_settings
from ui import drill_traffic, ids
from ui.auth import current_viewer
from ui.drill_controls import now_local, panel
from ui.drill_grid import grid
from ui.drill_labels import my_units, unit_codes
from ui.drill_map import drill_map
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_page import drill_page, graph, list_head, row, unit_filter_bar
from ui.drill_state import parse, to_store, window
from ui.i18n import pick_language, t

PATH = "/traffic"
dash.register_page(__name__, path=PATH, title="IOC Huế – Giao thông", nav_key="nav.traffic", roles=DRILL_ROLES)


def layout(**query: str) -> html.Div:
    """Rebuilt from the URL on every visit and every filter change (the URL is the only state)."""
    lang = pick_language(query.get("lang"))
    now = now_local()
    viewer = current_viewer()
    state = parse(query, today=now.date(), units=unit_codes())
    win = window(state, now)
    traffic_map = drill_map(
        ids.TRAFFIC_MAP, unit=state.unit, focus=my_units(viewer), tile_url=get_settings().tile_url, lines=True
    )
    return drill_page(
        ids.TRAFFIC,
        to_store(state, win),
        list_head("traffic", PATH, state, win, viewer, lang),
        unit_filter_bar(ids.TRAFFIC, state, viewer, lang=lang, today=now.date()),
        ids.TRAFFIC_KPIS,
        [
            row(
                panel(t("traffic.map", lang), traffic_map, note=t("drill.map_hint", lang)),
                panel(t("traffic.by_unit", lang), graph(ids.TRAFFIC_UNITS), note=t("drill.bar_hint", lang)),
            ),
            row(
                panel(t("traffic.heatmap", lang), graph(ids.TRAFFIC_HEATMAP)),
                panel(t("traffic.compare", lang), graph(ids.TRAFFIC_COMPARE), note=t("traffic.compare_note", lang)),
            ),
            panel(t("traffic.worst", lang), graph(ids.TRAFFIC_WORST), note=t("traffic.worst_hint", lang), wide=True),
            panel(
                t("traffic.segments", lang),
                grid(
                    ids.TRAFFIC_GRID,
                    drill_traffic.grid_columns(lang, item_search(state)),
                    lang=lang,
                    file_name="traffic-segments.csv",
                ),
                wide=True,
            ),
        ],
    )
