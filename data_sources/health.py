"""Health of the data plane: Redis and PostgreSQL reachability, per-source health (data.liveness), history depth."""

from __future__ import annotations

import time

from sqlalchemy import text

from data_sources import db, freshness, liveness, state
from data_sources.core import streams
from data_sources.core.cache import HISTORY_TIMEOUT, Shared, cache
from data_sources.core.connections import get_engine, get_redis
from data_sources.events import STREAMS


def _timed(fn):
    t0 = time.perf_counter()
    try:
        value = fn()
        return True, value, round((time.perf_counter() - t0) * 1000, 2), None
    except Exception as exc:  # any failure here *is* the health result, shown to the operator
        return False, None, None, f"{type(exc).__name__}: {exc}"[:300]


def check_redis() -> dict:
    """Ping Redis; with it, per stream its length and source health (state, data age, liveness), and state sizes.

    `age_seconds` is the newest entry's arrival; freshness is judged on `data_age_seconds` (the events' own
    time) and the producers' liveness reports, so a re-sent old event cannot keep a dead source looking alive.
    """
    r = get_redis()
    ok, _, latency, error = _timed(r.ping)
    out: dict = {"ok": ok, "latency_ms": latency, "error": error, "streams": {}, "state": {}, "loading": None}
    if ok:
        ok2, stats, _, error2 = _timed(lambda: (streams.stream_stats(r), liveness.snapshot(r)))
        if ok2:
            stats, snap = stats
            for name in STREAMS:
                stats[name].update(snap["streams"][name])
            out["streams"] = stats
            out["loading"] = snap["loading"]
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
    """The /healthz document: overall status, the degraded parts, the history load and both servers' details.

    `down` only when Redis (the live path every wall needs) fails; PostgreSQL down or a stream down or late is
    `degraded` (the walls work on); `loading` while the first history load runs.
    """
    redis_part = check_redis()
    pg_part = check_postgres(with_history=with_history)
    streams_ = {name: redis_part["streams"].get(name, {}) for name in STREAMS}
    status, degraded = freshness.overall(
        redis_ok=redis_part["ok"], postgres_ok=pg_part["ok"], streams=streams_, load=redis_part["loading"]
    )
    return {
        "status": status,
        "degraded": degraded,
        "loading": redis_part["loading"],
        "checked_at": time.time(),
        "redis": redis_part,
        "postgres": pg_part,
    }


def ready() -> tuple[bool, str | None]:
    """Whether this process can serve the live path (Redis answers): the load balancer's readiness."""
    ok, _, _, error = _timed(get_redis().ping)
    return ok, error
