"""The app shell around every page: header, navigation, language switch, connection banner."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import dash
from dash import dcc, html
from flask import has_request_context, request
from flask_wtf.csrf import generate_csrf

from server.access import page_roles
from server.auth import current_principal
from ui import ids
from ui.i18n import LANGUAGES, t

# Pages that draw their own chrome (the wall is a kiosk) say so with register_page(kiosk=True) and put
# KIOSK_CLASS on their root (kiosk_class); the stylesheet then hides this header and banner around them with
# `.shell:has(.kiosk-page)`, in the same paint as the page: no flash of chrome, no callback, no re-render.
KIOSK_CLASS = "kiosk-page"


def kiosk_paths() -> list[str]:
    """Paths of the kiosk pages: they hide the shell's banner, so the shell stops polling for it there."""
    return sorted(p["path"] for p in dash.page_registry.values() if p.get("kiosk"))


def kiosk_class(module: str) -> str:
    """KIOSK_CLASS for a page registered with kiosk=True (by its module name), else ""."""
    return KIOSK_CLASS if dash.page_registry.get(module, {}).get("kiosk") else ""


# The header's order: overview and the live console first, then the history pages by domain.
NAV_ORDER = ("nav.home", "nav.console", "nav.traffic", "nav.fire", "nav.cameras", "nav.complaints")


def page_language() -> str | None:
    """`?lang=` of the page the browser shows, read while it loads the layout (its Referer, same origin only).

    Dash fetches the layout from /_dash-layout, without the page's query string; the page body reads `?lang=`
    from the URL, and so must the header, or a link with `?lang=en` opens an English page under a Vietnamese
    header. The Referrer-Policy is same-origin, so this is the app's own URL.
    """
    if not has_request_context() or not request.referrer:
        return None
    ref = urlsplit(request.referrer)
    if ref.netloc and ref.netloc != request.host:
        return None
    found = parse_qs(ref.query).get("lang", [None])[-1]
    return found if found in LANGUAGES else None


def nav_links(lang: str, keep_lang: bool = False) -> list:
    """One link per registered page that asks to be in the navigation and that the signed-in role may open.

    With `keep_lang` (the language came from the URL) each link carries `?lang=` so it stays chosen.
    """
    principal = current_principal()
    role = principal.role if principal else None
    pages = [p for p in dash.page_registry.values() if p.get("nav_key") and role in page_roles(p)]
    pages.sort(key=lambda p: NAV_ORDER.index(p["nav_key"]) if p["nav_key"] in NAV_ORDER else len(NAV_ORDER))
    suffix = f"?lang={lang}" if keep_lang else ""
    return [
        dcc.Link(t(page["nav_key"], lang), href=page["relative_path"] + suffix, className="nav-link") for page in pages
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
    """Header, banner slot and the page container; `?lang=` of the page wins over `lang`, as in the page body."""
    from_url = page_language()
    lang = from_url or lang
    return html.Div(
        [
            html.Header(
                [
                    html.Div(
                        [
                            html.Span("IOC", className="brand-mark"),
                            html.Span(t("app.title", lang), className="brand-title", title=t("app.title", lang)),
                        ],
                        className="brand",
                    ),
                    html.Nav(nav_links(lang, keep_lang=from_url is not None), className="nav"),
                    html.Div(id=ids.SHELL_CLOCK, className="clock"),
                    language_switch(lang),
                    user_box(lang),
                ],
                className="shell-header",
            ),
            html.Div(id=ids.SHELL_BANNER, className="banner hidden", role="alert"),
            dcc.Interval(id=ids.SHELL_HEALTH_TICK, interval=5_000),
            dcc.Store(id=ids.SHELL_KIOSK_PATHS, data=kiosk_paths()),
            html.Main(dash.page_container, className="shell-main"),
        ],
        className="shell",
        lang=lang,
    )
