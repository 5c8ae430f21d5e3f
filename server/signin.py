"""Plain HTTP routes of sign-in: the /login form (rate-limited, CSRF-checked) and /logout."""

from __future__ import annotations

from flask import Flask, Response, redirect, request
from flask_wtf.csrf import CSRFError

from data_sources import auth, privacy
from data_sources.core.connections import get_engine
from server import auth as web_auth
from server import sessions
from server.signin_page import render_page
from ui.i18n import pick_language, t


def safe_next(value: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None: never an open redirect, never back to /login."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if value.startswith(("/login", "/logout")) or any(ord(c) < 32 for c in value):
        return None
    return value


def register(server: Flask) -> None:
    """Attach /login and /logout to the Flask server."""

    @server.route("/login", methods=["GET", "POST"])
    def login():
        """GET: the form. POST: check the password (after the rate limit and CSRF) and start a session."""
        lang = pick_language(request.args.get("lang"))
        next_path = safe_next(request.args.get("next"))
        signed_in = web_auth.current_principal()
        if request.method == "GET":
            if signed_in is not None:
                return redirect(next_path or web_auth.home_for(signed_in))
            message, tone = None, "info"
            if request.args.get("bye"):
                message = t("auth.signed_out", lang)
            elif request.args.get("expired"):
                message = t("auth.expired", lang)
            return _page(lang, message=message, tone=tone, next_path=next_path)
        state = web_auth.auth_state()
        try:
            state.csrf.protect()
        except CSRFError:
            # Usually a form left open past its session: ask again rather than show a bare error.
            return _page(lang, message=t("auth.expired", lang), next_path=next_path, status=400)
        username = (request.form.get("username") or "").strip().lower()[:64]
        password = (request.form.get("password") or "")[:1024]
        address = request.remote_addr or "-"
        if not (state.per_user.hit(address, username) and state.per_address.hit(address)):
            privacy.audit(
                get_engine(), actor=username or "-", role=None, action="signin_throttled", remote_addr=address
            )
            return _page(lang, message=t("auth.throttled", lang), username=username, next_path=next_path, status=429)
        principal = auth.authenticate(get_engine(), username=username, password=password) if username else None
        if principal is None:
            privacy.audit(get_engine(), actor=username or "-", role=None, action="signin_failed", remote_addr=address)
            return _page(lang, message=t("auth.failed", lang), username=username, next_path=next_path, status=401)
        state.per_user.undo(address, username)
        state.per_address.undo(address)
        sessions.start_session(principal)
        privacy.audit(get_engine(), actor=principal.name, role=principal.role, action="signin", remote_addr=address)
        return redirect(next_path or web_auth.home_for(principal))

    @server.route("/logout", methods=["GET", "POST"])
    def logout():
        """POST (with the CSRF token) ends the session; GET only shows where to go, so a link cannot sign anyone out."""
        principal = web_auth.current_principal()
        if request.method == "GET" or principal is None:
            return redirect("/login" if principal is None else web_auth.home_for(principal))
        web_auth.auth_state().csrf.protect()
        sessions.end_session(principal, reason="signout")
        return redirect("/login?bye=1")


def _page(
    lang: str, *, message: str | None, next_path: str | None, tone: str = "error", username: str = "", status: int = 200
) -> Response:
    html = render_page(lang, message=message, tone=tone, username=username, next_path=next_path)
    return Response(html, status=status, mimetype="text/html")
