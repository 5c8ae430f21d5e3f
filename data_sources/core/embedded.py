"""The embedded servers of `make run`: their fixed places under VAR_DIR, who owns them, start and stop."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

EMBEDDED_DB = "ioc"  # the database `make run` creates on the embedded PostgreSQL
# The embedded PostgreSQL listens on no TCP port; the port only names its socket file (.s.PGSQL.5432).
PG_PORT = 5432
# A unix socket path must fit sun_path (108 bytes with its NUL); a deeper VAR_DIR puts the sockets elsewhere.
MAX_SOCKET_PATH = 107


class ServerUnavailable(RuntimeError):
    """An embedded server is not running (or cannot be started); the message says what to do."""


def _short_home(var: Path) -> Path:
    """The sockets' folder when VAR_DIR is too deep for a socket path: fixed for a VAR_DIR, named after it."""
    return Path("/tmp") / f"ioc-{hashlib.sha256(str(var).encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class Places:
    """Where the embedded servers keep data, sockets, logs and owner locks; every process computes the same."""

    var: Path

    @classmethod
    def of(cls, var_dir: str | Path) -> Places:
        return cls(Path(var_dir).expanduser().resolve())

    def _socket_dir(self, preferred: Path, fallback: Path, name: str) -> Path:
        return preferred if len(str(preferred / name)) <= MAX_SOCKET_PATH else fallback

    @property
    def pg_data(self) -> Path:
        return self.var / "pg"

    @property
    def pg_socket_dir(self) -> Path:
        return self._socket_dir(self.pg_data, _short_home(self.var) / "pg", f".s.PGSQL.{PG_PORT}")

    @property
    def redis_dir(self) -> Path:
        return self.var / "redis"

    @property
    def redis_socket(self) -> Path:
        return self._socket_dir(self.redis_dir, _short_home(self.var), "redis.sock") / "redis.sock"

    def log(self, name: str) -> Path:
        return self.var / "log" / f"{name}.log"

    def lock(self, name: str) -> Path:
        return self.var / "run" / f"{name}.lock"


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def processes_in(name: str, cwd: Path) -> list[psutil.Process]:
    """Live processes called `name` working in `cwd`: a server and its children chdir to their data directory."""
    found = []
    for proc in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["name"] == name and Path(proc.cwd()) == cwd and _alive(proc):
                found.append(proc)
    return found


class EmbeddedServer:
    """One embedded server. Whoever holds its owner lock (a kernel flock, gone with its process) starts, stops
    and restarts it; everyone else only uses a server that answers on its socket."""

    name = "server"
    key = "server"
    stop_signal = signal.SIGTERM  # the signal of a clean shutdown

    def __init__(self, places: Places) -> None:
        self.places = places
        self.proc: subprocess.Popen | None = None  # when started by this process
        self.pid: int | None = None  # the server's pid (started or adopted)
        self._lock_fd: int | None = None

    # -- ownership -------------------------------------------------------------------------------------------
    @property
    def owned(self) -> bool:
        return self._lock_fd is not None

    def acquire(self) -> bool:
        """Take the owner lock if nobody holds it."""
        if self._lock_fd is not None:
            return True
        path = self.places.lock(self.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        return True

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
            self._lock_fd = None

    def holder(self) -> str:
        """Who holds the owner lock, for messages."""
        with contextlib.suppress(OSError):
            return f"pid {self.places.lock(self.key).read_text().strip()}"
        return "another process"

    # -- state -----------------------------------------------------------------------------------------------
    def answers(self) -> bool:
        raise NotImplementedError

    def url(self) -> str:
        raise NotImplementedError

    @property
    def where(self) -> str:
        raise NotImplementedError

    def running_pid(self) -> int | None:
        """Pid of a live server of ours on this place, answering or not."""
        raise NotImplementedError

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        if self.pid is None:
            return False
        try:
            return _alive(psutil.Process(self.pid))
        except psutil.Error:
            return False

    def exit_reason(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return f"process {self.pid} ended"
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit status {code}"

    def adopt(self) -> None:
        """Take over a running server whose owner is gone (it is stopped with us and restarted if it dies)."""
        self.proc, self.pid = None, self.running_pid()

    # -- start and stop --------------------------------------------------------------------------------------
    def spawn(self) -> None:
        """Start the server process (the owner lock is held, nothing of ours runs here); do not wait for it."""
        raise NotImplementedError

    def after_start(self) -> None:
        """Once it answers after a first start."""

    def start(self, *, timeout: float = 30.0) -> None:
        """Spawn and wait until it answers; on failure the message points at its log."""
        self.spawn()
        deadline = time.monotonic() + timeout
        while not self.answers():
            if not self.alive() or time.monotonic() > deadline:
                self.kill()
                raise ServerUnavailable(
                    f"embedded {self.name} did not start ({self.exit_reason()}); see {self.places.log(self.key)}"
                )
            time.sleep(0.1)
        self.after_start()
        log.info("embedded %s started (pid %s) at %s", self.name, self.pid, self.where)

    def _open_log(self):
        path = self.places.log(self.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return open(path, "ab")  # noqa: SIM115 - handed to the child, closed right after Popen

    def _popen(self, command: list[str], **kwargs) -> None:
        with self._open_log() as out:
            # A session of its own: Ctrl-C in the terminal reaches `make run`, which stops the app first and the
            # servers last, instead of every process at once.
            self.proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                **kwargs,
            )  # fmt: skip
        self.pid = self.proc.pid

    def stop(self, *, timeout: float = 30.0) -> None:
        """A clean shutdown (data flushed), then a kill if it hangs; releases the owner lock."""
        if self.pid is not None and self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, self.stop_signal)
            deadline = time.monotonic() + timeout
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.kill()
            log.info("embedded %s stopped", self.name)
        self.release()

    def kill(self) -> None:
        if self.pid is not None and self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
