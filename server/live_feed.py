"""One blocking stream read per web process, shared by every open push stream of the wall (a fan-out)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import redis

from data_sources.core.streams import Keys
from data_sources.live import cursor_now, wait_for_change

# Well below the blocking client's socket timeout (connections.BLOCKING_SOCKET_TIMEOUT_S); also how often a
# quiet feed re-checks that it still has readers.
BLOCK_MS = 4000
# A feed nobody listens to for this long stops its thread (tests and deployments come and go by key prefix).
IDLE_SECONDS = 60
# Changes kept for push streams that fell a few behind (a slow client): they send each one, in order.
HISTORY = 64


@dataclass(frozen=True)
class Change:
    """What the feed last saw: a counter that moves on every change, the newest ids, and whether Redis answers.

    `since` is the ids of the change before (None after a start or an outage): (since, ids] is exactly what
    this change added, the range a page whose cursor stands at `since` can be sent ready-made.
    """

    version: int
    ids: dict[str, str] | None
    down: bool
    since: dict[str, str] | None = None


class ChangeFeed:
    """A thread blocked in XREAD on its own connection; push streams wait on it instead of on Redis.

    Fifty walls on one worker then cost one XREAD and one id lookup per change, not fifty of each.
    """

    def __init__(self, client: Callable[[], redis.Redis], k: Keys, *, block_ms: int = BLOCK_MS) -> None:
        self._client, self._k, self._block_ms = client, k, block_ms
        self._cond = threading.Condition()
        self._state = Change(0, None, False)
        self._history: deque[Change] = deque(maxlen=HISTORY)
        self._readers = 0
        self._last_reader = time.monotonic()
        self._thread: threading.Thread | None = None

    def _publish(self, ids: dict[str, str] | None, down: bool, since: dict[str, str] | None = None) -> None:
        with self._cond:
            self._state = Change(self._state.version + 1, ids if ids is not None else self._state.ids, down, since)
            self._history.append(self._state)
            self._cond.notify_all()

    def _run(self) -> None:
        try:
            self._loop()
        except SystemExit:  # a test server stopping every thread it started; nothing to report
            pass
        except RuntimeError:  # no Redis configured (a test tearing down its settings): the next reader restarts it
            pass
        finally:
            with self._cond:
                self._thread = None  # the next reader starts a new one

    def _loop(self) -> None:
        last: dict[str, str] | None = None
        while True:
            with self._cond:
                if not self._readers and time.monotonic() - self._last_reader > IDLE_SECONDS:
                    return
            try:
                rb = self._client()
                if last is None:
                    last = cursor_now(rb, k=self._k)
                    self._publish(last, down=False)
                before = last
                changed, last = wait_for_change(rb, last, block_ms=self._block_ms, k=self._k)
            except redis.RedisError:
                last = None
                self._publish(None, down=True)
                time.sleep(1)
                continue
            if changed:
                self._publish(last, down=False, since=before)

    def _ensure_running(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wall-change-feed", daemon=True)
            self._thread.start()

    def join(self) -> None:
        """A push stream starts listening (and the reading thread with it, if it had stopped)."""
        with self._cond:
            self._readers += 1
            self._ensure_running()

    def leave(self) -> None:
        """A push stream ended."""
        with self._cond:
            self._readers -= 1
            self._last_reader = time.monotonic()

    def wait(self, after: int, timeout: float) -> Change:
        """The state once its version passes `after`, or the current one after `timeout` seconds."""
        with self._cond:
            # The reading thread ends on its own only when nobody listens; if it ended anyway (an error it does
            # not handle, a test server stopping threads) the streams still open would wait on it for ever.
            if self._readers:
                self._ensure_running()
            self._cond.wait_for(lambda: self._state.version > after, timeout=timeout)
            return self._state

    def since(self, version: int) -> list[Change]:
        """Every change after `version` still kept, oldest first (the caller checks the first follows on)."""
        with self._cond:
            return [c for c in self._history if c.version > version]
