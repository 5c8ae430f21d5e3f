"""The app shell around every page: header, navigation, language switch, connection banner."""

from __future__ import annotations

import dash
from dash import dcc, html
from flask_wtf.csrf import generate_csrf

from ui import ids
from ui.access import page_roles
from ui.auth import current_principal
from ui.i18n import t

# Pages that draw their own chrome (the wall is a kiosk) say so with register_page(kiosk=True) and put
# KIOSK_CLASS on their root (kiosk_class); the stylesheet then hides this header and banner around them with
# `.shell:has(.kiosk-page)`, in the same paint as the page: no flash of chrome, no callback, no re-render.
KIOSK_CLASS = "kiosk-page"


def kiosk_class(module: str) -> str:
    """KIOSK_CLASS for a page registered with kiosk=True (by its module name), else ""."""
    return KIOSK_CLASS if dash.page_registry.get(module, {}).get("kiosk") else ""


def nav_links(lang: str) -> list:
    """One link per registered page that asks to be in the navigation and that the signed-in role may open."""
    principal = current_principal()
    role = principal.role if principal else None
    return [
        dcc.Link(t(page["nav_key"], lang), href=page["relative_path"], className="nav-link")
        for page in dash.page_registry.values()
        if page.get("nav_key") and role in page_roles(page)
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


def user_box(lang: str) -> html.Div:
    """Who is signed in and a sign-out button (a POST form carrying the CSRF token); empty for anonymous."""
    principal = current_principal()
    if principal is None:
        return html.Div(className="user-box")
    children: list = [
        html.Span(principal.display_name, className="user-name", id=ids.SHELL_USER),
        html.Span(t(f"role.{principal.role}", lang), className="user-role"),
    ]
    if principal.kind == "user":  # a wall display has nobody to sign out
        children.append(
            html.Form(
                [
                    dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
                    html.Button(t("auth.signout", lang), type="submit", id=ids.SHELL_SIGNOUT),
                ],
                action="/logout",
                method="POST",
            )
        )
    return html.Div(children, className="user-box")


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
                    user_box(lang),
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
