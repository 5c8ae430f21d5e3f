"""The one caching module: flask-caching for data calls, per-scope memoizing, and per-process shared tables.

Every cache of the web process is built from what this module offers; docs/caches.md lists each one with its
scope, lifetime, invalidation and reason.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask_caching import Cache

from data_sources.viewer import Viewer, scope_of

log = logging.getLogger(__name__)

# SimpleCache per worker: history answers are cheap to recompute and must never outlive their timeout
# by much; a shared Redis cache would add a dependency on Redis to pages that only read PostgreSQL.
cache = Cache(config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 30})

# Timeouts tied to how fast the underlying data changes.
HISTORY_TIMEOUT = 60


def memoized(timeout: int) -> Callable:
    """Decorator: `fn(scope, **kw)` becomes `fn(*, viewer, **kw)`, memoized per scope in the flask-caching cache.

    The cache key is the scope (`viewer.scope_of`) and the arguments (defaults filled in), never the person, so
    two heads of one agency share entries. flask-caching's own `memoize` inspects the signature several times and
    reads and writes version keys on every call, as much as a small query costs; this key is one repr and one
    hash. `.uncached` is the plain function (the benchmark times both paths).
    """

    def wrap(fn: Callable) -> Callable:
        defaults = {name: p.default for name, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}
        prefix = f"hist:{fn.__module__}.{fn.__qualname__}:"

        @functools.wraps(fn)
        def call(*, viewer: Viewer, **kwargs):
            scope = scope_of(viewer)
            args = {**defaults, **kwargs}
            digest = hashlib.blake2b(repr((scope, sorted(args.items()))).encode(), digest_size=16).hexdigest()
            key = prefix + digest
            try:
                backend = cache.cache  # the backend once: each `cache.get`/`cache.set` looks it up in the app again
                hit = backend.get(key)
            except Exception:  # no app context or a broken cache: answer uncached, as flask-caching does
                log.debug("history cache unavailable for %s", prefix, exc_info=True)
                return fn(scope, **kwargs)
            if hit is not None:
                return hit[0]  # wrapped in a tuple so that a cached None (not found) is a hit too
            value = fn(scope, **kwargs)
            backend.set(key, (value,), timeout=timeout)
            return value

        call.uncached = lambda *, viewer, **kwargs: fn(scope_of(viewer), **kwargs)
        return call

    return wrap


class Shared:
    """A small per-process table of answers computed once per key, however many threads ask at the same time.

    The first caller computes; callers arriving meanwhile wait for its answer instead of computing it again
    (a memoizing cache alone lets fifty walls woken together all miss and all read Redis). Errors are not
    kept: the next caller tries again. Only for answers that never change for their key (ranges of a stream),
    or whose key carries their own expiry (a time bucket).
    """

    def __init__(self, size: int = 64, wait_s: float = 10.0) -> None:
        self._size, self._wait_s = size, wait_s
        self._lock = threading.Lock()
        self._slots: OrderedDict[Hashable, list] = OrderedDict()  # key -> [done event, value, error, answered]

    def get(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            slot = self._slots.get(key)
            owner = slot is None
            if owner:
                slot = self._slots[key] = [threading.Event(), None, None, False]
                while len(self._slots) > self._size:
                    self._slots.popitem(last=False)
            else:
                self._slots.move_to_end(key)
        if owner:
            try:
                slot[1] = compute()
            except BaseException as error:
                # An error is every waiter's answer too. A stop is not (SystemExit, KeyboardInterrupt, a killed
                # greenlet's GreenletExit): it was meant for the first caller's thread alone; the waiters find
                # the slot with neither value nor error and compute for themselves.
                if isinstance(error, Exception):
                    slot[2] = error
                with self._lock:
                    if self._slots.get(key) is slot:
                        del self._slots[key]
                raise
            else:
                slot[3] = True
            finally:
                slot[0].set()
        elif not slot[0].wait(self._wait_s):
            return compute()  # the first caller is stuck (Redis hanging): do not wait on it forever
        if slot[2] is not None:
            raise slot[2]
        if not slot[3]:
            return compute()  # the first caller was stopped before it had an answer
        return slot[1]


class Fresh:
    """A small per-process table of objects kept for `seconds` each, the object itself (not a pickled copy).

    For large answers many requests read at once: flask-caching's SimpleCache pickles every value, and its
    memoize gives an entry a new key each time its version key expires with it, so old copies pile up until its
    prune. Callers must not change what they get. Concurrent misses may each compute (no single flight).
    """

    def __init__(self, seconds: float, size: int = 8) -> None:
        self._seconds, self._size = seconds, size
        self._lock = threading.Lock()
        self._items: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], object]):
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
        if hit is not None and now - hit[0] < self._seconds:
            return hit[1]
        value = compute()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    # The table itself, entries as (monotonic time stored, object): for tests that age an entry.
    def __getitem__(self, key: Hashable) -> tuple[float, object]:
        with self._lock:
            return self._items[key]

    def __setitem__(self, key: Hashable, entry: tuple[float, object]) -> None:
        with self._lock:
            self._items[key] = entry

    def __iter__(self):
        with self._lock:
            return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


class InFlight:
    """Keys being computed right now in this process: one computation per key at a time, nothing kept after it.

    For a cache whose entries expire together (flask-caching): under gevent hundreds of requests can miss at once,
    and each would otherwise do the same load. Callers arriving meanwhile wait for the first (at most `wait_s`),
    then call `after_wait`, which reads the cache it filled (or computes, if the first failed or is stuck).
    """

    def __init__(self, wait_s: float) -> None:
        self._wait_s = wait_s
        self._lock = threading.Lock()
        self._running: dict[Hashable, threading.Event] = {}

    def run(self, key: Hashable, compute: Callable[[], object], after_wait: Callable[[], object]):
        with self._lock:
            running = self._running.get(key)
            if running is None:
                self._running[key] = threading.Event()
        if running is not None:
            running.wait(self._wait_s)
            return after_wait()
        try:
            return compute()
        finally:
            with self._lock:
                self._running.pop(key).set()
