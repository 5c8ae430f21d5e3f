"""Current state in Redis ("now") as the web and tools read it; the projector writing it is pipeline/state.py."""

from __future__ import annotations

import json
import time

import redis

from data_sources import plausible
from data_sources.core.streams import Keys, keys

# How long a hotspot stays on the live map.
HOTSPOT_WINDOW_SECONDS = 48 * 3600


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
