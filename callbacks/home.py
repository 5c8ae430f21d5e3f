"""Callbacks of the overview page: refresh the domain cards from the health report."""

from __future__ import annotations

from dash import Input, Output, callback

from data_sources import health
from ui import ids
from ui.home_cards import build_cards, checked_text
from ui.i18n import pick_language


@callback(
    Output(ids.HOME_CARDS, "children"),
    Output(ids.HOME_CHECKED, "children"),
    Input(ids.HOME_TICK, "n_intervals"),
)
def refresh_cards(_: int | None) -> tuple[list, str]:
    """Read health (streams, state, cached history) and rebuild the cards."""
    lang = pick_language()
    report = health.report()
    return build_cards(report, lang), checked_text(report, lang)
