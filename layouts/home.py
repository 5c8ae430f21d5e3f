"""Overview page "/": one card per live domain with its source health, current state and history depth."""

from __future__ import annotations

import dash
from dash import dcc, html

from data_sources.viewer import STAFF
from ui import ids
from ui.i18n import pick_language, t

dash.register_page(__name__, path="/", nav_key="nav.home", title="IOC Huế", roles=sorted(STAFF))


def layout(lang: str | None = None, **_query: str) -> html.Div:
    """Rebuilt per visit; the cards are filled by callbacks.home on a 5 s tick (built by ui.home_cards)."""
    lang = pick_language(lang)
    return html.Div(
        [
            html.H1(t("home.heading", lang)),
            html.P(t("home.intro", lang), className="muted"),
            html.Div(id=ids.HOME_CARDS, className="cards"),
            html.Div(id=ids.HOME_CHECKED, className="muted small"),
            dcc.Interval(id=ids.HOME_TICK, interval=5_000),
        ],
        className="page page-home",
    )
