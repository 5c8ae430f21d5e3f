"""The Procfile's processes started as in production, each in its own process group (bench/load.py, tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data_sources import db, reference  # noqa: E402
from data_sources.core.connections import sqlalchemy_url  # noqa: E402


def procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """Process name -> command line, as a platform running the Procfile reads it."""
    out = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.lstrip().startswith("#"):
            out[name.strip()] = command.strip()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_database(admin_url: str, name: str, *, drop_first: bool = False) -> str:
    """A migrated database `name` on the server of `admin_url`, with the Huế reference data; returns its URL."""
    admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if drop_first:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(sqlalchemy_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    db.migrate(url)
    engine = create_engine(sqlalchemy_url(url))
    if not reference.is_loaded(engine):
        reference.load_into(engine)
    engine.dispose()
    return url


class Deployment:
    """`web`, `archiver` and `feed` of the Procfile on one machine, sharing one PostgreSQL and one Redis.

    Commands are the Procfile's own (run by bash, with this interpreter's bin folder first on PATH), so what
    is measured or tested is what a platform would start. Each process gets a session of its own: stop()
    ends the whole group, gunicorn's workers included, whatever happens to the caller.
    """

    def __init__(self, *, database_url: str, redis_url: str, prefix: str | None = None, env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.prefix = prefix or f"deploy:{uuid.uuid4().hex[:8]}:"
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": self.prefix,
            "DEMO_FEED": "false",
            "SECRET_KEY": f"deploy-{uuid.uuid4().hex}{uuid.uuid4().hex}",
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}

    def start(self, name: str, *, log_dir: Path, extra_args: str = "") -> subprocess.Popen:
        """Start one Procfile process (its output goes to log_dir/<name>.log)."""
        command = procfile()[name] + (f" {extra_args}" if extra_args else "")
        log_dir.mkdir(parents=True, exist_ok=True)
        self.logs[name] = log_dir / f"{name}.log"
        with open(self.logs[name], "ab") as out:
            proc = subprocess.Popen(
                ["bash", "-c", f"exec {command}"], cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.procs[name] = proc
        return proc

    def wait_web(self, timeout: float = 60.0) -> None:
        """Until /healthz answers (any status: the app is up even when a server is not)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs["web"].poll() is not None:
                raise RuntimeError(f"web exited with {self.procs['web'].returncode}: {self.tail('web')}")
            try:
                requests.get(self.base + "/healthz", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.3)
        raise RuntimeError(f"web did not answer in {timeout:.0f} s: {self.tail('web')}")

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logs.get(name)
        return path.read_text(errors="replace")[-chars:] if path and path.exists() else ""

    def workers(self) -> list[psutil.Process]:
        """gunicorn's worker processes (children of the master started as `web`)."""
        return psutil.Process(self.procs["web"].pid).children()

    def process(self, name: str) -> psutil.Process:
        return psutil.Process(self.procs[name].pid)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM every group, then SIGKILL whatever is left after `timeout` seconds."""
        for proc in self.procs.values():
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)  # stragglers in the group (workers) too
            proc.wait()

    def __enter__(self) -> Deployment:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)
