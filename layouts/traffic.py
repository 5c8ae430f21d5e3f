"""Traffic drill-down "/traffic": congestion by unit, hour of week, week on week, worst segments; state in the URL."""

from __future__ import annotations

import dash
from dash import html

from server.auth import current_viewer
from ui import drill_traffic, ids
from ui.drill_controls import panel
from ui.drill_grid import grid
from ui.drill_labels import unit_codes
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_page import graph, list_map, list_page, row, visit
from ui.i18n import t

PATH = "/traffic"
dash.register_page(__name__, path=PATH, title="IOC Huế – Giao thông", nav_key="nav.traffic", roles=DRILL_ROLES)


def layout(**query: str) -> html.Div:
    """Rebuilt from the URL on every visit and every filter change (the URL is the only state)."""
    v, viewer = visit(query, units=unit_codes()), current_viewer()
    lang = v.lang
    return list_page(
        "traffic",
        PATH,
        ids.TRAFFIC,
        ids.TRAFFIC_KPIS,
        v,
        viewer,
        [
            row(
                panel(
                    t("traffic.map", lang),
                    list_map(ids.TRAFFIC_MAP, v.state, viewer, lines=True),
                    note=t("drill.map_hint", lang),
                ),
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
                    drill_traffic.grid_columns(lang, item_search(v.state)),
                    lang=lang,
                    file_name="traffic-segments.csv",
                ),
                wide=True,
            ),
        ],
    )
