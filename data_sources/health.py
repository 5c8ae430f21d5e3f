"""Health of the data plane: Redis and PostgreSQL reachability, stream freshness, history depth."""

from __future__ import annotations

import time

from sqlalchemy import text

from data_sources import db, state, streams
from data_sources.cache import HISTORY_TIMEOUT, cache
from data_sources.connections import get_engine, get_redis
from data_sources.events import STREAMS
from data_sources.live import Shared
from data_sources.settings import get_settings


def _timed(fn):
    t0 = time.perf_counter()
    try:
        value = fn()
        return True, value, round((time.perf_counter() - t0) * 1000, 2), None
    except Exception as exc:  # any failure here *is* the health result, shown to the operator
        return False, None, None, f"{type(exc).__name__}: {exc}"[:300]


def check_redis() -> dict:
    """Ping Redis; with it, per-stream length and newest-event age, and current-state sizes."""
    r = get_redis()
    ok, _, latency, error = _timed(r.ping)
    out: dict = {"ok": ok, "latency_ms": latency, "error": error, "streams": {}, "state": {}}
    if ok:
        ok2, stats, _, error2 = _timed(lambda: streams.stream_stats(r))
        if ok2:
            warn = get_settings().stale_warn_seconds
            for name, s in stats.items():
                age = s["age_seconds"]
                s["fresh"] = age is not None and age < warn if name in STREAMS else None
            out["streams"] = stats
            out["state"] = state.state_sizes(r)
        else:
            out.update(ok=False, error=error2)
    return out


def check_postgres(*, with_history: bool = True) -> dict:
    """`SELECT 1` on PostgreSQL and, optionally, the history depth per domain."""
    engine = get_engine()

    def ping() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    ok, _, latency, error = _timed(ping)
    out: dict = {"ok": ok, "latency_ms": latency, "error": error}
    if ok and with_history:
        ok2, history, _, error2 = _timed(_history)
        out["history"] = history if ok2 else None
        if not ok2:
            out.update(ok=False, error=error2)
    return out


@cache.memoize(timeout=HISTORY_TIMEOUT)
def _history() -> dict:
    # min/max/estimate over the fact tables: cheap, but no need to run it on every health poll.
    return db.history_summary(get_engine())


# One answer per second per process: every open page polls the banner (200 viewers every 5 s), and each asking
# PostgreSQL on its own took pool connections the live pages needed under load (bench/load.py).
_UP = Shared(size=4, wait_s=5.0)


def servers_up() -> dict[str, bool]:
    """Whether Redis and PostgreSQL answer, checked at most once a second per process however many pages ask."""

    def check() -> dict[str, bool]:
        return {"redis": _timed(get_redis().ping)[0], "postgres": check_postgres(with_history=False)["ok"]}

    return _UP.get(int(time.monotonic()), check)


def report(*, with_history: bool = True) -> dict:
    """The /healthz document: overall status plus both servers' details."""
    redis_part = check_redis()
    pg_part = check_postgres(with_history=with_history)
    fresh = all(redis_part["streams"].get(name, {}).get("fresh") for name in STREAMS)
    if redis_part["ok"] and pg_part["ok"]:
        status = "ok" if fresh else "stale"
    else:
        status = "down"
    return {"status": status, "checked_at": time.time(), "redis": redis_part, "postgres": pg_part}
