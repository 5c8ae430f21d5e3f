"""Road segment page "/traffic/segments/<segment_id>": speed history against a week earlier and free flow."""

from __future__ import annotations

import dash
from dash import html

from data_sources.core.settings import get_settings
from data_sources.history import traffic
from server.auth import current_viewer
from ui import ids
from ui.drill_controls import page_head, panel
from ui.drill_map import drill_map
from ui.drill_nav import DRILL_ROLES
from ui.drill_page import drill_page, graph, item_or_answer, item_trail, range_bar, row, visit
from ui.i18n import t

dash.register_page(
    __name__, path_template="/traffic/segments/<segment_id>", title="IOC Huế – Đoạn đường", roles=DRILL_ROLES
)


def layout(segment_id: str = "", **query: str) -> html.Div:
    """The segment's reference row decides the heading; the charts arrive by callback from the stored window."""
    v = visit(query)
    segment, answer = item_or_answer(
        v, "/traffic", lambda: traffic.segment(viewer=current_viewer(), segment_id=segment_id)
    )
    if segment is None:
        return answer
    lang, unit = v.lang, segment["unit_code"]
    title = f"{segment['road_name']} ({segment_id})"
    if segment.get("hot_spot_name"):
        title += f" – {segment['hot_spot_name']}"
    where = drill_map(ids.SEGMENT_MAP, unit=unit, tile_url=get_settings().tile_url, lines=True)
    return drill_page(
        ids.SEGMENT,
        v,
        page_head(title, v.win, lang, item_trail("/traffic", "nav.traffic", v.state, unit, segment_id, lang)),
        range_bar(ids.SEGMENT, v),
        ids.SEGMENT_KPIS,
        [
            row(
                panel(t("segment.speed", lang), graph(ids.SEGMENT_SPEED), note=t("traffic.compare_note", lang)),
                panel(t("segment.where", lang), where),
            ),
        ],
        item=segment_id,
    )
