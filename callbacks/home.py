"""Callbacks of the overview page: refresh the domain cards from the health report."""

from __future__ import annotations

from dash import Input, Output, callback

from data_sources import health
from data_sources.settings import get_settings
from layouts.home import build_cards, checked_text
from ui import ids
from ui.i18n import pick_language


@callback(
    Output(ids.HOME_CARDS, "children"),
    Output(ids.HOME_CHECKED, "children"),
    Input(ids.HOME_TICK, "n_intervals"),
)
def refresh_cards(_: int | None) -> tuple[list, str]:
    """Read health (streams, state, cached history) and rebuild the cards."""
    settings = get_settings()
    lang = pick_language()
    report = health.report()
    cards = build_cards(
        report, lang, warn_seconds=settings.stale_warn_seconds, alarm_seconds=settings.stale_alarm_seconds
    )
    return cards, checked_text(report, lang)
