"""AI cameras drill-down "/cameras": alerts by kind, unit, hour and camera; uptime; plate hits (masked by role)."""

from __future__ import annotations

import dash
from dash import html

from server.auth import current_viewer
from ui import drill_cameras, ids
from ui.drill_controls import panel
from ui.drill_grid import grid
from ui.drill_labels import unit_codes
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_page import graph, list_map, list_page, row, visit
from ui.i18n import t

PATH = "/cameras"
dash.register_page(__name__, path=PATH, title="IOC Huế – Camera", nav_key="nav.cameras", roles=DRILL_ROLES)


def layout(**query: str) -> html.Div:
    """Rebuilt from the URL on every visit and every filter change (the URL is the only state)."""
    v, viewer = visit(query, units=unit_codes()), current_viewer()
    lang, search = v.lang, item_search(v.state)
    camera_map = list_map(ids.CAMERAS_MAP, v.state, viewer, cluster=True, point_styles=drill_cameras.CAMERA_STYLES)
    return list_page(
        "cameras",
        PATH,
        ids.CAMERAS,
        ids.CAMERAS_KPIS,
        v,
        viewer,
        [
            row(
                panel(t("cameras.map", lang), camera_map, note=t("cameras.map_hint", lang)),
                panel(t("cameras.by_unit", lang), graph(ids.CAMERAS_UNITS), note=t("drill.bar_hint", lang)),
            ),
            row(
                panel(t("cameras.by_kind", lang), graph(ids.CAMERAS_KINDS)),
                panel(t("cameras.by_hour", lang), graph(ids.CAMERAS_HOURS)),
            ),
            panel(t("cameras.by_camera", lang), graph(ids.CAMERAS_TOP), note=t("cameras.camera_hint", lang), wide=True),
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
    )
