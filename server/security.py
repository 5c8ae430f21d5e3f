"""Response hardening: the Content-Security-Policy Dash runs under, framing rules, the CSRF cookie, no-store."""

from __future__ import annotations

from urllib.parse import urlparse

from dash import Dash
from flask import Response, request
from flask_wtf.csrf import generate_csrf

from data_sources.core.settings import get_settings

# Dash's renderer reads this cookie and echoes it in the X-CSRFToken header of every callback request
# (dash-renderer: csrf_token_name "_csrf_token", csrf_header_name "X-CSRFToken"). It must be readable
# by the page's script, so it cannot be HttpOnly; it is worthless without the HttpOnly session it is bound to.
CSRF_COOKIE = "_csrf_token"
WALL_PREFIX = "/wall"


def tile_origin(tile_url: str) -> str | None:
    """'https://{s}.tile.example.org/{z}/{x}/{y}.png' -> 'https://*.tile.example.org' (for img-src)."""
    if not tile_url:
        return None
    parsed = urlparse(tile_url.replace("{s}", "tiles"))
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    host = parsed.hostname
    if "{s}" in tile_url:
        host = "*." + host.split(".", 1)[1]
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}"


def frame_ancestors(path: str) -> str:
    """Only the wall may be framed, and only by the origins in WALL_FRAME_ANCESTORS."""
    origins = get_settings().wall_frame_ancestors.split()
    if (path == WALL_PREFIX or path.startswith(WALL_PREFIX + "/")) and origins:
        return " ".join(origins)
    return "'none'"


def content_security_policy(app: Dash, path: str) -> str:
    """A strict CSP: scripts only from this origin plus the hashes of Dash's own inline scripts."""
    img = ["'self'", "data:", "blob:"]
    origin = tile_origin(get_settings().tile_url)
    if origin:
        img.append(origin)
    directives = {
        "default-src": ["'self'"],
        # Dash's inline bootstrap (`new DashRenderer()`) and inline clientside callbacks, by hash; no eval.
        "script-src": ["'self'", *app.csp_hashes()],
        # Plotly and Leaflet inject <style> elements at run time; styles cannot run code.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": img,
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": [frame_ancestors(path)],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def apply_headers(app: Dash, response: Response, *, public_static: bool, signed_in: bool) -> Response:
    """Set the security headers; for signed-in, non-static answers also no-store and the CSRF cookie."""
    settings = get_settings()
    headers = response.headers
    path = request.path
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", content_security_policy(app, path))
    else:
        # JSON, scripts and images are never documents: nothing may load from them or frame them.
        headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    if frame_ancestors(path) == "'none'":
        # Older browsers ignore frame-ancestors; X-Frame-Options cannot list origins, so the wall omits it.
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if settings.secure_cookies:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if public_static:
        return response
    # Callback answers can hold personal data: no browser or proxy may keep a copy.
    headers["Cache-Control"] = "no-store"
    headers.setdefault("Pragma", "no-cache")
    if not signed_in:
        return response
    response.set_cookie(
        CSRF_COOKIE,
        generate_csrf(),
        httponly=False,
        samesite="Strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response
