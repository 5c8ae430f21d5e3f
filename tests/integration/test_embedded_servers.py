"""The embedded servers are part of the product: command-line tools with no DATABASE_URL / REDIS_URL find them at
their fixed places under VAR_DIR, and `manage.py run` restarts one that dies.

Every test has its own VAR_DIR (a short folder in /tmp: a unix socket path holds ~100 characters), starts real
servers there and stops all it started. The command-line tools run as subprocesses whose environment has no URL.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, func, select

from data_sources import schema, state
from data_sources.core.connections import sqlalchemy_url
from data_sources.core.embedded import Places, processes_in
from data_sources.core.embedded_servers import EmbeddedPostgres, EmbeddedRedis
from data_sources.core.servers import ensure_servers
from data_sources.core.settings import ROOT, Settings
from data_sources.core.streams import Keys
from data_sources.core.supervisor import Supervisor
from tests.auth_helpers import PAGE, csrf_from_form

pytestmark = pytest.mark.slow
INGEST = ["-m", "pipeline.ingest", "firms"]  # as the README writes it, after `python`
FIRMS_HEADER = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,"
FIRMS_HEADER += "bright_ti5,frp,daynight\n"
# Forest inside Huế: A Lưới, Nam Đông, Phong Điền, Hương Trà hills, Bạch Mã.
FOREST = [(16.2501, 107.2003), (16.1523, 107.6987), (16.5811, 107.3622), (16.4187, 107.4301), (16.1944, 107.8412)]


def _kill_servers_in(path: Path) -> None:
    for name, where in (("postgres", path / "pg"), ("redis-server", path / "redis")):
        for proc in processes_in(name, where):
            with contextlib.suppress(Exception):
                proc.kill()
                proc.wait(5)


def _new_var_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="ioc-emb-", dir="/tmp"))
    os.chmod(path, 0o755)  # as root, PostgreSQL runs as a system user that must reach its data directory
    yield path
    _kill_servers_in(path)
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def shared_var_dir():
    """One VAR_DIR for this module: PostgreSQL's initdb (and removing its data) costs seconds, so the tests take
    turns on it, each from "nothing running"; whatever still runs there at the end is killed."""
    yield from _new_var_dir()


@pytest.fixture
def own_var_dir():
    """A VAR_DIR for a test that damages what is in it."""
    yield from _new_var_dir()


@pytest.fixture
def var_dir(shared_var_dir):
    """The module's VAR_DIR with no server running in it, before and after the test."""
    _kill_servers_in(shared_var_dir)
    yield shared_var_dir
    _kill_servers_in(shared_var_dir)


def cli_env(var_dir: Path, prefix: str, **extra: str) -> dict[str, str]:
    """The environment of a shell where nothing is set but VAR_DIR (and this test's Redis prefix)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "VAR_DIR": str(var_dir), "REDIS_PREFIX": prefix, **extra}


def run_cli(args: list[str], env: dict[str, str], *, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


def firms_csv(folder: Path, points: list[tuple[float, float]], *, minutes_ago: int) -> Path:
    """A VIIRS area CSV of hotspots seen at `points` some minutes ago (the time is part of a hotspot's id)."""
    seen = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    row = "{},{},338.1,0.39,0.36,{:%Y-%m-%d},{:%H%M},N20,VIIRS,h,2.0NRT,296.3,6.2,D\n"
    rows = [row.format(lat, lon, seen, seen) for lat, lon in points]
    path = folder / f"fires-{uuid.uuid4().hex[:6]}.csv"
    path.write_text(FIRMS_HEADER + "".join(rows))
    return path


def hotspot_count(database_url: str) -> int:
    engine = create_engine(sqlalchemy_url(database_url))
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.hotspots)).scalar_one()
    finally:
        engine.dispose()


def wait_for(cond, *, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def test_emb001_tools_find_running_embedded_servers(var_dir, tmp_path):
    """Servers running at VAR_DIR's fixed places: ingest, init, users and the archiver use them, with no URL set;
    `users list` starts no second PostgreSQL."""
    places = Places.of(var_dir)
    pg, rd = EmbeddedPostgres(places), EmbeddedRedis(places)
    prefix = f"emb:{uuid.uuid4().hex[:6]}:"
    env = cli_env(var_dir, prefix, DEMO_FEED="false")
    try:
        for server in (pg, rd):
            assert server.acquire()
            server.start()
        assert rd.url() == f"unix://{var_dir}/redis/redis.sock"
        ingest = run_cli([*INGEST, str(firms_csv(tmp_path, FOREST[:3], minutes_ago=10)), "--json"], env)
        assert ingest.returncode == 0, ingest.stderr
        assert json.loads(ingest.stdout.splitlines()[-1])["accepted"] == 3
        assert redis.Redis.from_url(rd.url()).xlen(Keys(prefix).stream("fire")) == 3

        init = run_cli(["manage.py", "init"], env)
        assert init.returncode == 0, init.stderr[-2000:]
        before = hotspot_count(pg.url())
        users = run_cli(["manage.py", "users", "list"], env)
        assert users.returncode == 0, users.stderr[-2000:]
        assert users.stdout.startswith("username")
        archiver = run_cli(["-m", "pipeline.archiver", "--once", "--parsers", "0"], env)
        assert archiver.returncode == 0, archiver.stderr[-2000:]
        assert hotspot_count(pg.url()) == before + 3

        for tool in (init, users, archiver):  # none started a server of its own
            assert "embedded PostgreSQL started" not in tool.stderr and "embedded Redis started" not in tool.stderr
        assert pg.running_pid() == pg.pid and rd.running_pid() == rd.pid
    finally:
        rd.stop()
        pg.stop()


def test_emb002_tools_without_make_run_say_so_and_users_start_their_own(var_dir, tmp_path):
    """Nothing running: ingest, the archiver and the demo feed exit with a message naming `make run` and the URL
    to set; `manage.py users list` starts PostgreSQL for itself and stops it afterwards."""
    env = cli_env(var_dir, f"emb:{uuid.uuid4().hex[:6]}:")
    tools = [[*INGEST, str(firms_csv(tmp_path, FOREST[:1], minutes_ago=10))],
             ["-m", "pipeline.archiver", "--once"], ["-m", "pipeline.demo", "live"]]  # fmt: skip
    with ThreadPoolExecutor(max_workers=3) as pool:
        ingest, archiver, demo = pool.map(lambda args: run_cli(args, env), tools)
    assert ingest.returncode == 3
    assert "not running" in ingest.stderr and "make run" in ingest.stderr and "REDIS_URL" in ingest.stderr
    assert str(var_dir / "redis" / "redis.sock") in ingest.stderr and "Traceback" not in ingest.stderr
    for tool, variable in ((archiver, "DATABASE_URL"), (demo, "REDIS_URL")):
        assert tool.returncode == 2, tool.stderr[-2000:]
        assert "make run" in tool.stderr and variable in tool.stderr and "Traceback" not in tool.stderr

    users = run_cli(["manage.py", "users", "list"], env)
    assert users.returncode == 0, users.stderr[-2000:]
    assert users.stdout.startswith("username")
    assert processes_in("postgres", var_dir / "pg") == []  # stopped with the command
    assert processes_in("redis-server", var_dir / "redis") == []  # never needed
    pg = EmbeddedPostgres(Places.of(var_dir))
    assert pg.acquire()  # and its owner lock is free again
    pg.release()


def test_emb003_stale_postmaster_pid_does_not_block_the_next_start(var_dir):
    """After a crash (and a reboot that gave its pid to another program) postmaster.pid is stale: the next
    command still starts PostgreSQL."""
    pg = EmbeddedPostgres(Places.of(var_dir))
    assert pg.acquire()
    pg.start()
    os.kill(pg.pid, signal.SIGKILL)
    pg.proc.wait(timeout=10)
    pg.release()
    squatter = subprocess.Popen(["sleep", "60"])
    try:
        pid_file = var_dir / "pg" / "postmaster.pid"
        lines = pid_file.read_text().splitlines()
        pid_file.write_text("\n".join([str(squatter.pid), *lines[1:]]) + "\n")
        users = run_cli(["manage.py", "users", "list"], cli_env(var_dir, "emb:"))
        assert users.returncode == 0, users.stderr[-3000:]
        assert users.stdout.startswith("username")
        assert processes_in("postgres", var_dir / "pg") == []
    finally:
        squatter.kill()
        squatter.wait()


def test_emb004_supervisor_gives_up_on_a_server_that_cannot_come_back(own_var_dir, caplog):
    """A killed Redis whose append-only file is corrupt cannot start again: a few restarts with backoff, each
    logged, then a message that stops everything."""
    rd = EmbeddedRedis(Places.of(own_var_dir))
    assert rd.acquire()
    rd.start()
    supervisor = Supervisor([rd], first_delay=0.1, max_failures=3, start_timeout=10)
    try:
        assert supervisor.check() is None
        os.kill(rd.pid, signal.SIGKILL)
        rd.proc.wait(timeout=10)
        (own_var_dir / "redis" / "appendonly.aof").write_bytes(b"*2\r\n$3\r\nSET\r\nnot a command\r\n" * 3)
        with caplog.at_level(logging.WARNING, logger="supervisor"):
            message = wait_for(supervisor.check, timeout=60, what="the supervisor to give up", every=0.05)
        assert "giving up" in message and str(own_var_dir / "log" / "redis.log") in message
        lines = [r.getMessage() for r in caplog.records]
        assert lines[0] == "embedded Redis died (killed by SIGKILL); restarting"
        assert sum("did not come back (exit status 1" in line for line in lines) == 3, lines
        assert processes_in("redis-server", own_var_dir / "redis") == []
    finally:
        rd.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_emb005_make_run_restarts_killed_servers_and_tools_work_beside_it(var_dir, tmp_path):
    """`manage.py run` with no URL set: ingest and `users` work beside it; Redis and PostgreSQL killed with
    SIGKILL come back at the same socket with a log line; the web and the archiver carry on; Ctrl-C (SIGINT to
    its process group) stops everything."""
    prefix = f"emb:{uuid.uuid4().hex[:6]}:"
    port = _free_port()
    env = cli_env(var_dir, prefix, DEMO_FEED="false", PORT=str(port), SECRET_KEY=f"emb-{uuid.uuid4().hex}")
    base, places = f"http://127.0.0.1:{port}", Places.of(var_dir)
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as out:
        run = subprocess.Popen(
            [sys.executable, "manage.py", "run", "--workers", "1"], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip

    def log_text() -> str:
        return log_path.read_text(errors="replace")

    def answers() -> bool:
        with contextlib.suppress(requests.RequestException):
            return requests.get(base + "/healthz", timeout=5).status_code in (200, 503)
        assert run.poll() is None, log_text()[-3000:]
        return False

    try:
        wait_for(answers, timeout=120, what="manage.py run to serve", every=0.5)
        rd, pg = EmbeddedRedis(places), EmbeddedPostgres(places)
        admin = f"emb-{uuid.uuid4().hex[:6]}"
        create = ["manage.py", "users", "create", admin, "--role", "admin", "--password-stdin"]
        assert run_cli(create, env, stdin="emb-admin-password\n").returncode == 0
        session = requests.Session()
        form = session.get(base + "/login", headers=PAGE, timeout=10)
        signin = {"username": admin, "password": "emb-admin-password", "csrf_token": csrf_from_form(form.text)}
        assert session.post(base + "/login", data=signin, allow_redirects=False, timeout=10).status_code == 302

        before = hotspot_count(pg.url())

        def archived(n: int) -> bool:
            return hotspot_count(pg.url()) == before + n

        ingest = run_cli([*INGEST, str(firms_csv(tmp_path, FOREST[:3], minutes_ago=12))], env)
        assert ingest.returncode == 0 and "accepted 3" in ingest.stdout, ingest.stderr
        wait_for(lambda: archived(3), timeout=60, what="the archiver to store the hotspots")

        for server, name in ((rd, "Redis"), (pg, "PostgreSQL")):
            old_pid = server.running_pid()
            os.kill(old_pid, signal.SIGKILL)
            wait_for(lambda n=name: f"embedded {n} is back" in log_text(), timeout=60, what=f"{name} to come back")
            assert f"embedded {name} died (killed by SIGKILL); restarting" in log_text()
            assert server.answers() and server.running_pid() not in (None, old_pid)

        def both_up() -> bool:
            answer = session.get(base + "/healthz", timeout=10)
            body = answer.json() if answer.status_code in (200, 503) else {}
            return body.get("redis", {}).get("ok") is True and body.get("postgres", {}).get("ok") is True

        wait_for(both_up, timeout=60, what="the web worker to reach both servers again", every=1)
        ingest = run_cli([*INGEST, str(firms_csv(tmp_path, FOREST[3:], minutes_ago=14))], env)
        assert ingest.returncode == 0 and "accepted 2" in ingest.stdout, ingest.stderr
        wait_for(lambda: archived(5), timeout=60, what="the archiver to store hotspots after the restarts")
        live = state.read_hotspots(redis.Redis.from_url(rd.url()), k=Keys(prefix))
        assert len(live) == 5  # the projector, too, carried on

        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        assert run.wait(timeout=90) == 0, log_text()[-3000:]
        assert processes_in("postgres", places.pg_data) == []
        assert processes_in("redis-server", places.redis_dir) == []
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def test_emb006_servers_left_by_a_killed_run_are_used_taken_over_and_stoppable(var_dir, tmp_path):
    """A `make run` killed with SIGKILL leaves its servers running (they have sessions of their own): tools use
    them, the next run takes them over instead of starting second ones, and `manage.py servers stop` ends them."""
    env = cli_env(var_dir, f"emb:{uuid.uuid4().hex[:6]}:")
    hold = "from data_sources.core.servers import *; from data_sources.core.settings import *; import time\n"
    hold += "ensure_servers(get_settings(), supervise=True); print('up', flush=True); time.sleep(120)"
    run = subprocess.Popen([sys.executable, "-c", hold], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline().strip() == "up"
    finally:
        run.kill()
        run.wait()
    places = Places.of(var_dir)
    pids = {EmbeddedPostgres(places).running_pid(), EmbeddedRedis(places).running_pid()}
    assert None not in pids

    status = run_cli(["manage.py", "servers"], env)
    assert status.stdout.count("answers") == 2 and status.stdout.count("left by a killed `make run`") == 2
    ingest = run_cli([*INGEST, str(firms_csv(tmp_path, FOREST[:1], minutes_ago=16))], env)
    assert ingest.returncode == 0, ingest.stderr
    # A server of ours that does not answer yet (as in crash recovery; here stopped for 3 s) is waited for,
    # never joined by a second one on the same data directory.
    postmaster = EmbeddedPostgres(places).running_pid()
    os.kill(postmaster, signal.SIGSTOP)
    try:
        users = subprocess.Popen([sys.executable, "manage.py", "users", "list"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        lock = places.lock("postgresql")
        wait_for(lambda: lock.read_text().strip() == str(users.pid), timeout=60, what="the command to take the lock")
        time.sleep(4)  # two failed connection attempts (2 s timeout each)
        assert users.poll() is None, users.communicate()[1][-2000:]  # still waiting
    finally:
        os.kill(postmaster, signal.SIGCONT)
    out, err = users.communicate(timeout=60)
    assert users.returncode == 0 and out.startswith("username"), err[-2000:]
    assert EmbeddedPostgres(places).running_pid() == postmaster and "embedded PostgreSQL started" not in err

    servers = ensure_servers(Settings(database_url="", redis_url="", var_dir=var_dir), supervise=True)
    try:
        assert {server.pid for server in servers.owned} == pids  # taken over, not started again
        assert Supervisor(servers.owned).check() is None
    finally:
        for server in servers.owned:
            server.release()  # leave them running, unowned, for `servers stop`
        servers.owned.clear()
    stop = run_cli(["manage.py", "servers", "stop"], env)
    assert stop.returncode == 0 and stop.stdout.count("stopped now") == 2, stop.stdout + stop.stderr
    assert processes_in("postgres", places.pg_data) == [] and processes_in("redis-server", places.redis_dir) == []
