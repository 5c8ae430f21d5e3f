"""Fixed-window attempt counters in Redis (shared by every web worker), with a per-process fallback."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable

import redis

from data_sources.core.streams import keys

log = logging.getLogger(__name__)


class RateLimiter:
    """Counts attempts per key per window; `hit` says whether this attempt is still within the limit."""

    def __init__(self, client: Callable[[], redis.Redis], *, name: str, limit: int, window_seconds: int = 60) -> None:
        # A factory, not a client: connections are created per process after settings are final.
        self.client = client
        self.name = name
        self.limit = limit
        self.window = window_seconds
        # Used only while Redis is unreachable: sign-in must neither stop working nor become unlimited.
        self._local: Counter[str] = Counter()
        self._local_window = 0

    def _key(self, parts: tuple[str, ...], window: int) -> str:
        # Hashed: usernames and addresses typed by strangers never become readable Redis key names.
        digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
        return f"{keys().prefix}ratelimit:{self.name}:{digest}:{window}"

    def hit(self, *parts: str) -> bool:
        """Count one attempt for `parts` (e.g. address and username); False once over the limit."""
        window = int(time.time() // self.window)
        key = self._key(parts, window)
        try:
            pipe = self.client().pipeline(transaction=True)
            pipe.incr(key)
            pipe.expire(key, self.window * 2)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.warning("rate limiter falling back to this process: %s", exc)
            if window != self._local_window:
                self._local.clear()
                self._local_window = window
            self._local[key] += 1
            count = self._local[key]
        return count <= self.limit

    def undo(self, *parts: str) -> None:
        """Give back this window's attempt for `parts`: a successful sign-in does not count against anyone."""
        key = self._key(parts, int(time.time() // self.window))
        try:
            # EXPIRE too: if the window turned meanwhile, the key DECR creates must not live forever.
            self.client().pipeline(transaction=True).decr(key).expire(key, self.window * 2).execute()
        except redis.RedisError:
            self._local[key] -= 1
