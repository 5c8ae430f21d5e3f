"""The projector's writer of the current state in Redis ("now"); its readers are in data_sources/state.py."""

from __future__ import annotations

import time
from collections.abc import Iterable

import redis

from data_sources import plausible
from data_sources.core.streams import Keys, keys
from data_sources.events import CLOSED_STATUSES, fire_scope, to_json
from data_sources.state import HOTSPOT_WINDOW_SECONDS

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
