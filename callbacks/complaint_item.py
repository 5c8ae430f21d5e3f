"""Callbacks of "/complaints/<complaint_id>": read the report for this viewer and draw facts and timeline."""

from __future__ import annotations

from dash import Input, Output, callback, html

from data_sources.history import complaints
from server.auth import current_viewer
from ui import drill_complaint as build
from ui import ids
from ui.drill_controls import crumbs, not_found, now_local, page_link, read_store
from ui.drill_labels import unit_name
from ui.drill_outage import on_drill_error
from ui.i18n import pick_language, t


@callback(
    Output(ids.COMPLAINT_DETAIL, "children"),
    Output(ids.COMPLAINT_TIMELINE, "children"),
    Input(ids.COMPLAINT_STORE, "data"),
    on_error=on_drill_error,
)
def draw(data):
    """The report's heading, facts and timeline; the same "not found" whether missing or out of scope."""
    state, _, complaint_id = read_store(data)
    lang = pick_language(state.lang)
    back = page_link("/complaints", state)
    detail = complaints.detail(viewer=current_viewer(), complaint_id=complaint_id or "")
    if detail is None:
        return not_found(lang, back), None
    unit = detail["unit_code"]
    trail = [
        (t("nav.complaints", lang), back),
        (unit_name(unit, lang), page_link("/complaints", state, unit=unit)),
        (detail["complaint_id"], None),
    ]
    head = html.Div(
        [
            crumbs(trail),
            html.H1(build.heading(detail, lang)),
            html.Section(build.facts(detail, now_local(), lang), className="panel"),
        ],
        className="drill-head",
    )
    return head, build.timeline(detail, lang, now_local())
