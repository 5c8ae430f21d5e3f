"""Plain HTTP routes next to Dash: /healthz and the language switch."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, jsonify, redirect, request

from data_sources import health
from ui.auth import current_principal
from ui.i18n import LANG_COOKIE, LANGUAGES

ONE_YEAR = 365 * 24 * 3600
# Load balancers get the summary without signing in; stream names, ages and errors are for operators.
DETAILED_HEALTH_ROLES = frozenset({"officer", "admin"})


def register(server: Flask) -> None:
    """Attach the routes to the Flask server."""

    @server.get("/healthz")
    def healthz():
        """JSON status (503 when a server is down); servers, streams and history only for officers and admins."""
        body = health.report()
        code = 503 if body["status"] == "down" else 200
        principal = current_principal()
        if principal is None or principal.role not in DETAILED_HEALTH_ROLES:
            return jsonify(status=body["status"]), code
        return jsonify(body), code

    # Only the real languages match: /lang/xx or /lang/x/y fall through to the guarded pages (ui.auth).
    @server.get(f"/lang/<any({', '.join(LANGUAGES)}):lang>")
    def set_language(lang: str):
        """Remember the language in a cookie and go back to the page the switch was clicked on."""
        target = request.referrer or "/"
        # Only same-site paths: never an open redirect.
        parsed = urlparse(target)
        path = (parsed.path or "/") + (f"?{parsed.query}" if parsed.query else "")
        response = redirect(path if path.startswith("/") and not path.startswith("//") else "/")
        response.set_cookie(LANG_COOKIE, lang, max_age=ONE_YEAR, samesite="Lax", httponly=True)
        return response
