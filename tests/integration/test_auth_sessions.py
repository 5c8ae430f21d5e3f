"""Sign-in, sign-out, session expiry, disabled accounts, the sign-in rate limit and wall display tokens."""

from __future__ import annotations

import time

import pytest

from data_sources import auth, privacy
from data_sources.core.settings import get_settings
from tests.auth_helpers import PAGE, callback_body, csrf_from_form, csrf_header, ensure_started, sign_in

# The shell's health tick: the refresh interval every page (the wall too) polls at.
REFRESH_SECONDS = 5
# Web processes read the change counter in Redis at most once a second (server/auth.py).
ANNOUNCED_WITHIN = 1.5


@pytest.fixture
def started(ioc_app, accounts):
    ensure_started(ioc_app)
    return ioc_app


def _banner(app, client, headers=None):
    key = next(k for k in app.callback_map if "shell-banner" in k)
    return client.post("/_dash-update-component", json=callback_body(app, key), headers=headers or csrf_header(client))


def test_signin_then_signout_and_the_old_cookie_is_dead(started, accounts, engine):
    client = started.server.test_client()
    account = accounts["officer"]
    response = sign_in(client, account["username"], account["password"], next_path="/")
    assert response.status_code == 302 and response.location == "/"
    assert client.get("/").status_code == 200
    stolen = client.get_cookie("ioc_session").value
    # GET /logout must not sign anyone out (a link or an <img> could trigger it).
    client.get("/logout")
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_header(client)["X-CSRFToken"]})
    assert response.status_code == 302 and response.location == "/login?bye=1"
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401
    # Replaying the cookie captured before sign-out does not bring the session back.
    replay = started.server.test_client()
    replay.set_cookie("ioc_session", stolen)
    assert replay.get("/", headers={"Accept": "application/json"}).status_code == 401
    actions = [r["action"] for r in privacy.recent_audit(engine, actor=account["username"], limit=5)]
    assert actions[:3] == ["session_replayed", "signout", "signin"]


def test_wrong_password_is_refused_and_audited(started, accounts, engine):
    client = started.server.test_client()
    response = sign_in(client, accounts["officer"]["username"], "not-the-password")
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401
    rows = privacy.recent_audit(engine, actor=accounts["officer"]["username"], actions=["signin_failed"], limit=1)
    assert rows and rows[0]["remote_addr"] == "127.0.0.1"


def test_signin_form_needs_its_csrf_token(started, accounts):
    client = started.server.test_client()
    client.get("/login")
    data = {"username": accounts["officer"]["username"], "password": accounts["officer"]["password"]}
    assert client.post("/login", data=data).status_code == 400
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 401


def test_signin_is_rate_limited_per_address_and_username(started, engine, rkeys):
    """Five tries a minute: the sixth is refused even with the right password (and a new key prefix resets it)."""
    auth.create_user(engine, username="t-ratelimited", password="right-password-123", role="officer")
    client = started.server.test_client()
    limit = get_settings().signin_attempts_per_minute
    for _ in range(limit):
        assert sign_in(client, "t-ratelimited", "wrong-password-000").status_code == 401
    response = sign_in(client, "t-ratelimited", "right-password-123")
    assert response.status_code == 429
    assert "Quá nhiều lần đăng nhập" in response.text
    # Another username from the same address is not locked out by this one.
    other = started.server.test_client()
    assert sign_in(other, "t-ratelimited-other", "whatever-password").status_code == 401


def test_successful_signins_do_not_count_against_the_limit(started, accounts):
    account = accounts["admin"]
    for _ in range(get_settings().signin_attempts_per_minute + 2):
        client = started.server.test_client()
        assert sign_in(client, account["username"], account["password"]).status_code == 302


def test_open_redirects_are_refused(started, accounts):
    account = accounts["officer"]
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/login"):
        client = started.server.test_client()
        response = sign_in(client, account["username"], account["password"], next_path=target)
        assert response.status_code == 302 and response.location == "/", target


def test_sessions_expire_when_idle(started, accounts, monkeypatch):
    client = started.server.test_client()
    sign_in(client, accounts["officer"]["username"], accounts["officer"]["password"])
    assert client.get("/").status_code == 200
    monkeypatch.setenv("SESSION_IDLE_HOURS", str(1 / 3600))  # one second
    get_settings.cache_clear()
    try:
        time.sleep(1.5)
        response = client.get("/", headers=PAGE)
        assert response.status_code == 302 and "expired=1" in response.location
        assert client.get("/", headers={"Accept": "application/json"}).status_code == 401
    finally:
        monkeypatch.delenv("SESSION_IDLE_HOURS")
        get_settings.cache_clear()


def test_a_disabled_account_stops_working_within_one_refresh(started, engine):
    auth.create_user(engine, username="t-leaver", password="leaver-password-1", role="officer")
    client = started.server.test_client()
    assert sign_in(client, "t-leaver", "leaver-password-1").status_code == 302
    assert _banner(started, client).status_code == 200
    auth.set_disabled(engine, "t-leaver", disabled=True)
    time.sleep(ANNOUNCED_WITHIN)
    assert _banner(started, client).status_code == 401
    assert sign_in(started.server.test_client(), "t-leaver", "leaver-password-1").status_code == 401


def test_sign_in_answers_are_cached_until_a_change_is_announced(started, engine):
    """A change made behind the app's back (no announcement) waits for the cache; the announcement ends it."""
    from sqlalchemy import text

    auth.create_user(engine, username="t-cached", password="cached-password-1", role="officer")
    client = started.server.test_client()
    assert sign_in(client, "t-cached", "cached-password-1").status_code == 302
    assert _banner(started, client).status_code == 200
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET disabled_at = now() WHERE username = 't-cached'"))
    time.sleep(ANNOUNCED_WITHIN)
    assert _banner(started, client).status_code == 200  # still the cached answer (AUTH_CACHE_SECONDS is 60)
    auth.announce_change()
    time.sleep(ANNOUNCED_WITHIN)
    assert _banner(started, client).status_code == 401


def test_a_password_change_ends_other_sessions(started, engine):
    auth.create_user(engine, username="t-rotator", password="first-password-1", role="admin")
    client = started.server.test_client()
    sign_in(client, "t-rotator", "first-password-1")
    auth.set_password(engine, "t-rotator", "second-password-2")
    time.sleep(ANNOUNCED_WITHIN)
    assert _banner(started, client).status_code == 401


# ---------------------------------------------------------------- wall display tokens


def test_wall_token_signs_in_and_leaves_the_address_bar(started, accounts):
    client = started.server.test_client()
    response = client.get(f"/wall?token={accounts['wall']['token']}&lang=en", headers=PAGE)
    assert response.status_code == 302 and response.location == "/wall?lang=en"
    assert client.get("/wall").status_code == 200
    assert _banner(started, client).status_code == 200
    # The display may not open people's pages.
    assert client.get("/", headers=PAGE).location == "/wall"


def test_an_invalid_token_gets_a_message_not_a_session(started):
    client = started.server.test_client()
    response = client.get("/wall?token=ioc_wall_guessed-token-value-123", headers=PAGE)
    assert response.status_code == 401 and "Mã hiển thị không hợp lệ" in response.text
    assert client.get("/wall", headers={"Accept": "application/json"}).status_code == 401


def test_a_revoked_display_token_stops_working_within_one_refresh(started, engine):
    """The revocation is announced through Redis: both kinds of wall stop at their next refresh."""
    assert ANNOUNCED_WITHIN < REFRESH_SECONDS
    token_id, raw = auth.issue_token(engine, name="t-revoked wall", created_by="tests")
    session_wall = started.server.test_client()
    assert session_wall.get(f"/wall?token={raw}").status_code == 302
    header_wall = started.server.test_client()
    bearer = {"Authorization": f"Bearer {raw}"}
    assert _banner(started, session_wall).status_code == 200
    assert _banner(started, header_wall, headers=bearer).status_code == 200
    assert auth.revoke_token(engine, str(token_id))
    time.sleep(REFRESH_SECONDS)  # one refresh of the wall
    assert _banner(started, session_wall).status_code == 401
    assert _banner(started, header_wall, headers=bearer).status_code == 401
    assert started.server.test_client().get(f"/wall?token={raw}").status_code == 401
    tokens = {t["token_id"]: t for t in auth.list_tokens(engine)}
    assert tokens[token_id]["revoked_at"] is not None and tokens[token_id]["last_used_at"] is not None


def test_tokens_and_passwords_are_never_stored_in_the_clear(started, engine, accounts):
    from sqlalchemy import text

    with engine.connect() as conn:
        hashes = conn.execute(text("SELECT token_hash FROM display_tokens")).scalars().all()
        passwords = conn.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert accounts["wall"]["token"] not in hashes and auth.hash_token(accounts["wall"]["token"]) in hashes
    assert all(p.startswith("$argon2id$") for p in passwords)


def test_login_page_is_bilingual_and_escapes_what_it_echoes(started):
    client = started.server.test_client()
    page = client.get("/login")
    assert '<html lang="vi">' in page.text and "Đăng nhập" in page.text
    assert "Sign in" in client.get("/login?lang=en").text
    hostile = '"><script>alert(1)</script>'
    response = client.post(
        "/login", data={"username": hostile, "password": "x", "csrf_token": csrf_from_form(page.text)}
    )
    assert "<script>alert(1)</script>" not in response.text
