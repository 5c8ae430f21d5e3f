"""No log line holds a display token: gunicorn's access and error logs (the production web process, started with
gunicorn.conf.py as the Procfile does) and werkzeug's request log (app.run, the test server)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from urllib.parse import quote

import pytest
import requests
from werkzeug.serving import make_server

from bench.deploy import Deployment
from server.logredact import MASK


def _requests(base: str, token: str) -> list[int]:
    """A wall signing in, a bad token, the token on a page that sends people to /login (encoded in `next`)."""
    codes = []
    paths = (f"/wall?token={token}", f"/wall?token={token}&lang=en", "/wall?token=ioc_wall_bogus-value-123",
             f"/traffic?range=7d&token={token}", f"/login?next={quote('/wall?token=' + token, safe='')}")  # fmt: skip
    for path in paths:
        response = requests.get(base + path, headers={"Accept": "text/html", "Referer": base + path},
                                allow_redirects=False, timeout=20)  # fmt: skip
        codes.append(response.status_code)
    return codes


@pytest.fixture
def gunicorn_web(live_env, accounts, tmp_path):
    """The web process alone, as the Procfile runs it, with its access log on (as `manage.py run` does)."""
    env = {"WEB_CONCURRENCY": "1", "WEB_ACCESS_LOG": "-", "SECRET_KEY": live_env["SECRET_KEY"]}
    prefix = f"{live_env['REDIS_PREFIX']}logs{uuid.uuid4().hex[:6]}:"
    deploy = Deployment(database_url=live_env["DATABASE_URL"], redis_url=live_env["REDIS_URL"], prefix=prefix, env=env)
    try:
        deploy.start("web", log_dir=tmp_path)
        deploy.wait_web(timeout=90)
        yield deploy
    finally:
        deploy.stop()


def test_log001_gunicorn_access_log_holds_no_token(gunicorn_web, accounts):
    token = accounts["wall"]["token"]
    codes = _requests(gunicorn_web.base, token)
    assert codes[0] == 302 and codes[2] == 401  # the sign-in happened and the bogus token was refused
    # The access log line of the last answer may reach the file a moment after the client has it.
    deadline = time.monotonic() + 10
    while True:
        log = gunicorn_web.tail("web", 10_000_000)
        lines = [line for line in log.splitlines() if "/wall?" in line or "/traffic?" in line or "/login?next" in line]
        if len(lines) >= 5 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert len(lines) >= 5, log[-3000:]  # the requests are in the log...
    assert token not in log and "ioc_wall_bogus-value-123" not in log  # ...without their tokens
    assert quote(token, safe="") not in log
    assert sum(MASK in line for line in lines) >= 5


def test_log002_werkzeug_request_log_holds_no_token(ioc_app, accounts, caplog):
    token = accounts["wall"]["token"]
    server = make_server("127.0.0.1", 0, ioc_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            codes = _requests(f"http://127.0.0.1:{server.server_port}", token)
    finally:
        server.shutdown()
        thread.join(10)
    assert codes[0] == 302
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len([line for line in lines if "GET /" in line]) >= 5, lines
    assert not [line for line in lines if token in line or "ioc_wall_bogus-value-123" in line]
    assert not [r.getMessage() for r in caplog.records if token in r.getMessage()]
