"""Live reads for the wall: cursor pulls across the four streams, current-state snapshots, wake-up waits, KPIs."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import redis

from data_sources import once, plausible, state
from data_sources.core.cache import Fresh, Shared
from data_sources.core.connections import get_redis
from data_sources.core.settings import get_settings
from data_sources.core.streams import Entry, Keys, entry_from, keys
from data_sources.events import STREAMS, InvalidEvent, fire_scope, parse_event

# What the wall may see of each kind. The wall is an aggregate screen in a public room: plates, face-match
# names, snapshots, watch lists and free text never leave the data layer, whatever role opened the page.
PUBLIC_FIELDS: dict[str, tuple[str, ...]] = {
    "camera_alert": ("camera_id", "alert_type", "severity", "updated_at"),
    "traffic_reading": ("segment_id", "congestion_level"),
    "fire_danger": ("unit_code", "area_id", "level"),
    "hotspot": ("lat", "lon", "confidence", "source", "unit_code"),
    "complaint": ("complaint_id", "status", "category", "unit_code", "lat", "lon", "deadline", "urgent"),
}
# Entries per stream per pull: a burst of a few hundred drains in one round trip, a long outage in a few.
PULL_COUNT = 500
# A backlog this old is not replayed event by event: the wall reloads the present instead (see `pull`).
RESYNC_AFTER_SECONDS = 120
# Streams whose events can become ticker rows, and how many of each a fresh page starts with.
TICKER_STREAMS = ("camera", "fire", "complaint")
SNAPSHOT_TICKER = 60
# A traffic reading older than this is shown as "no data", never as the present (readings come each minute).
TRAFFIC_FRESH_SECONDS = 15 * 60
# Danger levels are forecast daily; one older than a day and a half no longer describes today.
FIRE_FRESH_SECONDS = 36 * 3600
# Status changes rather than detections: counted as offline cameras, not as alerts.
STATUS_ALERTS = frozenset({"camera_offline", "camera_online"})
STATE_NAMES = ("camera", "camera_offline", "traffic", "fire", "complaints")


def _epoch(value):
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        epoch = plausible.epoch_of(value)
        if epoch is None:
            raise ValueError("unreadable time")
        return epoch
    return value


TIME_FIELDS = frozenset({"ts", "deadline", "updated_at"})


def public(fields: dict) -> dict:
    """The wall's view of an event (model fields or its JSON): kind, id, epoch times and the whitelist only."""
    kind = fields["kind"]
    out = {"kind": kind, "event_id": fields["event_id"], "ts": _epoch(fields["ts"])}
    for name in PUBLIC_FIELDS[kind]:
        value = fields.get(name)
        out[name] = _epoch(value) if name in TIME_FIELDS else value
    return out


def decode(entry: Entry) -> dict | None:
    """A stream entry as a public event with its stream and entry id; None for entries the archiver rejects."""
    if entry.data is None:
        return None
    try:
        event = parse_event(entry.stream, entry.data)
    except InvalidEvent:
        return None  # dead-lettered and counted by the archiver; a wall has nothing to draw for it
    return {**public(event.__dict__), "stream": entry.stream, "entry_id": entry.entry_id}


def _state_values(values: list[bytes], now: float) -> tuple[list[dict], int]:
    """Current-state values as public events, and how many were skipped: values the projector stored before
    the contract refused implausible times (year 0001, 9999) must not take the wall down."""
    out = []
    for v in values:
        event = state.stored_event(v, now=now)
        try:
            out.append(public(event))  # type: ignore[arg-type]
        except (TypeError, KeyError, ValueError, OverflowError):
            continue
    return out, len(values) - len(out)


def id_key(entry_id: str) -> tuple[int, int]:
    """Sort key of a Redis stream id ("ms-seq")."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def arrival(event: dict) -> tuple:
    """Order across streams: Redis arrival millisecond, then event time (ids of different streams tie often)."""
    ms, seq = id_key(event["entry_id"])
    return ms, event["ts"], seq


def cursor_now(r: redis.Redis, *, k: Keys | None = None) -> dict[str, str]:
    """Newest entry id per stream ("0" when empty), in one round trip: where a fresh view starts reading."""
    k = k or keys()
    pipe = r.pipeline(transaction=False)
    for name in STREAMS:
        pipe.xrevrange(k.stream(name), count=1)
    rows = pipe.execute()
    return {name: (row[0][0].decode() if row else "0") for name, row in zip(STREAMS, rows, strict=True)}


@dataclass(frozen=True)
class Pull:
    """Events after a cursor, oldest first across streams, and the cursor to read from next."""

    events: list[dict]
    cursor: dict[str, str]
    more: bool
    resync: bool


def pull(
    r: redis.Redis,
    cursor: dict[str, str],
    *,
    until: dict[str, str] | None = None,
    count: int = PULL_COUNT,
    now: float | None = None,
    k: Keys | None = None,
) -> Pull:
    """Everything after `cursor` (up to `until` if given, and `count` per stream) in one round trip.

    `more` says a stream had more pending; `resync` says the backlog is older than RESYNC_AFTER_SECONDS
    (a wall that was cut off for minutes), so the caller should reload the present rather than replay it.
    """
    k = k or keys()
    now = time.time() if now is None else now
    pipe = r.pipeline(transaction=False)
    for name in STREAMS:
        start, end = cursor.get(name) or "0", (until or {}).get(name) or "+"
        pipe.xrange(k.stream(name), min="-" if start == "0" else f"({start}", max=end, count=count)
    rows = pipe.execute()
    events, new_cursor, more, resync = [], dict(cursor), False, False
    for name, entries in zip(STREAMS, rows, strict=True):
        if not entries:
            continue
        parsed = [entry_from(name, eid, fields) for eid, fields in entries]
        new_cursor[name] = parsed[-1].entry_id
        if len(parsed) >= count:
            more = True
            resync = resync or now - id_key(parsed[0].entry_id)[0] / 1000 > RESYNC_AFTER_SECONDS
        events.extend(e for e in map(decode, parsed) if e is not None)
    events.sort(key=arrival)
    if events and not resync:
        events = drop_superseded(r, once.once_each(r, events, streams=TICKER_STREAMS, k=k), k=k)
    return Pull(events=events, cursor=new_cursor, more=more and not resync, resync=resync)


_RANGES = Shared()


def pull_range(*, prefix: str, cursor: tuple[tuple[str, str], ...], until: tuple[tuple[str, str], ...]) -> Pull:
    """`pull` between two cursors, shared per worker: entries in (cursor, until] never change, and every wall
    woken by the same push message asks for the same range, so fifty walls cost one Redis read, not fifty."""
    return _RANGES.get(
        (prefix, cursor, until), lambda: pull(get_redis(), dict(cursor), until=dict(until), k=Keys(prefix))
    )


# Which current-state hash keys each keyed kind, and by which field (the projector's own keys).
STATE_KEY = {
    "camera_alert": ("camera", lambda e: e["camera_id"]),
    "traffic_reading": ("traffic", lambda e: e["segment_id"]),
    "fire_danger": ("fire", fire_scope),
    "complaint": ("complaints", lambda e: e["complaint_id"]),
}


def drop_superseded(r: redis.Redis, events: list[dict], *, k: Keys | None = None) -> list[dict]:
    """Leave out events older than what the projector already holds for their key (late or replayed arrivals).

    A complaint step arriving after a newer one must not reopen it on the wall; the projector's event-time
    table says what is newest, whether or not it has seen this event yet.
    """
    k = k or keys()
    wanted: dict[str, list[str]] = {}
    for e in events:
        if e["kind"] in STATE_KEY:
            name, key = STATE_KEY[e["kind"]]
            wanted.setdefault(name, []).append(key(e))
    if not wanted:
        return events
    pipe = r.pipeline(transaction=False)
    for name, fields in wanted.items():
        pipe.hmget(k.state_ts(name), fields)
    held, top = {}, plausible.ceiling()
    for (name, fields), values in zip(wanted.items(), pipe.execute(), strict=True):
        # A held time in the future was stored before the contract refused it: it holds nothing back.
        held.update({(name, f): float(v) for f, v in zip(fields, values, strict=True) if v is not None})
    held = {key: ts for key, ts in held.items() if ts <= top}

    def current(e: dict) -> bool:
        if e["kind"] not in STATE_KEY:
            return True
        name, key = STATE_KEY[e["kind"]]
        return e["ts"] >= held.get((name, key(e)), float("-inf"))

    return [e for e in events if current(e)]


def window_start(now: float | None = None) -> float:
    """Epoch start of the live window (LIVE_WINDOW_MINUTES): what is older is history, not "the newest alerts"."""
    return (time.time() if now is None else now) - get_settings().live_window_minutes * 60


def snapshot(r: redis.Redis, *, ticker: int = SNAPSHOT_TICKER, k: Keys | None = None) -> dict:
    """The present for a fresh wall: current state per layer, the newest ticker events, and the cursor.

    The cursor is read first: anything published while the rest is read lies after it and arrives with
    the next pull (the layers are keyed by id, so applying it twice changes nothing).
    """
    k = k or keys()
    cursor = cursor_now(r, k=k)
    out = read_current_state(r, k=k)
    pipe = r.pipeline(transaction=False)
    ticker_streams = [name for name in TICKER_STREAMS if cursor[name] != "0"]
    for name in ticker_streams:
        pipe.xrevrange(k.stream(name), max=cursor[name], count=ticker)
    recent: list[dict] = []
    for name, rows in zip(ticker_streams, pipe.execute() if ticker_streams else [], strict=True):
        recent.extend(e for e in (decode(entry_from(name, eid, f)) for eid, f in rows) if e is not None)
    recent.sort(key=arrival)
    return {**out, "recent": once.once_each(r, recent, streams=TICKER_STREAMS, k=k), "cursor": cursor}


def wait_for_change(
    rb: redis.Redis, last: dict[str, str], *, block_ms: int = 4000, k: Keys | None = None
) -> tuple[list[str], dict[str, str]]:
    """Block (on a connection without a socket timeout) until a stream has an entry after `last`.

    Returns the streams that changed and the ids to wait from next. It then jumps to each changed
    stream's newest id, so a burst of 200 entries costs one wake-up rather than 200; an entry added after
    that jump makes the next call return at once, so no wake-up is ever missed.
    """
    k = k or keys()
    reply = rb.xread({k.stream(name): last.get(name) or "0" for name in STREAMS}, count=1, block=block_ms)
    if not reply:
        return [], last
    touched = {key.decode() if isinstance(key, bytes) else key for key, _ in reply}
    changed = [name for name in STREAMS if k.stream(name) in touched]
    newest = cursor_now(rb, k=k)
    return changed, {**last, **{name: newest[name] for name in changed}}


# Figures on the KPI tiles may be this old; also how long one decoded current state serves every wall.
STATE_SECONDS = 4
_STATES = Fresh(STATE_SECONDS, size=8)


def current_state(*, prefix: str) -> dict:
    """The current state decoded at most once per 4 s per worker: fifty walls on a KPI tick read Redis once.

    Kept in this process as the object itself, not in flask-caching: a memoized entry there gets a new key
    each time its version key expires with it, so the old ~90 kB pickles piled up (until the cache's 500-entry
    prune) and the server's memory grew for the first forty minutes of every run. Callers must not change it.
    `prefix` is part of the key so deployments (and test sessions) sharing a process never mix.
    """
    return _STATES.get(prefix, lambda: read_current_state(get_redis(), k=Keys(prefix)))


def read_current_state(r: redis.Redis, *, k: Keys | None = None) -> dict:
    """Every current-state hash plus recent hotspots, as public events, with the time they were read."""
    k = k or keys()
    now = time.time()
    pipe = r.pipeline(transaction=False)
    for name in STATE_NAMES:
        pipe.hvals(k.state(name))
    pipe.zrangebyscore(k.state("hotspots"), now - state.HOTSPOT_WINDOW_SECONDS, plausible.ceiling(now))
    results = pipe.execute()
    out, skipped = {}, 0
    for name, values in zip((*STATE_NAMES, "hotspots"), results, strict=True):
        out[name], n = _state_values(values, now)
        skipped += n
    plausible.SKIPPED.note(r, k.implausible_counts, "wall:state", skipped)
    return {**out, "at": time.time()}


def summarize(st: dict, *, now: float, alert_window_s: float) -> dict:
    """KPI figures from the current state: alerts by kind, congestion index, fire level >= IV, complaints."""
    cutoff = now - alert_window_s
    alerts = Counter(
        a["alert_type"] for a in st["camera"] if a["ts"] >= cutoff and a["alert_type"] not in STATUS_ALERTS
    )
    fresh = [t for t in st["traffic"] if now - t["ts"] <= TRAFFIC_FRESH_SECONDS]
    heavy = sum(1 for t in fresh if t["congestion_level"] >= 3)
    unit_level: dict[str, int] = {}
    for f in st["fire"]:
        if now - f["ts"] <= FIRE_FRESH_SECONDS:
            unit_level[f["unit_code"]] = max(unit_level.get(f["unit_code"], 0), f["level"])
    complaints = st["complaints"]
    return {
        "alerts": sum(alerts.values()),
        "alerts_by_kind": dict(alerts),
        "offline": len(st["camera_offline"]),
        "congestion": heavy / len(fresh) if fresh else None,
        "heavy": heavy,
        "segments_reporting": len(fresh),
        "fire_high": sum(1 for level in unit_level.values() if level >= 4),
        "units_reporting": len(unit_level),
        "hotspots_24h": sum(1 for h in st["hotspots"] if now - h["ts"] <= 86400),
        "open": len(complaints),
        "overdue": sum(1 for c in complaints if c.get("deadline") and c["deadline"] < now),
        "at": st["at"],
    }
