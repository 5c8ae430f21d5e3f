"""Pure builder of the console's connection banner: what it says and the down/up state it shows."""

from __future__ import annotations

from dash import html

from ui.i18n import t


def banner(*, redis_ok: bool, lang: str) -> tuple[list, str, str]:
    """(children, className, data-state) of the banner: hidden and "up" while Redis answers, the outage text else."""
    if redis_ok:
        return [], "console-banner console-banner-up", "up"
    return (
        [html.Strong("⚠ "), html.Span(t("console.banner.redis_down", lang))],
        "console-banner console-banner-down",
        "down",
    )
