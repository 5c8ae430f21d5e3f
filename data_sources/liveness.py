"""Producers' own liveness reports and the history-load progress in Redis, read back as per-stream source health.

Liveness is not data: a producer says "I can reach my source" here, never by re-sending an event. Keys, under the
deployment prefix (docs/operations.md "Source health"):

- ``<prefix>liveness`` hash, field ``<stream>:<producer>`` -> JSON ``{stream, producer, status: ok|down, at, ttl,
  since, last_ok, detail}``. A report counts until ``at + ttl``; the reader judges expiry (one hash, so one read
  answers for every stream; Redis < 7.4 has no per-field TTL). ``since`` is when the current alive run began.
- ``<prefix>backfill`` hash -> ``phase`` (history | state | done), ``done``, ``total`` (days), ``started``,
  ``updated`` (epoch seconds): written by pipeline.demo.backfill while the first history load runs.

A stream's data time is the newest ``ts`` among its last entries (the event's own time, not the entry's arrival),
so an old event re-sent cannot make a stream look fresh.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from datetime import datetime

import redis

from data_sources import freshness
from data_sources.core.cache import Shared
from data_sources.core.connections import get_redis
from data_sources.core.settings import get_settings
from data_sources.core.streams import DATA_FIELD, Keys, keys
from data_sources.events import STREAMS

# Entries looked at per stream for the newest event time: late-arriving older events cannot hide a newer one.
SCAN = 20
# Event times further ahead of our clock than this are not believed (a bad producer must not pin "fresh").
FUTURE_SKEW_SECONDS = 300.0
_EARLIEST = datetime(2000, 1, 1).timestamp()


def liveness_key(k: Keys) -> str:
    return f"{k.prefix}liveness"


def progress_key(k: Keys) -> str:
    return f"{k.prefix}backfill"


# ---------------------------------------------------------------- producers


def report(
    r: redis.Redis,
    streams: Iterable[str],
    *,
    producer: str,
    ttl: float,
    ok: bool = True,
    detail: str = "",
    now: float | None = None,
    k: Keys | None = None,
) -> None:
    """Say, for each stream this producer feeds, that its source is reachable (ok) or not, valid for `ttl` s."""
    k = k or keys()
    now = time.time() if now is None else now
    fields = [f"{s}:{producer}" for s in streams]
    if not fields:
        return
    old = r.hmget(liveness_key(k), fields)
    entries = {}
    for field, raw in zip(fields, old, strict=True):
        before = _entry(raw)
        running = before is not None and before["status"] == "ok" and now <= before["at"] + before["ttl"]
        entries[field] = json.dumps(
            {
                "stream": field.split(":", 1)[0],
                "producer": producer,
                "status": "ok" if ok else "down",
                "at": now,
                "ttl": float(ttl),
                "since": (before["since"] if running else now) if ok else None,
                "last_ok": now if ok else (before or {}).get("last_ok"),
                "detail": str(detail)[:300],
            }
        )
    r.hset(liveness_key(k), mapping=entries)


def forget(r: redis.Redis, stream: str, producer: str, *, k: Keys | None = None) -> None:
    """Drop a producer that was removed for good (else its expired report keeps its stream "down")."""
    r.hdel(liveness_key(k or keys()), f"{stream}:{producer}")


def write_progress(r: redis.Redis, *, phase: str, done: int, total: int, started: float, k: Keys | None = None) -> None:
    """Record how far the history load is (pipeline.demo.backfill calls this per day loaded)."""
    mapping = {"phase": phase, "done": done, "total": total, "started": started, "updated": time.time()}
    r.hset(progress_key(k or keys()), mapping={name: str(v) for name, v in mapping.items()})


# ---------------------------------------------------------------- readers (never trust the writer)


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _entry(raw: bytes | None) -> dict | None:
    """A stored report, or None when missing or malformed (a bad field must not take health down)."""
    try:
        entry = json.loads(raw) if raw else None
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("status") not in ("ok", "down"):
        return None
    at, ttl = _number(entry.get("at")), _number(entry.get("ttl"))
    if at is None or ttl is None:
        return None
    return {
        **entry,
        "at": at,
        "ttl": ttl,
        "since": _number(entry.get("since")),
        "last_ok": _number(entry.get("last_ok")),
        "detail": str(entry.get("detail") or "")[:300],
    }


def _reports(raw: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {name: [] for name in STREAMS}
    for field, value in raw.items():
        stream = (field.decode(errors="replace") if isinstance(field, bytes) else field).split(":", 1)[0]
        entry = _entry(value)
        if stream in out and entry is not None:
            out[stream].append(entry)
    return out


def _event_time(data: bytes | None, now: float) -> float | None:
    try:
        ts = datetime.fromisoformat(json.loads(data)["ts"])
    except (TypeError, ValueError, KeyError):
        return None
    if ts.tzinfo is None:
        return None
    epoch = ts.timestamp()
    return epoch if _EARLIEST <= epoch <= now + FUTURE_SKEW_SECONDS else None


def _progress(raw: dict) -> dict | None:
    if not raw:
        return None
    text = {
        (k.decode() if isinstance(k, bytes) else k): (v.decode() if isinstance(v, bytes) else v) for k, v in raw.items()
    }
    out: dict = {"phase": text.get("phase")}
    for name in ("done", "total", "started", "updated"):
        try:
            out[name] = float(text.get(name, ""))
        except ValueError:
            out[name] = None
    return out


def snapshot(r: redis.Redis, *, k: Keys | None = None, now: float | None = None) -> dict:
    """Per stream {state, reason, data_at, liveness, ...} and the history load, in one Redis round trip."""
    k = k or keys()
    pipe = r.pipeline(transaction=False)
    pipe.hgetall(liveness_key(k))
    pipe.hgetall(progress_key(k))
    for name in STREAMS:
        pipe.xrevrange(k.stream(name), count=SCAN)
    live_raw, progress_raw, *rows = pipe.execute()
    now = time.time() if now is None else now
    load = freshness.loading(_progress(progress_raw), now)
    reports, rules = _reports(live_raw), freshness.rules(get_settings())
    out = {}
    for name, entries in zip(STREAMS, rows, strict=True):
        times = [t for _, fields in entries if (t := _event_time(fields.get(DATA_FIELD), now)) is not None]
        out[name] = freshness.judge(
            data_at=max(times) if times else None,
            reports=reports[name],
            rule=rules[name],
            now=now,
            loading=load is not None,
        )
    return {"now": now, "streams": out, "loading": load}


_SNAPSHOTS = Shared(size=8, wait_s=2.0)


def shared_snapshot(*, prefix: str) -> dict:
    """`snapshot` read at most twice a second per worker: every wall asks every 2 s for the same answer."""
    return _SNAPSHOTS.get((prefix, int(time.monotonic() * 2)), lambda: snapshot(get_redis(), k=Keys(prefix)))
