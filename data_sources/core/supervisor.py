"""`make run` keeps its embedded servers up: one that dies is restarted at the same place, with backoff.

The app runs on during the outage (pages show their Redis / PostgreSQL banners; the web workers and the
archiver reconnect by themselves, to the same socket). A server that keeps dying or cannot come back is a
fault no restart will cure (a full disk, a corrupt append-only file, a permission problem): when a server has
failed (died, or not come back) more than MAX_FAILURES times within WINDOW_S, `check()` returns a message and
`make run` stops everything rather than serve a control room that looks live while its data is gone.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from data_sources.core.embedded import EmbeddedServer, ServerUnavailable

log = logging.getLogger("supervisor")

FIRST_DELAY_S = 1.0  # after the first failure the restart is immediate; then 1, 2, 4, 8 s ...
MAX_DELAY_S = 30.0
MAX_FAILURES = 5
WINDOW_S = 600.0
START_TIMEOUT_S = 60.0  # PostgreSQL replays its WAL after a crash before it answers


@dataclass
class _Watch:
    server: EmbeddedServer
    phase: str = "up"  # up -> waiting (backoff) -> starting -> up
    at: float = 0.0  # waiting: when to start; starting: when it was started
    failures: deque[float] = field(default_factory=deque)
    restarts: int = 0


class Supervisor:
    """Call `check()` every second or so from the main loop; it never blocks for long."""

    def __init__(
        self,
        servers: Iterable[EmbeddedServer],
        *,
        first_delay: float = FIRST_DELAY_S,
        max_delay: float = MAX_DELAY_S,
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW_S,
        start_timeout: float = START_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watches = [_Watch(server) for server in servers]
        self.first_delay, self.max_delay = first_delay, max_delay
        self.max_failures, self.window, self.start_timeout = max_failures, window, start_timeout
        self.clock = clock

    def check(self) -> str | None:
        """One round over the servers; returns why to stop everything, or None."""
        for watch in self.watches:
            reason = self._check(watch)
            if reason:
                return reason
        return None

    def _check(self, w: _Watch) -> str | None:
        now, server = self.clock(), w.server
        if w.phase == "up":
            if server.alive():
                return None
            return self._failed(w, f"embedded {server.name} died ({server.exit_reason()})")
        if w.phase == "waiting":
            if now < w.at:
                return None
            try:
                server.spawn()
            except (ServerUnavailable, OSError) as exc:
                return self._failed(w, f"embedded {server.name} could not be started ({exc})")
            w.phase, w.at = "starting", now
            return None
        # starting
        if server.answers():
            w.phase, w.restarts = "up", w.restarts + 1
            log.warning(
                "embedded %s is back (pid %s) at %s after %.1f s", server.name, server.pid, server.where, now - w.at
            )
            return None
        if server.alive() and now - w.at < self.start_timeout:
            return None
        why = server.exit_reason() if not server.alive() else f"no answer within {self.start_timeout:.0f} s"
        server.kill()
        return self._failed(w, f"embedded {server.name} did not come back ({why}; see {server.places.log(server.key)})")

    def _failed(self, w: _Watch, what: str) -> str | None:
        now = self.clock()
        w.failures.append(now)
        while w.failures and w.failures[0] < now - self.window:
            w.failures.popleft()
        n = len(w.failures)
        if n > self.max_failures:
            message = (
                f"{what}; {n} failures within {self.window / 60:.0f} min, giving up: stopping everything "
                f"(see {w.server.places.log(w.server.key)})"
            )
            log.error("%s", message)
            return message
        delay = 0.0 if n == 1 else min(self.first_delay * 2 ** (n - 2), self.max_delay)
        log.warning("%s; restarting%s", what, f" in {delay:.0f} s" if delay else "")
        w.phase, w.at = "waiting", now + delay
        return None
