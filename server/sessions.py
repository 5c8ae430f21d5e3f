"""A person's or a wall's session: start, idle and absolute limits, sign-out that survives a copied cookie."""

from __future__ import annotations

import logging
import secrets
import time

from flask import request, session
from flask_login import login_user, logout_user

from data_sources import auth, privacy
from data_sources.core.connections import get_engine, get_redis
from data_sources.core.settings import get_settings

log = logging.getLogger(__name__)

# How often (at most) a busy session's "last seen" time is rewritten into the cookie.
SEEN_RESOLUTION_SECONDS = 60


def session_ended() -> str | None:
    """Why a person's session is over ("idle", "max_age", "replayed" after sign-out), or None while it is alive."""
    settings = get_settings()
    now = time.time()
    since, seen = session.get("ioc_since", 0), session.get("ioc_seen", 0)
    if now - seen > settings.session_idle_hours * 3600:
        return "idle"
    if now - since > settings.session_max_hours * 3600:
        return "max_age"
    if _sid_revoked(session.get("ioc_sid")):
        return "replayed"
    if now - seen > SEEN_RESOLUTION_SECONDS:
        session["ioc_seen"] = int(now)
    return None


def _sid_key(sid: str) -> str:
    return f"{get_settings().redis_prefix}auth:signed-out:{sid}"


def _sid_revoked(sid: str | None) -> bool:
    """A signed-out session's cookie, replayed, must not work: its id sits on a Redis deny list until it expires."""
    if not sid:
        return True
    try:
        return bool(get_redis().exists(_sid_key(sid)))
    except Exception as exc:  # Redis down: fall back to the cookie's own idle and absolute limits
        log.warning("cannot check the signed-out list: %s", exc)
        return False


def start_session(principal: auth.Principal) -> None:
    """A fresh session for `principal` (the old one is dropped first: no session fixation)."""
    session.clear()
    login_user(principal)
    now = int(time.time())
    session.update(ioc_since=now, ioc_seen=now, ioc_sid=secrets.token_urlsafe(16))
    # People's cookies die with the browser; a wall's survives restarts and never idles out.
    session.permanent = principal.role == "wall"


def end_session(principal: auth.Principal | None, *, reason: str) -> None:
    """Sign out: deny-list the session id (a copied cookie dies too), audit, and clear the cookie."""
    sid = session.get("ioc_sid")
    if sid:
        try:
            ttl = int(get_settings().session_max_hours * 3600) + 60
            get_redis().set(_sid_key(sid), 1, ex=ttl)
        except Exception as exc:  # the session still ends in this browser; only a copied cookie outlives it
            log.warning("cannot record sign-out in Redis: %s", exc)
    if principal is not None:
        # A cookie replayed after sign-out is a security event of its own, not another sign-out.
        audit_principal(principal, "session_replayed" if reason == "replayed" else "signout", detail={"reason": reason})
    logout_user()
    session.clear()


def audit_principal(principal: auth.Principal, action: str, **kwargs) -> None:
    """One audit row about a principal; never raises, so an audit outage cannot lock the room out."""
    actor = f"token:{principal.name}" if principal.kind == "token" else principal.name
    try:
        privacy.audit(
            get_engine(), actor=actor, role=principal.role, action=action, remote_addr=request.remote_addr, **kwargs
        )
    except Exception as exc:  # PostgreSQL down must not lock the control room out; the log line keeps the trace
        log.warning("audit write failed (%s %s): %s", actor, action, exc)
