"""The app shell around every page: header, navigation, language switch, connection banner."""

from __future__ import annotations

import dash
from dash import dcc, html

from ui import ids
from ui.i18n import t

# Pages that draw their own chrome (the wall is a kiosk) list themselves here via register_page(kiosk=True).


def nav_links(lang: str) -> list:
    """One link per registered page that asks to be in the navigation, in registry order."""
    return [
        dcc.Link(t(page["nav_key"], lang), href=page["relative_path"], className="nav-link")
        for page in dash.page_registry.values()
        if page.get("nav_key")
    ]


def language_switch(lang: str) -> html.Div:
    """VI | EN links; the server sets a cookie and sends the browser back where it was."""
    return html.Div(
        [
            html.A("VI", href="/lang/vi", className="lang" + (" active" if lang == "vi" else ""), id="lang-vi"),
            html.A("EN", href="/lang/en", className="lang" + (" active" if lang == "en" else ""), id="lang-en"),
        ],
        className="lang-switch",
        title=t("lang.switch", lang),
    )


def layout(lang: str) -> html.Div:
    """Header, banner slot and the page container."""
    return html.Div(
        [
            html.Header(
                [
                    html.Div(
                        [html.Span("IOC", className="brand-mark"), html.Span(t("app.title", lang))],
                        className="brand",
                    ),
                    html.Nav(nav_links(lang), className="nav"),
                    html.Div(id=ids.SHELL_CLOCK, className="clock"),
                    language_switch(lang),
                ],
                className="shell-header",
            ),
            html.Div(id=ids.SHELL_BANNER, className="banner hidden", role="alert"),
            dcc.Interval(id=ids.SHELL_HEALTH_TICK, interval=5_000),
            html.Main(dash.page_container, className="shell-main"),
        ],
        className="shell",
        lang=lang,
    )
