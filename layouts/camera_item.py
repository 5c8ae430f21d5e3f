"""One AI camera "/cameras/<camera_id>": its alerts over time, uptime and plate hits (masked by role)."""

from __future__ import annotations

import dash
from dash import html

from data_sources.history import cameras
from server.auth import current_viewer
from ui import drill_cameras, ids
from ui.drill_controls import page_head, panel
from ui.drill_grid import grid
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_page import drill_page, graph, item_or_answer, item_trail, range_bar, visit
from ui.i18n import t

dash.register_page(__name__, path_template="/cameras/<camera_id>", title="IOC Huế – Camera", roles=DRILL_ROLES)


def layout(camera_id: str = "", **query: str) -> html.Div:
    """The camera's reference row decides the heading; charts and grids arrive by callback."""
    v = visit(query)
    camera, answer = item_or_answer(v, "/cameras", lambda: cameras.camera(viewer=current_viewer(), camera_id=camera_id))
    if camera is None:
        return answer
    lang = v.lang
    trail = item_trail("/cameras", "nav.cameras", v.state, camera["unit_code"], camera_id, lang)
    note = drill_cameras.capabilities(camera, lang)
    return drill_page(
        ids.CAMERA,
        v,
        page_head(f"{camera['name']} ({camera_id})", v.win, lang, trail, note=note),
        range_bar(ids.CAMERA, v),
        ids.CAMERA_KPIS,
        [
            panel(t("camera.series", lang), graph(ids.CAMERA_SERIES), wide=True),
            panel(
                t("cameras.plates", lang),
                grid(
                    ids.CAMERA_PLATES_GRID,
                    drill_cameras.plate_columns(lang, item_search(v.state)),
                    lang=lang,
                    file_name=f"camera-{camera_id}-plate-hits.csv",
                    height=320,
                ),
                note=t("cameras.plates_note", lang),
                wide=True,
            ),
        ],
        item=camera_id,
    )
