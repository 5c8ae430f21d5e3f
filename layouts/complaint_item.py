"""One citizen report "/complaints/<complaint_id>": its facts and full timeline (scoped like the list it came from)."""

from __future__ import annotations

import dash
from dash import dcc, html

from ui import ids
from ui.drill_controls import LOADING
from ui.drill_nav import DRILL_ROLES
from ui.drill_page import visit
from ui.drill_state import to_store
from ui.i18n import t

dash.register_page(__name__, path_template="/complaints/<complaint_id>", title="IOC Huế – Phản ánh", roles=DRILL_ROLES)


def layout(complaint_id: str = "", **query: str) -> html.Div:
    """An empty frame; callbacks.complaint_item reads the report (or answers "not found") for this viewer."""
    v = visit(query)
    lang = v.lang
    return html.Div(
        [
            dcc.Store(id=ids.COMPLAINT_STORE, data={**to_store(v.state, v.win), "item": complaint_id}),
            dcc.Loading(html.Div(id=ids.COMPLAINT_DETAIL), **LOADING),
            html.Section(
                [html.H2(t("complaint.timeline", lang)), dcc.Loading(html.Div(id=ids.COMPLAINT_TIMELINE), **LOADING)],
                className="panel",
            ),
        ],
        className="page drill-page",
    )
