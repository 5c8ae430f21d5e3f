"""Current state in Redis ("now"): latest per camera, segment and fire scope, open complaints, recent hotspots."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import redis

from data_sources.events import CLOSED_STATUSES, to_json
from data_sources.streams import Keys, keys

# How long a hotspot stays on the live map.
HOTSPOT_WINDOW_SECONDS = 48 * 3600

# Set or delete a hash field only if the event is at least as new as what we already hold, atomically,
# so two projectors or a replayed old event can never move the current state backwards.
_GUARDED = """
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
local ts = tonumber(ARGV[2])
if ts < old then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
if ARGV[3] == 'del' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[4]) end
return 1
"""


class StateWriter:
    """Applies validated events to the current-state keys through one pipeline per batch."""

    def __init__(self, r: redis.Redis, k: Keys | None = None) -> None:
        self.r = r
        self.k = k or keys()
        self._guarded = r.register_script(_GUARDED)

    def apply(self, events: Iterable) -> int:
        """Project a batch of events; returns how many were applied."""
        pipe = self.r.pipeline(transaction=False)
        n = 0
        for event in events:
            self._one(pipe, event)
            n += 1
        if n:
            cutoff = time.time() - HOTSPOT_WINDOW_SECONDS
            pipe.zremrangebyscore(self.k.state("hotspots"), "-inf", cutoff)
            pipe.execute()
        return n

    def _set(self, pipe, name: str, field: str, ts: float, value: str | None) -> None:
        self._guarded(
            keys=[self.k.state(name), self.k.state_ts(name)],
            args=[field, repr(ts), "del" if value is None else "set", value or ""],
            client=pipe,
        )

    def _one(self, pipe, event) -> None:
        ts = event.ts.timestamp()
        kind = event.kind
        if kind == "camera_alert":
            self._set(pipe, "camera", event.camera_id, ts, to_json(event))
            if event.alert_type in ("camera_offline", "camera_online"):
                offline = to_json(event) if event.alert_type == "camera_offline" else None
                self._set(pipe, "camera_offline", event.camera_id, ts, offline)
        elif kind == "traffic_reading":
            self._set(pipe, "traffic", event.segment_id, ts, to_json(event))
        elif kind == "fire_danger":
            scope = f"{event.unit_code}/{event.area_id}" if event.area_id else event.unit_code
            self._set(pipe, "fire", scope, ts, to_json(event))
        elif kind == "hotspot":
            pipe.zadd(self.k.state("hotspots"), {to_json(event): ts})
        elif kind == "complaint":
            value = None if event.status in CLOSED_STATUSES else to_json(event)
            self._set(pipe, "complaints", event.complaint_id, ts, value)


def read_hash(r: redis.Redis, name: str, *, k: Keys | None = None) -> dict[str, dict]:
    """A current-state hash decoded: key -> event dict (camera, camera_offline, traffic, fire, complaints)."""
    k = k or keys()
    return {f.decode(): json.loads(v) for f, v in r.hgetall(k.state(name)).items()}


def read_hotspots(
    r: redis.Redis, *, since_seconds: float = HOTSPOT_WINDOW_SECONDS, k: Keys | None = None
) -> list[dict]:
    """Hotspots detected within the window, oldest first."""
    k = k or keys()
    rows = r.zrangebyscore(k.state("hotspots"), time.time() - since_seconds, "+inf")
    return [json.loads(v) for v in rows]


def state_sizes(r: redis.Redis, *, k: Keys | None = None) -> dict[str, int]:
    """How many items each current-state view holds (for health and the shell page)."""
    k = k or keys()
    pipe = r.pipeline(transaction=False)
    names = ["camera", "camera_offline", "traffic", "fire", "complaints"]
    for name in names:
        pipe.hlen(k.state(name))
    pipe.zcard(k.state("hotspots"))
    values = pipe.execute()
    return dict(zip([*names, "hotspots"], values, strict=True))
