"""The production deployment working together: the Procfile's web (gunicorn, gevent, 2 workers), archiver and feed
as separate processes on one PostgreSQL database and one Redis prefix (bench/deploy.py starts and stops them)."""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest
import redis
import requests
from sqlalchemy import create_engine, select

from bench.deploy import Deployment, procfile
from data_sources import schema
from data_sources.core.connections import sqlalchemy_url
from data_sources.core.streams import Keys
from tests.auth_helpers import PAGE, csrf_from_form

# More open push streams than the old gthread setup had threads (2 workers x 16): only an async worker holds them.
STREAMS_HELD = 48
PID = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d+) .* pid=<(\d+)>')


@pytest.fixture(scope="module")
def deployment(live_env, accounts, tmp_path_factory):
    """web + archiver + feed from the Procfile on the session database and a Redis prefix of this module."""
    prefix = f"{live_env['REDIS_PREFIX']}deploy{uuid.uuid4().hex[:6]}:"
    env = {"WEB_CONCURRENCY": "2", "WEB_ACCESS_LOG": "-", "FEED_RATE": "2", "SECRET_KEY": live_env["SECRET_KEY"]}
    deploy = Deployment(database_url=live_env["DATABASE_URL"], redis_url=live_env["REDIS_URL"], prefix=prefix, env=env)
    logs = tmp_path_factory.mktemp("deploy")
    try:
        for name in ("web", "archiver", "feed"):
            deploy.start(name, log_dir=logs)
        deploy.wait_web(timeout=60)
        yield deploy
    finally:
        deploy.stop()
        r = redis.Redis.from_url(live_env["REDIS_URL"])
        for key in r.scan_iter(match=f"{prefix}*", count=1000):
            r.delete(key)


def _access(deploy: Deployment) -> list[tuple[str, str, int, int]]:
    """(method, path, status, worker pid) of every request in gunicorn's access log."""
    return [(m[1], m[2], int(m[3]), int(m[4])) for m in PID.finditer(deploy.tail("web", 10_000_000))]


def _officer_session(deploy: Deployment, account: dict) -> requests.Session:
    s = requests.Session()
    form = s.get(deploy.base + "/login", headers=PAGE, timeout=10)
    data = {"username": account["username"], "password": account["password"], "csrf_token": csrf_from_form(form.text)}
    answer = s.post(deploy.base + "/login", data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    return s


def _shell_callback(deploy: Deployment, s: requests.Session) -> requests.Response:
    """The shell's health callback, as dash-renderer posts it on every page."""
    body = {
        "output": "..shell-banner.children...shell-banner.className..",
        "outputs": [{"id": "shell-banner", "property": "children"}, {"id": "shell-banner", "property": "className"}],
        "inputs": [{"id": "shell-health-tick", "property": "n_intervals", "value": 1}],
        "changedPropIds": ["shell-health-tick.n_intervals"],
    }
    headers = {"X-CSRFToken": s.cookies.get("_csrf_token", ""), "Content-Type": "application/json"}
    return s.post(deploy.base + "/_dash-update-component", data=json.dumps(body), headers=headers, timeout=10)


def _open_push(deploy: Deployment, cookie: str) -> tuple[socket.socket, object]:
    """GET /wall/push on a raw socket (as EventSource would); returns the socket and its reader after the headers."""
    url = urlparse(deploy.base)
    conn = socket.create_connection((url.hostname, url.port), timeout=15)
    head = f"GET /wall/push HTTP/1.1\r\nHost: {url.netloc}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n"
    conn.sendall(head.encode())
    reader = conn.makefile("rb")
    status = reader.readline().decode()
    assert " 200 " in status, status
    while reader.readline().strip():
        pass
    return conn, reader


def _next_event(reader) -> tuple[str, str]:
    """The next SSE message (event, data), skipping chunk-size lines of the chunked body."""
    event = data = ""
    while True:
        line = reader.readline().decode().rstrip("\r\n")
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif not line and event:
            return event, data


def test_deploy001_procfile_runs_gevent_with_two_workers(deployment):
    """`web:` is gunicorn with gunicorn.conf.py; the master runs two gevent workers; archiver and feed are up."""
    assert "gunicorn.conf.py" in procfile()["web"]
    assert len(deployment.workers()) == 2
    assert "Using worker: gevent" in deployment.tail("web", 1_000_000)
    assert "Booting worker" in deployment.tail("web", 1_000_000)
    assert "psycopg imported before gevent patching" not in deployment.tail("web", 1_000_000)
    for name in ("archiver", "feed"):
        assert deployment.procs[name].poll() is None, deployment.tail(name)


def test_deploy002_both_workers_serve_sign_in_and_callbacks(deployment, accounts):
    """Sign-ins and a Dash callback, on fresh connections, are answered by both workers (shared sessions)."""
    workers = {p.pid for p in deployment.workers()}

    def one(_: int) -> int:
        s = _officer_session(deployment, accounts["officer"])
        answer = _shell_callback(deployment, s)
        assert answer.status_code == 200, answer.text[:300]
        assert "shell-banner" in answer.json()["response"]
        return 1

    seen: dict[str, set[int]] = {}
    # Rounds of 4 at once (under the sign-in limit of 5 per user and minute: successes are given back); two
    # workers accepting on one socket share the connections out.
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(8):
            assert sum(pool.map(one, range(4))) == 4
            seen = {}
            for method, path, status, pid in _access(deployment):
                if (method, path.split("?")[0]) in (("POST", "/login"), ("POST", "/_dash-update-component")):
                    assert status in (200, 302)
                    seen.setdefault(path.split("?")[0], set()).add(pid)
            if seen.get("/login") == workers and seen.get("/_dash-update-component") == workers:
                break
    assert seen.get("/login") == workers, seen
    assert seen.get("/_dash-update-component") == workers, seen


def test_deploy003_feed_events_reach_redis_state_and_postgres(deployment, live_env):
    """What the feed process publishes, the archiver process projects into Redis and writes to PostgreSQL."""
    r = redis.Redis.from_url(live_env["REDIS_URL"])
    k = Keys(deployment.prefix)
    engine = create_engine(sqlalchemy_url(live_env["DATABASE_URL"]))
    deadline, missing = time.monotonic() + 30, None
    try:
        while time.monotonic() < deadline:
            entries = r.xrange(k.stream("traffic"), count=20)
            ids = [json.loads(fields[b"data"])["event_id"] for _, fields in entries]
            state = r.hlen(k.state("traffic"))
            if ids and state:
                with engine.connect() as conn:
                    table = schema.traffic_readings
                    stored = set(conn.execute(select(table.c.event_id).where(table.c.event_id.in_(ids))).scalars())
                missing = set(ids) - stored
                if not missing:
                    break
            time.sleep(0.5)
    finally:
        engine.dispose()
    assert ids, "the feed published nothing"
    assert state > 0, "the archiver's projector kept no current state"
    assert missing == set(), f"not archived to PostgreSQL: {sorted(missing)[:5]}"


def test_deploy004_wall_push_streams_while_many_are_open(deployment, accounts):
    """Many open /wall/push streams (more than threads would hold): each says ready, a later message moves on,
    and pages still answer meanwhile."""
    wall = requests.Session()
    assert (
        wall.get(f"{deployment.base}/wall?token={accounts['wall']['token']}", allow_redirects=False).status_code == 302
    )
    cookie = "; ".join(f"{c.name}={c.value}" for c in wall.cookies)
    held = []
    try:
        for _ in range(STREAMS_HELD):
            held.append(_open_push(deployment, cookie))
        readies = [_next_event(reader) for _, reader in held]
        assert all(event == "ready" for event, _ in readies), readies[:3]
        t0 = time.monotonic()
        page = requests.get(deployment.base + "/login", headers=PAGE, timeout=10)
        assert page.status_code == 200 and time.monotonic() - t0 < 5
        first = json.loads(readies[-1][1])
        for _ in range(20):
            event, data = _next_event(held[-1][1])
            if event in ("changed", "update"):
                break
        assert event in ("changed", "update"), event
        body = json.loads(data)
        newest = body.get("to", body)
        assert any(newest[name] != first[name] for name in first), (first, newest)
    finally:
        for conn, _ in held:
            conn.close()
