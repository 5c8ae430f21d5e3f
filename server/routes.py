"""Plain HTTP routes next to Dash: /healthz, /livez and /readyz, and the language switch."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, jsonify, redirect, request

from data_sources import health
from server.auth import current_principal
from ui.i18n import LANG_COOKIE, LANGUAGES

ONE_YEAR = 365 * 24 * 3600
# Load balancers get the summary without signing in; stream names, ages and errors are for operators.
DETAILED_HEALTH_ROLES = frozenset({"officer", "admin"})


def register(server: Flask) -> None:
    """Attach the routes to the Flask server."""

    @server.get("/healthz")
    def healthz():
        """JSON status: 503 only when the live path (Redis) is down; `degraded` names the parts that are not well.

        Servers, streams and history in detail only for officers and admins (docs/operations.md "Health").
        """
        body = health.report()
        code = 503 if body["status"] == "down" else 200
        principal = current_principal()
        if principal is None or principal.role not in DETAILED_HEALTH_ROLES:
            summary = {"status": body["status"], "degraded": body["degraded"]}
            if body["loading"]:
                summary["loading"] = {"percent": body["loading"]["percent"]}
            return jsonify(summary), code
        return jsonify(body), code

    @server.get("/livez")
    def livez():
        """Liveness for a load balancer or supervisor: the process answers. No server is asked."""
        return jsonify(status="alive"), 200

    @server.get("/readyz")
    def readyz():
        """Readiness: 200 when this process can serve the live path (Redis answers), else 503.

        PostgreSQL is not part of it: without history the walls still work, so a wall must not be taken out.
        """
        ok, _ = health.ready()
        return jsonify(status="ready" if ok else "unavailable", redis=ok), (200 if ok else 503)

    # Only the real languages match: /lang/xx or /lang/x/y fall through to the guarded pages (server.auth).
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
