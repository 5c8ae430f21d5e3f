"""Sign-in for the whole server: Flask-Login sessions, wall display tokens, the request guard, CSRF, cookie flags."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import redis
from dash import Dash
from flask import Flask, Response, current_app, g, jsonify, redirect, request
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import Unauthorized
from werkzeug.middleware.proxy_fix import ProxyFix

from data_sources import auth, privacy
from data_sources.core.cache import InFlight, Shared, cache
from data_sources.core.connections import get_engine, get_redis
from data_sources.core.settings import Settings, get_settings
from data_sources.ratelimit import RateLimiter
from data_sources.viewer import Viewer
from server import access, security, sessions
from server.signin_page import render_page
from ui.i18n import LANGUAGES, pick_language, t

log = logging.getLogger(__name__)

# Reachable without signing in. /healthz answers anonymous callers with its summary status only; /livez and
# /readyz are the load balancer's probes (server/routes.py): status words only, no data.
PUBLIC_PATHS = frozenset({"/login", "/logout", "/healthz", "/livez", "/readyz", "/favicon.ico", "/_favicon.ico"})
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
# The language switch: only the real languages (any other /lang/... path is a page like any other: signed in).
LANGUAGE_PATHS = frozenset(f"/lang/{lang}" for lang in LANGUAGES)
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_SECRET = "dev-only-change-me"
WALL_HOME = "/wall"
# How long a principal's last answer from PostgreSQL stands in for it while PostgreSQL is unreachable.
LAST_KNOWN_SECONDS = 6 * 3600
# How long an answer stands when account and token changes cannot be announced (Redis unreachable).
UNSIGNALLED_SECONDS = 3.0


@dataclass
class AuthState:
    """Per-app auth machinery, kept in app.extensions rather than in module globals."""

    app: Dash
    csrf: CSRFProtect
    per_user: RateLimiter
    per_address: RateLimiter


def install(app: Dash) -> None:
    """Wire sign-in, the guard, CSRF and security headers into the Dash app's Flask server (call once)."""
    server = app.server
    settings = get_settings()
    _configure(server, settings)
    manager = LoginManager()
    manager.init_app(server)
    manager.user_loader(_load_principal)
    manager.request_loader(_principal_from_header)
    csrf = CSRFProtect(server)
    limit = settings.signin_attempts_per_minute
    server.extensions["ioc_auth"] = AuthState(
        app=app,
        csrf=csrf,
        per_user=RateLimiter(get_redis, name="signin-user", limit=limit),
        # Spraying one password over many usernames from one address is throttled too, a little more loosely.
        per_address=RateLimiter(get_redis, name="signin-addr", limit=limit * 6),
    )
    server.before_request(_guard)
    server.after_request(_after)
    server.register_error_handler(CSRFError, _csrf_failed)
    for unreachable in PG_UNREACHABLE:
        server.register_error_handler(unreachable, _service_unavailable)
    from server import signin  # here, not at the top: the routes module imports this one

    signin.register(server)


def _configure(server: Flask, settings: Settings) -> None:
    if settings.secret_key == DEFAULT_SECRET:
        if not settings.demo_feed:
            raise RuntimeError("SECRET_KEY is the development default: set SECRET_KEY before serving real data")
        log.warning("SECRET_KEY is the development default: fine for the demo, never for production")
    if settings.trusted_proxy_hops > 0:
        n = settings.trusted_proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    server.config.update(
        SESSION_COOKIE_NAME="ioc_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # The signature's own lifetime; idle and absolute limits for people are checked in the guard.
        PERMANENT_SESSION_LIFETIME=timedelta(days=30),
        # Dash and the sign-in form send the token; the guard decides when to check it (after sign-in).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=True,
    )


# ---------------------------------------------------------------- who is signed in


def _generation() -> int | None:
    """The sign-in change counter from Redis, read at most once a second per process; None if unreachable."""
    try:
        return _GENERATION.get(int(time.monotonic()), lambda: auth.generation(get_redis()))
    except (redis.RedisError, RuntimeError):
        return None


_GENERATION = Shared(size=4, wait_s=2.0)


def _cached(key: str, load):
    """A principal from this process's cache until an account or token change is announced (within a second)
    or AUTH_CACHE_SECONDS pass, then from PostgreSQL again. Without the announcements (Redis unreachable) an
    answer is trusted UNSIGNALLED_SECONDS at most."""
    seconds = get_settings().auth_cache_seconds
    if seconds <= 0:
        return load()
    generation = _generation()
    if generation is None:
        seconds = min(seconds, UNSIGNALLED_SECONDS)
    return _single_load(f"{key}:g{generation}", key, load, seconds)


def _single_load(key: str, base: str, load, seconds: float):
    hit = cache.get(key)
    if hit is not None:
        return hit or None

    def after_wait():
        hit = cache.get(key)
        if hit is not None:
            return hit or None
        return _load_cached(key, base, load, seconds)  # the first load failed or is stuck: try ourselves

    return _LOADING.run(key, lambda: _load_cached(key, base, load, seconds), after_wait)


# One load per key at a time in this process: under gevent hundreds of requests can miss together when the
# entry expires, and each would queue for a PostgreSQL connection (bench/load.py saw the pool run dry).
_LOADING = InFlight(wait_s=5)


def _load_cached(key: str, base: str, load, seconds: float):
    try:
        value = load()
    except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError) as exc:  # + pool exhausted
        # PostgreSQL down must not lock the control room out of its live pages (they run on Redis): keep
        # trusting the last answer this process had. Disabling a user needs PostgreSQL too, so nothing is lost.
        last = cache.get(base + ":last")
        if last is None:
            raise
        if cache.add("auth:pg-down-logged", True, timeout=60):  # one line a minute, not one per request
            log.warning("PostgreSQL unreachable (%s); using last known sign-ins", type(exc).__name__)
        return last or None
    cache.set(key, value or False, timeout=max(1, round(seconds)))
    cache.set(base + ":last", value or False, timeout=LAST_KNOWN_SECONDS)
    return value


def _load_principal(session_id: str) -> auth.Principal | None:
    parsed = auth.parse_session_id(session_id)
    if parsed is None:
        return None
    kind, key, epoch = parsed
    if kind == "u":
        return _cached(f"auth:u:{key}:{epoch}", lambda: auth.load_user(get_engine(), key, epoch))
    return _cached(f"auth:t:{key}", lambda: auth.load_token(get_engine(), key))


def _principal_from_header(req) -> auth.Principal | None:
    """A wall screen that cannot keep cookies may send `Authorization: Bearer <display token>` instead."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    raw = header.removeprefix("Bearer ").strip()
    principal = _cached(f"auth:raw:{auth.hash_token(raw)}", lambda: auth.token_by_raw(get_engine(), raw))
    if principal is not None:
        g.ioc_header_auth = True  # the header cannot be forged cross-site, so CSRF does not apply
    return principal


def current_principal() -> auth.Principal | None:
    """The signed-in principal of this request, or None."""
    user = current_user
    return user if getattr(user, "is_authenticated", False) else None


def current_viewer() -> Viewer:
    """The Viewer that callbacks pass to data_sources; raises 401 if nobody is signed in (defence in depth)."""
    principal = current_principal()
    if principal is None:
        raise Unauthorized()
    viewer = principal.viewer()
    return Viewer(**{**viewer.__dict__, "remote_addr": request.remote_addr})


def home_for(principal: auth.Principal | None) -> str:
    """Where a principal lands: walls on the wall page, people on the overview."""
    return WALL_HOME if principal is not None and principal.role == "wall" else "/"


# ---------------------------------------------------------------- the guard


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path in LANGUAGE_PATHS or path.startswith(PUBLIC_PREFIXES)


def _is_wall_path(path: str) -> bool:
    return path == WALL_HOME or path.startswith(WALL_HOME + "/")


def auth_state() -> AuthState:
    """The auth machinery of the app serving this request."""
    return current_app.extensions["ioc_auth"]


def _guard() -> Response | None:
    """Runs before every request: public paths pass, everything else needs a principal allowed to see it."""
    path = request.path
    if _is_public(path):
        return None
    if request.method == "GET" and "token" in request.args and _is_wall_path(path):
        return _token_signin(request.args["token"])
    principal = current_principal()
    if principal is None:
        return _unauthenticated()
    ended = sessions.session_ended() if principal.kind == "user" else None
    if ended:
        sessions.end_session(principal, reason=ended)
        return _unauthenticated(expired=True)
    if request.method in MUTATING and not g.get("ioc_header_auth"):
        auth_state().csrf.protect()
    roles = _required_roles(path)
    if principal.role not in roles:
        return _forbidden(principal)
    return None


def _required_roles(path: str) -> frozenset[str]:
    app = auth_state().app
    if path == "/_dash-update-component":
        return access.callback_roles(app, request.get_json(silent=True))
    if path in access.SIGNED_IN_DASH_PATHS:
        return access.EVERYONE
    view = request.endpoint and app.server.view_functions.get(request.endpoint)
    roles = getattr(view, "ioc_roles", None)
    if roles is not None:
        return roles
    if request.endpoint in ("/", "/<path:path>") and request.method in ("GET", "HEAD"):
        return access.roles_for_path(app, path)
    # Any other route (exports, streams, APIs added later) defaults to people, never to wall screens.
    return access.STAFF


def allow_roles(*roles: str):
    """Decorator for plain Flask views: which roles the guard lets through (default: officer, dept_head, admin)."""

    def mark(view):
        view.ioc_roles = frozenset(roles)
        return view

    return mark


def _token_signin(raw: str) -> Response:
    """/wall?token=...: check the display token, start a wall session, and drop the token from the address bar."""
    principal = auth.token_by_raw(get_engine(), raw)
    lang = pick_language(request.args.get("lang"))
    if principal is None:
        privacy.audit(
            get_engine(), actor="anonymous", role=None, action="token_rejected", remote_addr=request.remote_addr
        )
        html = render_page(lang, heading_key="auth.title", message=t("auth.token_invalid", lang), form=False)
        return Response(html, status=401, mimetype="text/html")
    sessions.start_session(principal)
    sessions.audit_principal(principal, "token_signin")
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "token"]
    return redirect(request.path + ("?" + urlencode(rest) if rest else ""))


def _wants_json() -> bool:
    """Everything but a browser navigating to a page (which names text/html) gets a status code, not a redirect."""
    navigating = request.method in ("GET", "HEAD") and not request.path.startswith("/_dash-")
    return not (navigating and "text/html" in request.accept_mimetypes.values())


def _unauthenticated(*, expired: bool = False) -> Response:
    if _wants_json():
        response = jsonify(error="sign-in required")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="ioc"'
        return response
    target = request.full_path.rstrip("?") if request.query_string else request.path
    params = {"next": target} | ({"expired": "1"} if expired else {})
    return redirect("/login?" + urlencode(params))


def _forbidden(principal: auth.Principal) -> Response:
    sessions.audit_principal(principal, "access_denied", subject=request.path)
    if _wants_json():
        response = jsonify(error="forbidden")
        response.status_code = 403
        return response
    if principal.role == "wall" and request.path != WALL_HOME:
        return redirect(WALL_HOME)
    lang = pick_language()
    message = t("auth.forbidden.body", lang, role=t(f"role.{principal.role}", lang))
    html = render_page(lang, heading_key="auth.forbidden.title", message=message, form=False, home=home_for(principal))
    return Response(html, status=403, mimetype="text/html")


def _csrf_failed(error: CSRFError) -> Response:
    log.info("CSRF check failed on %s: %s", request.path, error.description)
    response = jsonify(error="csrf", reason=error.description)
    response.status_code = 400
    return response


# PostgreSQL unreachable (refused, timed out, cut, pool exhausted): the request cannot be served, it is not a bug.
PG_UNREACHABLE = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
RETRY_AFTER_SECONDS = 30


def _service_unavailable(error: Exception) -> Response:
    """Sign-in (or a page whose sign-in check) needs PostgreSQL while it is unreachable: 503 with a clear page for
    a browser, JSON for anything else, and one log line a minute instead of a traceback per request."""
    if cache.add("auth:pg-down-503", True, timeout=60):
        log.warning("PostgreSQL unreachable (%s): answering 503 (e.g. %s)", type(error).__name__, request.path)
    lang = pick_language(request.args.get("lang"))
    # A browser navigating or posting the sign-in form gets the page; Dash requests and other clients get JSON.
    browser = "text/html" in request.accept_mimetypes.values() and not request.path.startswith("/_dash-")
    if not browser:
        response = jsonify(error="service unavailable", reason="database unreachable")
        response.status_code = 503
    else:
        retry = "/login" if request.path in ("/login", "/logout") else request.path
        message = t("auth.unavailable", lang)
        html = render_page(
            lang, heading_key="auth.unavailable.title", message=message, form=False, home=retry, home_key="auth.retry"
        )
        response = Response(html, status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _signed_in() -> bool:
    """Whether a principal is signed in; True when that cannot be known (PostgreSQL down): never cache then."""
    try:
        return current_principal() is not None
    except PG_UNREACHABLE:
        return True


def _after(response: Response) -> Response:
    """Security headers on everything, the CSRF cookie Dash's renderer reads, no caching of signed-in data."""
    static = request.path.startswith(PUBLIC_PREFIXES)
    signed_in = not static and _signed_in()
    return security.apply_headers(auth_state().app, response, public_static=static, signed_in=signed_in)
