"""AI cameras drill-down "/cameras": alerts by kind, unit, hour and camera; uptime; plate hits (masked by role)."""

from __future__ import annotations

import dash
from dash import dcc, html

from data_sources.settings import get_settings
from ui import drill_cameras, ids
from ui.auth import current_viewer
from ui.drill_controls import filter_bar, now_local, page_head, page_link, panel
from ui.drill_figures import CONFIG, PLACEHOLDER
from ui.drill_grid import grid
from ui.drill_labels import my_units, unit_codes, unit_name, unit_options, units_note
from ui.drill_map import drill_map
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_state import parse, to_store, window
from ui.i18n import pick_language, t

PATH = "/cameras"
dash.register_page(__name__, path=PATH, title="IOC Huế – Camera", nav_key="nav.cameras", roles=DRILL_ROLES)


def layout(**query: str) -> html.Div:
    """Rebuilt from the URL on every visit and every filter change (the URL is the only state)."""
    lang = pick_language(query.get("lang"))
    now = now_local()
    viewer = current_viewer()
    state = parse(query, today=now.date(), units=unit_codes())
    win = window(state, now)
    f = ids.CAMERAS
    graph = {"config": CONFIG, "figure": PLACEHOLDER}
    trail = [(t("nav.cameras", lang), page_link(PATH, state, unit=None) if state.unit else None)]
    if state.unit:
        trail.append((unit_name(state.unit, lang), None))
    search = item_search(state)
    return html.Div(
        [
            dcc.Location(id=f.url, refresh="callback-nav"),
            dcc.Store(id=f.store, data=to_store(state, win)),
            page_head(t("cameras.title", lang), win, lang, trail, note=units_note(viewer, lang)),
            filter_bar(
                f,
                state,
                lang=lang,
                today=now.date(),
                scoped=bool(my_units(viewer)),
                unit_options=unit_options(viewer, lang),
            ),
            dcc.Loading(html.Div(id=ids.CAMERAS_KPIS, className="kpis"), type="dot", color="#4fb3ff"),
            html.Div(
                [
                    panel(
                        t("cameras.map", lang),
                        drill_map(
                            ids.CAMERAS_MAP,
                            unit=state.unit,
                            focus=my_units(viewer),
                            tile_url=get_settings().tile_url,
                            cluster=True,
                            point_styles=drill_cameras.CAMERA_STYLES,
                        ),
                        note=t("cameras.map_hint", lang),
                    ),
                    panel(
                        t("cameras.by_unit", lang),
                        dcc.Graph(id=ids.CAMERAS_UNITS, **graph),
                        note=t("drill.bar_hint", lang),
                    ),
                ],
                className="drill-row",
            ),
            html.Div(
                [
                    panel(t("cameras.by_kind", lang), dcc.Graph(id=ids.CAMERAS_KINDS, **graph)),
                    panel(t("cameras.by_hour", lang), dcc.Graph(id=ids.CAMERAS_HOURS, **graph)),
                ],
                className="drill-row",
            ),
            panel(
                t("cameras.by_camera", lang),
                dcc.Graph(id=ids.CAMERAS_TOP, **graph),
                note=t("cameras.camera_hint", lang),
                wide=True,
            ),
            panel(
                t("cameras.uptime", lang),
                grid(
                    ids.CAMERAS_UPTIME_GRID,
                    drill_cameras.uptime_columns(lang, search),
                    lang=lang,
                    file_name="cameras-uptime.csv",
                    height=360,
                ),
                note=t("cameras.uptime_note", lang),
                wide=True,
            ),
            panel(
                t("cameras.plates", lang),
                grid(
                    ids.CAMERAS_PLATES_GRID,
                    drill_cameras.plate_columns(lang, search),
                    lang=lang,
                    file_name="cameras-plate-hits.csv",
                    height=360,
                ),
                note=t("cameras.plates_note", lang),
                wide=True,
            ),
        ],
        className="page drill-page",
    )
