"""The one skeleton every drill and item page is built on: URL, stored state, heading, filters, KPIs, panels (pure)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import dash_leaflet as dl
from dash import dcc, html

from data_sources.core.settings import get_settings
from data_sources.history.common import Window
from data_sources.viewer import Viewer
from ui.drill_controls import filter_bar, not_found, now_local, page_head, page_link
from ui.drill_figures import CONFIG, PLACEHOLDER
from ui.drill_labels import my_units, unit_name, unit_options, units_note
from ui.drill_map import drill_map
from ui.drill_outage import PG_DOWN, unavailable_page
from ui.drill_state import DrillState, parse, to_store, window
from ui.i18n import pick_language, t
from ui.ids import DrillFilters, DrillMap

Trail = list[tuple[str, str | None]]


@dataclass(frozen=True)
class Visit:
    """What a page is built from: the language, the clock, the state the URL asked for and its window."""

    lang: str
    now: datetime
    state: DrillState
    win: Window


def visit(query: Mapping[str, str], **codes: frozenset[str]) -> Visit:
    """Read a page's URL query (`codes`: the unit or agency codes its filters accept) at the current time."""
    now = now_local()
    state = parse(query, today=now.date(), **codes)
    return Visit(pick_language(query.get("lang")), now, state, window(state, now))


def item_or_answer(v: Visit, list_path: str, lookup: Callable[[], dict | None]) -> tuple[dict | None, html.Div | None]:
    """(the item's reference row, None), or (None, the page to show instead): "unavailable" when PostgreSQL is
    unreachable (not "not found"), the same "not found" whether the item is missing or out of scope."""
    try:
        row = lookup()
    except PG_DOWN:
        return None, unavailable_page(v.lang, v.state, list_path)
    if row is None:
        return None, not_found(v.lang, page_link(list_path, v.state))
    return row, None


def list_map(map_ids: DrillMap, state: DrillState, viewer: Viewer, **options) -> dl.Map:
    """A list page's map: the picked unit outlined, the viewer's own units in focus."""
    return drill_map(map_ids, unit=state.unit, focus=my_units(viewer), tile_url=get_settings().tile_url, **options)


def drill_page(
    f: DrillFilters,
    v: Visit,
    head: html.Div,
    bar: html.Div,
    kpis_id: str,
    body: Sequence,
    *,
    item: str | None = None,
    extra=None,
) -> html.Div:
    """URL and state store, heading, an optional link under it, the filter bar, the KPI tiles, then the panels.

    The URL is the only state: the store is what the page was built from (and the item an item page shows),
    the callbacks draw from it.
    """
    store = to_store(v.state, v.win) | ({"item": item} if item is not None else {})
    top = [dcc.Location(id=f.url, refresh="callback-nav"), dcc.Store(id=f.store, data=store), head]
    kpis = dcc.Loading(html.Div(id=kpis_id, className="kpis"), type="dot", color="#4fb3ff")
    return html.Div([*top, *([extra] if extra is not None else []), bar, kpis, *body], className="page drill-page")


def list_page(
    page: str, path: str, f: DrillFilters, kpis_id: str, v: Visit, viewer: Viewer, body: Sequence, *, extra=None
) -> html.Div:
    """A list page ("/cameras", "/traffic", "/fire"): the skeleton with its heading and unit filters."""
    return drill_page(f, v, list_head(page, path, v, viewer), unit_filter_bar(f, v, viewer), kpis_id, body, extra=extra)


def graph(graph_id: str) -> dcc.Graph:
    """A chart that shows a placeholder until its callback draws it."""
    return dcc.Graph(id=graph_id, config=CONFIG, figure=PLACEHOLDER)


def row(*panels) -> html.Div:
    """Panels side by side."""
    return html.Div(list(panels), className="drill-row")


def unit_filter_bar(f: DrillFilters, v: Visit, viewer: Viewer) -> html.Div:
    """A list page's filters: range, dates and the units this viewer may pick."""
    options = unit_options(viewer, v.lang)
    return filter_bar(f, v.state, lang=v.lang, today=v.now.date(), scoped=bool(my_units(viewer)), unit_options=options)


def range_bar(f: DrillFilters, v: Visit) -> html.Div:
    """An item page's filters: the range and dates only."""
    return filter_bar(f, v.state, lang=v.lang, today=v.now.date(), unit_options=None)


def list_trail(path: str, nav_key: str, state: DrillState, lang: str) -> Trail:
    """'Cameras › Thuận Hóa': the page, linked back to all units when one is picked."""
    trail: Trail = [(t(nav_key, lang), page_link(path, state, unit=None) if state.unit else None)]
    if state.unit:
        trail.append((unit_name(state.unit, lang), None))
    return trail


def list_head(page: str, path: str, v: Visit, viewer: Viewer) -> html.Div:
    """A list page's heading ('<page>.title'), its trail and the note on the units the viewer sees."""
    trail = list_trail(path, f"nav.{page}", v.state, v.lang)
    return page_head(t(f"{page}.title", v.lang), v.win, v.lang, trail, note=units_note(viewer, v.lang))


def item_trail(path: str, nav_key: str, state: DrillState, unit: str, last: str, lang: str) -> Trail:
    """'Cameras › Thuận Hóa › CAM-0042': an item page's way back to its list and to its unit there."""
    return [
        (t(nav_key, lang), page_link(path, state)),
        (unit_name(unit, lang), page_link(path, state, unit=unit)),
        (last, None),
    ]
