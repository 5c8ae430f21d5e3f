"""One unit's forest-fire history "/fire/units/<unit_code>": danger bulletins, hotspots, days at level IV+."""

from __future__ import annotations

import dash
from dash import html

from data_sources.core.settings import get_settings
from data_sources.history.fire import season_start
from ui import drill_fire, ids
from ui.drill_controls import not_found, page_head, page_link, panel
from ui.drill_grid import grid
from ui.drill_labels import day_text, unit_codes, unit_name
from ui.drill_map import drill_map
from ui.drill_nav import DRILL_ROLES
from ui.drill_page import drill_page, graph, range_bar, row, visit
from ui.i18n import t

dash.register_page(__name__, path_template="/fire/units/<unit_code>", title="IOC Huế – Cháy rừng", roles=DRILL_ROLES)


def layout(unit_code: str = "", **query: str) -> html.Div:
    """A known unit gets its page (what the viewer may see of it is decided in SQL); others get "not found"."""
    v = visit(query)
    lang, state = v.lang, v.state
    back = page_link("/fire", state)
    if unit_code not in unit_codes():
        return not_found(lang, back)
    name = unit_name(unit_code, lang)
    trail = [
        (t("nav.fire", lang), back),
        (name, page_link("/fire", state, unit=unit_code)),
        (t("fire.unit_page", lang), None),
    ]
    season = t("fire.season_note", lang, since=day_text(season_start(v.win.until), lang))
    fire_map = drill_map(
        ids.FIRE_UNIT_MAP,
        unit=unit_code,
        tile_url=get_settings().tile_url,
        forest=True,
        point_styles=drill_fire.HOTSPOT_STYLES,
    )
    return drill_page(
        ids.FIRE_UNIT,
        v,
        page_head(t("fire.unit_title", lang, unit=name), v.win, lang, trail, note=season),
        range_bar(ids.FIRE_UNIT, v),
        ids.FIRE_UNIT_KPIS,
        [
            row(panel(t("fire.timeline", lang), graph(ids.FIRE_UNIT_LEVELS)), panel(t("fire.map", lang), fire_map)),
            panel(
                t("fire.bulletins", lang),
                grid(
                    ids.FIRE_UNIT_GRID,
                    drill_fire.bulletin_columns(lang),
                    lang=lang,
                    file_name=f"fire-{unit_code}-bulletins.csv",
                    height=320,
                ),
                wide=True,
            ),
        ],
        item=unit_code,
    )
