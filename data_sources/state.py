"""Current state in Redis ("now"): latest per camera, segment and fire scope, open complaints, recent hotspots."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import redis

from data_sources import plausible
from data_sources.events import CLOSED_STATUSES, fire_scope, to_json
from data_sources.streams import Keys, keys

# How long a hotspot stays on the live map.
HOTSPOT_WINDOW_SECONDS = 48 * 3600

# Set or delete a hash field only if the event is at least as new as what we already hold, atomically,
# so two projectors or a replayed old event can never move the current state backwards. A held time past
# ARGV[5] (now + the contract's skew) was stored before the contract refused such times: it bars nothing.
# At an equal time, the same event id replaces the held one only with a strictly newer version (ARGV[7],
# `updated_at`; "" for none), so a re-sent or older copy of an alert changes nothing (KEYS[3]: id|version).
_GUARDED = """
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1') or -1
local ts = tonumber(ARGV[2])
if old > tonumber(ARGV[5]) then old = -1 end
if ts < old then return 0 end
if ts == old then
  local held = redis.call('HGET', KEYS[3], ARGV[1])
  if held then
    local sep = string.find(held, '|', 1, true)
    if sep and string.sub(held, 1, sep - 1) == ARGV[6] then
      local v = tonumber(string.sub(held, sep + 1))
      local new = tonumber(ARGV[7])
      if not new or (v and new <= v) then return 0 end
    end
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[6] .. '|' .. ARGV[7])
if ARGV[3] == 'del' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[4]) end
return 1
"""


class StateWriter:
    """Applies validated events to the current-state keys through one pipeline per batch."""

    def __init__(self, r: redis.Redis, k: Keys | None = None) -> None:
        self.r = r
        self.k = k or keys()
        self._guarded = r.register_script(_GUARDED)
        self._ceiling = 0.0

    def apply(self, events: Iterable) -> int:
        """Project a batch of events; returns how many were applied."""
        pipe = self.r.pipeline(transaction=False)
        self._ceiling = plausible.ceiling()
        n = 0
        for event in events:
            self._one(pipe, event)
            n += 1
        if n:
            now = time.time()
            hotspots = self.k.state("hotspots")
            pipe.zremrangebyscore(hotspots, "-inf", now - HOTSPOT_WINDOW_SECONDS)
            # A hotspot dated in the future (stored before the contract refused it) would never age out.
            pipe.zremrangebyscore(hotspots, f"({plausible.ceiling(now)!r}", "+inf")
            dropped = pipe.execute()[-1]
            plausible.SKIPPED.note(self.r, self.k.implausible_counts, "state:hotspots", dropped)
        return n

    def _set(self, pipe, name: str, field: str, ts: float, value: str | None, event) -> None:
        version = event.__dict__.get("updated_at")
        self._guarded(
            keys=[self.k.state(name), self.k.state_ts(name), self.k.state_version(name)],
            args=[
                field, repr(ts), "del" if value is None else "set", value or "", repr(self._ceiling),
                event.event_id, "" if version is None else repr(version.timestamp()),
            ],
            client=pipe,
        )  # fmt: skip

    def _one(self, pipe, event) -> None:
        ts = event.ts.timestamp()
        kind = event.kind
        if kind == "camera_alert":
            self._set(pipe, "camera", event.camera_id, ts, to_json(event), event)
            if event.alert_type in ("camera_offline", "camera_online"):
                offline = to_json(event) if event.alert_type == "camera_offline" else None
                self._set(pipe, "camera_offline", event.camera_id, ts, offline, event)
        elif kind == "traffic_reading":
            self._set(pipe, "traffic", event.segment_id, ts, to_json(event), event)
        elif kind == "fire_danger":
            self._set(pipe, "fire", fire_scope(event), ts, to_json(event), event)
        elif kind == "hotspot":
            pipe.zadd(self.k.state("hotspots"), {to_json(event): ts})
        elif kind == "complaint":
            value = None if event.status in CLOSED_STATUSES else to_json(event)
            self._set(pipe, "complaints", event.complaint_id, ts, value, event)


def stored_event(value: bytes | str, *, now: float | None = None) -> dict | None:
    """A stored current-state value as a dict, None when it is unreadable or its time is implausible
    (written before the contract refused such times): readers skip it rather than fail on it."""
    try:
        event = json.loads(value)
    except ValueError:
        return None
    if not isinstance(event, dict) or not plausible.plausible_epoch(plausible.epoch_of(event.get("ts")), now=now):
        return None
    return event


def read_hash(r: redis.Redis, name: str, *, k: Keys | None = None) -> dict[str, dict]:
    """A current-state hash decoded: key -> event dict (camera, camera_offline, traffic, fire, complaints).

    Values with an implausible time are left out and counted (see data_sources.plausible)."""
    k = k or keys()
    out = {f.decode(): stored_event(v) for f, v in r.hgetall(k.state(name)).items()}
    good = {f: e for f, e in out.items() if e is not None}
    plausible.SKIPPED.note(r, k.implausible_counts, f"state:{name}", len(out) - len(good))
    return good


def read_hotspots(
    r: redis.Redis, *, since_seconds: float = HOTSPOT_WINDOW_SECONDS, k: Keys | None = None
) -> list[dict]:
    """Hotspots detected within the window (and not dated in the future), oldest first."""
    k = k or keys()
    now = time.time()
    rows = r.zrangebyscore(k.state("hotspots"), now - since_seconds, plausible.ceiling(now))
    return [e for e in map(stored_event, rows) if e is not None]


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
