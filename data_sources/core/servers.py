"""Which PostgreSQL and Redis a process uses: the configured URLs, or the embedded servers at their fixed places.

With `DATABASE_URL` / `REDIS_URL` set, those are used and nothing is started. Unset, every process looks at the
same fixed places under `VAR_DIR` (data_sources.core.embedded.Places): `var/pg` (socket `var/pg/.s.PGSQL.5432`) and
`var/redis/redis.sock`. The rule, per tool:

- `manage.py run` (`make run`) uses a server that answers there, starts one that does not, and owns both: it
  restarts one that dies (data_sources.core.supervisor) and stops them last when it stops.
- `manage.py init`, `users`, `tokens` use the running server, or start one for the command and stop it after.
- `python -m pipeline.ingest`, `python -m pipeline.archiver`, `python -m pipeline.demo` only use a
  running server; when none answers they exit with a message saying `make run` is not running.

Ownership is a kernel lock (`var/run/<server>.lock`): only its holder starts or stops a server, so two processes
never start two servers on one data directory, and a crashed holder leaves no lock behind.
"""

from __future__ import annotations

import atexit
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from data_sources.core.embedded import EmbeddedServer, Places, ServerUnavailable
from data_sources.core.embedded_servers import EmbeddedPostgres, EmbeddedRedis
from data_sources.core.settings import Settings, get_settings

log = logging.getLogger(__name__)

POSTGRESQL, REDIS = "postgresql", "redis"
BOTH = (POSTGRESQL, REDIS)
_VARIABLE = {POSTGRESQL: "DATABASE_URL", REDIS: "REDIS_URL"}
# How long a command waits for a server another process is starting (or restarting) before it gives up.
WAIT_FOR_OWNER_S = 20.0
# How long `make run` waits for a command that started a server to finish with it before taking it over.
WAIT_FOR_COMMAND_S = 120.0

__all__ = [
    "BOTH", "POSTGRESQL", "REDIS", "ServerUnavailable", "Servers", "embedded_servers", "ensure_servers",
    "find_servers", "use_servers",
]  # fmt: skip


@dataclass
class Servers:
    """The URLs a process uses; `owned` are the embedded servers it started or took over and must stop."""

    database_url: str
    redis_url: str
    embedded: list[str] = field(default_factory=list)
    owned: list[EmbeddedServer] = field(default_factory=list, repr=False)

    def export(self) -> None:
        """Make these the URLs of this process (settings, cached clients) and of the children it starts."""
        from data_sources.core.connections import reset_connections

        for name, url in ((POSTGRESQL, self.database_url), (REDIS, self.redis_url)):
            if url:
                os.environ[_VARIABLE[name]] = url
        get_settings.cache_clear()
        reset_connections()

    def stop(self) -> None:
        """Stop the embedded servers this process owns (started or took over) and release their locks."""
        while self.owned:
            self.owned.pop().stop()


def embedded_servers(settings: Settings) -> dict[str, EmbeddedServer]:
    places = Places.of(settings.var_dir)
    return {POSTGRESQL: EmbeddedPostgres(places), REDIS: EmbeddedRedis(places)}


def _configured(settings: Settings, name: str) -> str:
    return settings.database_url if name == POSTGRESQL else settings.redis_url


def find_servers(settings: Settings | None = None, need: Iterable[str] = BOTH) -> Servers:
    """The configured URLs, or the embedded servers answering at their fixed places; never starts anything.

    Waits a little for a server its owner is (re)starting; raises ServerUnavailable when none answers.
    """
    settings = settings or get_settings()
    servers = Servers(settings.database_url, settings.redis_url)
    for name, server in embedded_servers(settings).items():
        if name not in need or _configured(settings, name):
            continue
        deadline = time.monotonic() + WAIT_FOR_OWNER_S
        while not server.answers():
            if server.acquire():  # nobody owns it: it is not running
                server.release()
                raise ServerUnavailable(
                    f"the embedded {server.name} is not running (nothing answers on {server.where}): start the "
                    f"app with `make run` in another shell, or set {_VARIABLE[name]}"
                )
            if time.monotonic() > deadline:
                raise ServerUnavailable(
                    f"the embedded {server.name} at {server.where} does not answer; its owner ({server.holder()}, "
                    f"`make run`) is starting it: see {server.places.log(server.key)}, or set {_VARIABLE[name]}"
                )
            time.sleep(0.2)
        setattr(servers, "database_url" if name == POSTGRESQL else "redis_url", server.url())
        servers.embedded.append(name)
    return servers


def use_servers(*need: str) -> Servers:
    """For a command-line tool: find the servers it needs (see find_servers) and make them its URLs."""
    servers = find_servers(get_settings(), need or BOTH)
    if servers.embedded:
        servers.export()
    return servers


def ensure_servers(settings: Settings, need: Iterable[str] = BOTH, *, supervise: bool = False) -> Servers:
    """The configured URLs, or the embedded servers: used if one answers, started (and owned) if not.

    With `supervise` (`make run`) this process owns every embedded server it uses, so it can restart it: a
    server left running by a crashed owner is taken over, and one a command started is taken over when that
    command is done with it. Owned servers are stopped by `Servers.stop()` (also at exit).
    """
    servers = Servers(settings.database_url, settings.redis_url)
    atexit.register(servers.stop)
    try:
        for name, server in embedded_servers(settings).items():
            if name not in need or _configured(settings, name):
                continue
            if _ensure_one(server, supervise=supervise):
                servers.owned.append(server)
            setattr(servers, "database_url" if name == POSTGRESQL else "redis_url", server.url())
            servers.embedded.append(name)
    except BaseException:
        servers.stop()
        raise
    return servers


def _ensure_one(server: EmbeddedServer, *, supervise: bool) -> bool:
    """Make `server` answer; True when this process owns it (started or took it over)."""
    deadline = time.monotonic() + (WAIT_FOR_COMMAND_S if supervise else WAIT_FOR_OWNER_S)
    while True:
        if server.acquire():
            try:
                if server.answers():
                    return _take_over(server) if supervise else _use_unowned(server)
                if server.running_pid() is None:
                    server.start()
                    return True
                # A server of ours works here without answering yet (crash recovery after a killed run, or a
                # shutdown): the lock is kept while it gets there.
            except BaseException:
                server.release()
                raise
        elif not supervise and server.answers():
            return False
        if time.monotonic() > deadline:
            message = _not_ready(server)
            server.release()
            raise ServerUnavailable(message)
        time.sleep(0.2)


def _use_unowned(server: EmbeddedServer) -> bool:
    """Left running by a crashed owner: a command uses it and leaves it to `make run` to take over."""
    server.release()
    return False


def _take_over(server: EmbeddedServer) -> bool:
    server.adopt()
    if server.pid is None:
        raise ServerUnavailable(
            f"something answers on {server.where} but no {server.name} of ours runs in {server.places.var}: "
            f"stop it, or set {_VARIABLE[server.key]}"
        )
    server.after_start()
    log.info("embedded %s already running (pid %s) at %s: taken over", server.name, server.pid, server.where)
    return True


def _not_ready(server: EmbeddedServer) -> str:
    if server.owned:
        return (
            f"the embedded {server.name} (pid {server.running_pid()}) works in {server.places.var} but does not "
            f"answer on {server.where}: see {server.places.log(server.key)}, or end it (manage.py servers stop)"
        )
    doing = "is using it" if server.answers() else "is starting it"
    return f"the embedded {server.name} at {server.where}: {server.holder()} {doing}"
