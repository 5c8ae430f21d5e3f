"""One AI camera "/cameras/<camera_id>": its alerts over time, uptime and plate hits (masked by role)."""

from __future__ import annotations

import dash
from dash import html

from data_sources.history import cameras
from ui import drill_cameras, ids
from ui.auth import current_viewer
from ui.drill_controls import filter_bar, not_found, now_local, page_head, page_link, panel
from ui.drill_grid import grid
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_outage import PG_DOWN, unavailable_page
from ui.drill_page import drill_page, graph, item_trail
from ui.drill_state import parse, to_store, window
from ui.i18n import pick_language, t

dash.register_page(__name__, path_template="/cameras/<camera_id>", title="IOC Huế – Camera", roles=DRILL_ROLES)


def layout(camera_id: str = "", **query: str) -> html.Div:
    """The camera's reference row decides the heading; charts and grids arrive by callback."""
    lang = pick_language(query.get("lang"))
    now = now_local()
    state = parse(query, today=now.date())
    try:
        camera = cameras.camera(viewer=current_viewer(), camera_id=camera_id)
    except PG_DOWN:  # PostgreSQL unreachable: say so, not "not found"
        return unavailable_page(lang, state, "/cameras")
    back = page_link("/cameras", state)
    if camera is None:
        return not_found(lang, back)
    win = window(state, now)
    trail = item_trail("/cameras", "nav.cameras", state, camera["unit_code"], camera_id, lang)
    head = page_head(f"{camera['name']} ({camera_id})", win, lang, trail, note=drill_cameras.capabilities(camera, lang))
    return drill_page(
        ids.CAMERA,
        {**to_store(state, win), "item": camera_id},
        head,
        filter_bar(ids.CAMERA, state, lang=lang, today=now.date(), unit_options=None),
        ids.CAMERA_KPIS,
        [
            panel(t("camera.series", lang), graph(ids.CAMERA_SERIES), wide=True),
            panel(
                t("cameras.plates", lang),
                grid(
                    ids.CAMERA_PLATES_GRID,
                    drill_cameras.plate_columns(lang, item_search(state)),
                    lang=lang,
                    file_name=f"camera-{camera_id}-plate-hits.csv",
                    height=320,
                ),
                note=t("cameras.plates_note", lang),
                wide=True,
            ),
        ],
    )
