"""The one skeleton every drill and item page is built on: URL, stored state, heading, filters, KPIs, panels (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from data_sources.history.common import Window
from data_sources.viewer import Viewer
from ui.drill_controls import filter_bar, page_head, page_link
from ui.drill_figures import CONFIG, PLACEHOLDER
from ui.drill_labels import my_units, unit_name, unit_options, units_note
from ui.drill_state import DrillState
from ui.i18n import t
from ui.ids import DrillFilters

Trail = list[tuple[str, str | None]]


def drill_page(
    f: DrillFilters, store: dict, head: html.Div, bar: html.Div, kpis_id: str, body: Sequence, *, extra=None
) -> html.Div:
    """URL and state store, heading, an optional link under it, the filter bar, the KPI tiles, then the panels.

    The URL is the only state: the store is what the page was built from, the callbacks draw from it.
    """
    top = [dcc.Location(id=f.url, refresh="callback-nav"), dcc.Store(id=f.store, data=store), head]
    kpis = dcc.Loading(html.Div(id=kpis_id, className="kpis"), type="dot", color="#4fb3ff")
    return html.Div([*top, *([extra] if extra is not None else []), bar, kpis, *body], className="page drill-page")


def graph(graph_id: str) -> dcc.Graph:
    """A chart that shows a placeholder until its callback draws it."""
    return dcc.Graph(id=graph_id, config=CONFIG, figure=PLACEHOLDER)


def row(*panels) -> html.Div:
    """Panels side by side."""
    return html.Div(list(panels), className="drill-row")


def unit_filter_bar(f: DrillFilters, state: DrillState, viewer: Viewer, *, lang: str, today) -> html.Div:
    """A list page's filters: range, dates and the units this viewer may pick."""
    scoped = bool(my_units(viewer))
    return filter_bar(f, state, lang=lang, today=today, scoped=scoped, unit_options=unit_options(viewer, lang))


def list_trail(path: str, nav_key: str, state: DrillState, lang: str) -> Trail:
    """'Cameras › Thuận Hóa': the page, linked back to all units when one is picked."""
    trail: Trail = [(t(nav_key, lang), page_link(path, state, unit=None) if state.unit else None)]
    if state.unit:
        trail.append((unit_name(state.unit, lang), None))
    return trail


def list_head(page: str, path: str, state: DrillState, win: Window, viewer: Viewer, lang: str) -> html.Div:
    """A list page's heading ('<page>.title'), its trail and the note on the units the viewer sees."""
    trail = list_trail(path, f"nav.{page}", state, lang)
    return page_head(t(f"{page}.title", lang), win, lang, trail, note=units_note(viewer, lang))


def item_trail(path: str, nav_key: str, state: DrillState, unit: str, last: str, lang: str) -> Trail:
    """'Cameras › Thuận Hóa › CAM-0042': an item page's way back to its list and to its unit there."""
    return [
        (t(nav_key, lang), page_link(path, state)),
        (unit_name(unit, lang), page_link(path, state, unit=unit)),
        (last, None),
    ]
