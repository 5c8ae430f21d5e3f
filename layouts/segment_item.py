"""Road segment page "/traffic/segments/<segment_id>": speed history against a week earlier and free flow."""

from __future__ import annotations

import dash
from dash import html

from data_sources.history import traffic
from data_sources.settings import get_settings
from ui import ids
from ui.auth import current_viewer
from ui.drill_controls import filter_bar, not_found, now_local, page_head, page_link, panel
from ui.drill_map import drill_map
from ui.drill_nav import DRILL_ROLES
from ui.drill_outage import PG_DOWN, unavailable_page
from ui.drill_page import drill_page, graph, item_trail, row
from ui.drill_state import parse, to_store, window
from ui.i18n import pick_language, t

dash.register_page(
    __name__, path_template="/traffic/segments/<segment_id>", title="IOC Huế – Đoạn đường", roles=DRILL_ROLES
)


def layout(segment_id: str = "", **query: str) -> html.Div:
    """The segment's reference row decides the heading; the charts arrive by callback from the stored window."""
    lang = pick_language(query.get("lang"))
    now = now_local()
    state = parse(query, today=now.date())
    try:
        segment = traffic.segment(viewer=current_viewer(), segment_id=segment_id)
    except PG_DOWN:  # PostgreSQL unreachable: say so, not "not found"
        return unavailable_page(lang, state, "/traffic")
    back = page_link("/traffic", state)
    if segment is None:
        return not_found(lang, back)
    win = window(state, now)
    unit = segment["unit_code"]
    title = f"{segment['road_name']} ({segment_id})"
    if segment.get("hot_spot_name"):
        title += f" – {segment['hot_spot_name']}"
    return drill_page(
        ids.SEGMENT,
        {**to_store(state, win), "item": segment_id},
        page_head(title, win, lang, item_trail("/traffic", "nav.traffic", state, unit, segment_id, lang)),
        filter_bar(ids.SEGMENT, state, lang=lang, today=now.date(), unit_options=None),
        ids.SEGMENT_KPIS,
        [
            row(
                panel(t("segment.speed", lang), graph(ids.SEGMENT_SPEED), note=t("traffic.compare_note", lang)),
                panel(
                    t("segment.where", lang),
                    drill_map(ids.SEGMENT_MAP, unit=unit, tile_url=get_settings().tile_url, lines=True),
                ),
            ),
        ],
    )
