"""The guard on every route and callback: anonymous callers get nothing, each role only what its pages allow."""

from __future__ import annotations

import re

import dash
import pytest

from data_sources.viewer import ROLES
from server import access, auth
from tests.auth_helpers import PAGE, callback_body, csrf_header, ensure_started

pytestmark = pytest.mark.usefixtures("accounts")

# Routes that answer anonymous callers on purpose (and what they may give away: nothing about the data).
PUBLIC_ROUTES = {"/login", "/logout", "/healthz", "/livez", "/readyz", "/lang/<any(vi, en):lang>", "/_favicon.ico"}
STATIC_ROUTES = {"/static/<path:filename>", "/assets/<path:filename>"}


@pytest.fixture
def started(ioc_app):
    ensure_started(ioc_app)
    return ioc_app


def _server_callbacks(app) -> list[str]:
    return [key for key, entry in app.callback_map.items() if entry.get("callback") is not None]


def _concrete(rule: str) -> str:
    """A URL for a Flask rule: every <converter:name> becomes 'x'."""
    return re.sub(r"<[^>]+>", "x", rule)


# ---------------------------------------------------------------- anonymous: nothing anywhere


def test_anonymous_gets_no_data_from_any_callback(started, auth_client):
    """Every callback in the dependency map, called anonymously, answers 401 with no data in the body."""
    client = auth_client(None)
    keys = list(started.callback_map)
    assert len(_server_callbacks(started)) >= 3  # shell, overview and Dash's page router at least
    for key in keys:
        response = client.post("/_dash-update-component", json=callback_body(started, key))
        assert response.status_code == 401, key
        assert response.get_json() == {"error": "sign-in required"}, key


def test_anonymous_gets_no_page_and_no_dash_endpoint(started, auth_client):
    client = auth_client(None)
    for page in dash.page_registry.values():
        response = client.get(page["relative_path"], headers=PAGE)
        assert response.status_code == 302 and response.location.startswith("/login?next="), page["path"]
        assert b"_dash-config" not in response.data
    for path in ("/_dash-layout", "/_dash-dependencies", "/_reload-hash", "/some/unknown/page", "/wall"):
        response = client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 401, path


def test_every_flask_route_refuses_anonymous_callers(started, auth_client):
    """A route added later (export, stream, API) is covered by the default-deny guard without any extra code."""
    client = auth_client(None)
    for rule in started.server.url_map.iter_rules():
        if rule.rule in PUBLIC_ROUTES or rule.rule in STATIC_ROUTES or rule.rule.startswith("/_dash-component-suites"):
            continue
        url = _concrete(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, headers={"Accept": "application/json"})
            assert response.status_code == 401, f"{method} {rule.rule} -> {response.status_code}"


def test_healthz_gives_anonymous_callers_the_status_only(started, auth_client):
    # The summary: the status and which parts are degraded (and, while history loads, how far), no details.
    body = auth_client(None).get("/healthz").get_json()
    assert {"status", "degraded"} <= set(body) <= {"status", "degraded", "loading"}
    for role in ("wall", "dept_head"):
        assert {"status", "degraded"} <= set(auth_client(role).get("/healthz").get_json()) <= set(body) | {"loading"}
    assert auth_client(None).get("/livez").get_json() == {"status": "alive"}
    assert set(auth_client(None).get("/readyz").get_json()) == {"status", "redis"}
    detailed = auth_client("officer").get("/healthz").get_json()
    assert {"status", "redis", "postgres", "checked_at"} <= set(detailed)


# ---------------------------------------------------------------- every page and callback has an owner and roles


def test_every_page_declares_its_roles():
    for page in dash.page_registry.values():
        roles = page.get("roles")
        assert roles, f"{page['module']} must call register_page(..., roles=[...])"
        assert set(roles) <= set(ROLES), page["module"]


def test_every_server_callback_belongs_to_a_page_or_the_shell(started):
    """A callback in a module that is neither callbacks/<page>.py nor shared is denied to everyone: fail here."""
    for row in access.access_map(started):
        if row["kind"] == "callback" and not row["owner"].startswith("clientside"):
            assert row["roles"], f"callback {row['name']} has no owner: {row['owner']}"


def test_each_role_reaches_exactly_the_callbacks_of_its_pages(started, auth_client):
    """Signed in, a role gets 403 from callbacks of pages it may not open, and is let through elsewhere."""
    for role in ROLES:
        client = auth_client(role)
        for key in _server_callbacks(started):
            _, roles = access.callback_owner(key, started.callback_map[key])
            if access.is_router(key, started.callback_map[key]):
                continue  # checked per path below
            response = client.post(
                "/_dash-update-component", json=callback_body(started, key), headers=csrf_header(client)
            )
            if role in roles:
                assert response.status_code not in (401, 403), (role, key, response.status_code)
            else:
                assert response.status_code == 403, (role, key)
                assert response.get_json() == {"error": "forbidden"}


def _router_key(app) -> str:
    return next(k for k, e in app.callback_map.items() if access.is_router(k, e))


def _router_body(app, pathname: str) -> dict:
    return callback_body(app, _router_key(app), {("_pages_location", "pathname"): pathname})


def test_page_router_renders_a_page_only_for_its_roles(started, auth_client):
    """Dash's router is one callback for all pages: the guard checks the page the payload asks it to render."""
    wall = auth_client("wall")
    response = wall.post("/_dash-update-component", json=_router_body(started, "/"), headers=csrf_header(wall))
    assert response.status_code == 403
    officer = auth_client("officer")
    response = officer.post("/_dash-update-component", json=_router_body(started, "/"), headers=csrf_header(officer))
    assert response.status_code == 200 and "home-cards" in response.text


def test_page_router_cannot_be_fooled_by_an_extra_input(started, auth_client):
    """Dash binds inputs by position: a second, harmless-looking pathname entry must not change the decision."""
    wall = auth_client("wall")
    body = _router_body(started, "/")
    body["inputs"].append({"id": "_pages_location", "property": "pathname", "value": "/wall"})
    response = wall.post("/_dash-update-component", json=body, headers=csrf_header(wall))
    assert response.status_code == 403
    body = _router_body(started, "/")
    body["inputs"][0]["value"] = ["/wall"]  # not a string: nobody may render that
    response = wall.post("/_dash-update-component", json=body, headers=csrf_header(wall))
    assert response.status_code == 403


def test_unknown_or_malformed_callback_payloads_are_refused(started, auth_client):
    client = auth_client("admin")
    for body in ({"output": "nope.children"}, {"output": 5}, ["not", "an", "object"], {"inputs": []}):
        response = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
        assert response.status_code == 403, body
    response = client.post("/_dash-update-component", data="{not json", headers=csrf_header(client))
    assert response.status_code == 403


def test_page_gets_follow_the_page_roles(started, auth_client):
    assert auth_client("officer").get("/", headers=PAGE).status_code == 200
    assert auth_client("dept_head").get("/", headers=PAGE).status_code == 200
    # A wall display may only look at the wall: a browser is sent there, anything else gets 403.
    response = auth_client("wall").get("/", headers=PAGE)
    assert response.status_code == 302 and response.location == auth.WALL_HOME
    assert auth_client("wall").get("/").status_code == 403


# ---------------------------------------------------------------- CSRF, cookies, headers


def test_state_changing_requests_need_the_csrf_token(started, auth_client):
    client = auth_client("officer")
    key = next(k for k in _server_callbacks(started) if "shell-banner" in k)
    body = callback_body(started, key)
    assert client.post("/_dash-update-component", json=body).status_code == 400
    wrong = {"X-CSRFToken": "forged"}
    assert client.post("/_dash-update-component", json=body, headers=wrong).status_code == 400
    assert client.post("/_dash-update-component", json=body, headers=csrf_header(client)).status_code == 200


def test_bearer_token_requests_need_no_csrf(started, accounts):
    """A header credential cannot be sent by another site, so it needs no CSRF token (and sets no session)."""
    client = started.server.test_client()
    key = next(k for k in _server_callbacks(started) if "shell-banner" in k)
    headers = {"Authorization": f"Bearer {accounts['wall']['token']}"}
    response = client.post("/_dash-update-component", json=callback_body(started, key), headers=headers)
    assert response.status_code == 200
    bad = {"Authorization": "Bearer ioc_wall_not-a-real-token-at-all"}
    assert client.post("/_dash-update-component", json=callback_body(started, key), headers=bad).status_code == 401


def test_cookies_and_security_headers(started, auth_client, accounts):
    client = started.server.test_client()
    from tests.auth_helpers import sign_in

    response = sign_in(client, accounts["officer"]["username"], accounts["officer"]["password"])
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("ioc_session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    csrf_cookie = next(c for c in cookies if c.startswith("_csrf_token="))
    assert "HttpOnly" not in csrf_cookie and "SameSite=Strict" in csrf_cookie  # Dash's renderer must read it
    page = client.get("/", headers=PAGE)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Cache-Control"] == "no-store"
    data = client.get("/_dash-layout")
    assert data.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_only_the_wall_may_be_framed_and_only_by_configured_origins(started, auth_client, monkeypatch):
    from data_sources.core.settings import get_settings

    monkeypatch.setenv("WALL_FRAME_ANCESTORS", "https://videowall.hue.gov.vn")
    get_settings.cache_clear()
    try:
        wall = auth_client("wall").get("/wall")
        assert "frame-ancestors https://videowall.hue.gov.vn" in wall.headers["Content-Security-Policy"]
        assert "X-Frame-Options" not in wall.headers
        officer = auth_client("officer").get("/")
        assert "frame-ancestors 'none'" in officer.headers["Content-Security-Policy"]
    finally:
        monkeypatch.delenv("WALL_FRAME_ANCESTORS")
        get_settings.cache_clear()
