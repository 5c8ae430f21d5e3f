"""Traffic drill-down "/traffic": congestion by unit, hour of week, week on week, worst segments; state in the URL."""

from __future__ import annotations

import dash
from dash import dcc, html

from data_sources.settings import get_settings
from ui import drill_traffic, ids
from ui.auth import current_viewer
from ui.drill_controls import filter_bar, now_local, page_head, page_link, panel
from ui.drill_figures import CONFIG, PLACEHOLDER
from ui.drill_grid import grid
from ui.drill_labels import my_units, unit_codes, unit_name, unit_options, units_note
from ui.drill_map import drill_map
from ui.drill_nav import DRILL_ROLES, item_search
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
    f = ids.TRAFFIC
    graph = {"config": CONFIG, "figure": PLACEHOLDER}
    trail = [(t("nav.traffic", lang), page_link(PATH, state, unit=None) if state.unit else None)]
    if state.unit:
        trail.append((unit_name(state.unit, lang), None))
    return html.Div(
        [
            dcc.Location(id=f.url, refresh="callback-nav"),
            dcc.Store(id=f.store, data=to_store(state, win)),
            page_head(t("traffic.title", lang), win, lang, trail, note=units_note(viewer, lang)),
            filter_bar(
                f,
                state,
                lang=lang,
                today=now.date(),
                scoped=bool(my_units(viewer)),
                unit_options=unit_options(viewer, lang),
            ),
            dcc.Loading(html.Div(id=ids.TRAFFIC_KPIS, className="kpis"), type="dot", color="#4fb3ff"),
            html.Div(
                [
                    panel(
                        t("traffic.map", lang),
                        drill_map(
                            ids.TRAFFIC_MAP,
                            unit=state.unit,
                            focus=my_units(viewer),
                            tile_url=get_settings().tile_url,
                            lines=True,
                        ),
                        note=t("drill.map_hint", lang),
                    ),
                    panel(
                        t("traffic.by_unit", lang),
                        dcc.Graph(id=ids.TRAFFIC_UNITS, **graph),
                        note=t("drill.bar_hint", lang),
                    ),
                ],
                className="drill-row",
            ),
            html.Div(
                [
                    panel(t("traffic.heatmap", lang), dcc.Graph(id=ids.TRAFFIC_HEATMAP, **graph)),
                    panel(
                        t("traffic.compare", lang),
                        dcc.Graph(id=ids.TRAFFIC_COMPARE, **graph),
                        note=t("traffic.compare_note", lang),
                    ),
                ],
                className="drill-row",
            ),
            panel(
                t("traffic.worst", lang),
                dcc.Graph(id=ids.TRAFFIC_WORST, **graph),
                note=t("traffic.worst_hint", lang),
                wide=True,
            ),
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
        className="page drill-page",
    )
