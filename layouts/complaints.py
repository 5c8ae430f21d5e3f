"""Citizen reports drill-down "/complaints": on time, handling time, backlog, mix, satisfaction, due list; URL state."""

from __future__ import annotations

import dash
from dash import html
from sqlalchemy.exc import SQLAlchemyError

from data_sources.history import complaints
from server.auth import current_viewer
from ui import drill_complaints, ids
from ui.drill_controls import filter_bar, page_head, page_link, panel
from ui.drill_grid import grid
from ui.drill_labels import (
    agency_codes,
    agency_name,
    agency_note,
    agency_options,
    my_units,
    unit_codes,
    unit_name,
    unit_options,
)
from ui.drill_map import unit_bounds
from ui.drill_nav import DRILL_ROLES, item_search
from ui.drill_page import drill_page, graph, list_map, row, visit
from ui.i18n import t

PATH = "/complaints"
dash.register_page(__name__, path=PATH, title="IOC Huế – Phản ánh", nav_key="nav.complaints", roles=DRILL_ROLES)


def _trail(state, lang: str) -> list:
    trail = [(t("nav.complaints", lang), page_link(PATH, state, unit=None, agency=None))]
    if state.agency:
        trail.append((agency_name(state.agency, lang), page_link(PATH, state, unit=None) if state.unit else None))
    if state.unit:
        trail.append((unit_name(state.unit, lang), None))
    if len(trail) == 1:
        trail[0] = (trail[0][0], None)
    return trail


def _first_clusters(viewer, state, win, lang: str) -> dict | None:
    """The map's first clusters, sent with the page: it paints with the page instead of a callback later."""
    zoom, span = drill_complaints.initial_view(unit_bounds(state.unit, my_units(viewer)))
    try:
        df = complaints.clusters(viewer=viewer, window=win, zoom=zoom, span=span, unit=state.unit, agency=state.agency)
    except SQLAlchemyError:
        return None  # PostgreSQL is down: the page still opens (its banner says so) and the map stays empty
    return drill_complaints.clusters_geojson(df, lang)


def layout(**query: str) -> html.Div:
    """Rebuilt from the URL on every visit and every filter change (the URL is the only state)."""
    v, viewer = visit(query, units=unit_codes(), agencies=agency_codes()), current_viewer()
    lang, state, f = v.lang, v.state, ids.COMPLAINTS
    options = {
        "unit_options": unit_options(viewer, lang, agency_only=True),
        "agency_options": agency_options(viewer, lang),
    }
    complaints_map = list_map(
        ids.COMPLAINTS_MAP,
        state,
        viewer,
        cluster=True,
        point_styles=drill_complaints.POINT_STYLES,
        data=_first_clusters(viewer, state, v.win, lang),
    )
    return drill_page(
        f,
        v,
        page_head(t("complaints.title", lang), v.win, lang, _trail(state, lang), note=agency_note(viewer, lang)),
        filter_bar(f, state, lang=lang, today=v.now.date(), scoped=bool(my_units(viewer)), **options),
        ids.COMPLAINTS_KPIS,
        [
            row(
                panel(t("complaints.map", lang), complaints_map, note=t("complaints.map_hint", lang), loading=False),
                panel(t("complaints.by_unit", lang), graph(ids.COMPLAINTS_UNITS), note=t("drill.bar_hint", lang)),
            ),
            panel(
                t("complaints.due", lang),
                grid(
                    ids.COMPLAINTS_DUE_GRID,
                    drill_complaints.due_columns(lang, item_search(state)),
                    lang=lang,
                    file_name="complaints-due.csv",
                    height=360,
                ),
                note=t("complaints.due_note", lang),
                wide=True,
            ),
            row(
                panel(t("complaints.backlog", lang), graph(ids.COMPLAINTS_BACKLOG)),
                panel(t("complaints.ratings", lang), graph(ids.COMPLAINTS_RATINGS)),
            ),
            row(
                panel(t("complaints.by_category", lang), graph(ids.COMPLAINTS_CATEGORIES)),
                panel(t("complaints.by_channel", lang), graph(ids.COMPLAINTS_CHANNELS)),
            ),
            panel(
                t("complaints.by_agency", lang),
                graph(ids.COMPLAINTS_AGENCIES),
                note=t("complaints.agency_hint", lang),
                wide=True,
            ),
            panel(
                t("complaints.agency_table", lang),
                grid(
                    ids.COMPLAINTS_AGENCY_GRID,
                    drill_complaints.agency_columns(lang),
                    lang=lang,
                    file_name="complaints-agencies.csv",
                    height=360,
                ),
                wide=True,
            ),
        ],
    )
