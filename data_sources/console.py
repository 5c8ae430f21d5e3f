"""The console's queue: stream events that need a person, read from the wall's streams by cursor, masked per role."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import redis
from sqlalchemy import Engine, select

from data_sources import alerts_workflow, once, plausible, privacy, reference, schema
from data_sources.core.cache import Shared
from data_sources.core.connections import get_redis
from data_sources.core.group_commit import GroupCommit
from data_sources.core.streams import Keys, entry_from, keys
from data_sources.events import SEVERITY_RANK, InvalidEvent, fire_scope, parse_event
from data_sources.live import cursor_now, id_key, public

# Only these streams carry alerts; traffic readings never need a person on their own.
QUEUE_STREAMS = ("camera", "fire", "complaint")
# Camera alert types that always need a person; the others only from this severity up.
ALWAYS = frozenset({"plate_watchlist", "face_match", "fire_smoke"})
MIN_OTHER_RANK = SEVERITY_RANK["high"]
# Fire danger IV (nguy hiểm) and V (cực kỳ nguy hiểm) need a response plan.
FIRE_LEVEL = 4
DUE_SOON_SECONDS = 24 * 3600
CLOSED = frozenset({"resolved", "rejected", "rated"})
# How much of each stream a fresh console reads (the streams keep the recent window only).
SNAPSHOT_COUNT = 1000
PULL_COUNT = 500
NEARBY_DEG = 0.01  # ~1 km around a place: the cameras shown on the detail map


def _epoch(value) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def classify(event: dict, *, now: float, prev_level: int | None = None) -> dict | None:
    """A queue item for an event that needs a human, None otherwise (a pure function of the event and the time).

    A fire danger reading needs a person only when its level RISES to IV or V: `prev_level` is the scope's
    previous reading (None: it has none, so the reading is a rise).
    """
    kind, ts = event["kind"], _epoch(event["ts"])
    base = {"event_id": event["event_id"], "ts": ts, "kind": kind, "raw": event}
    if kind == "camera_alert":
        if event["alert_type"] in ("camera_online",):
            return None
        if event["alert_type"] not in ALWAYS and SEVERITY_RANK[event["severity"]] < MIN_OTHER_RANK:
            return None
        cam = reference.places()["cameras"].get(event["camera_id"], {})
        return {
            **base,
            "alert_id": event["event_id"],
            "type": event["alert_type"],
            "severity": event["severity"],
            "camera_id": event["camera_id"],
            "unit_code": cam.get("unit_code"),
            "lat": cam.get("lat"),
            "lon": cam.get("lon"),
            "plate": event.get("plate"),
            "person_name": event.get("person_name"),
        }
    if kind == "hotspot":
        sev = "critical" if event["confidence"] == "high" else "high"
        return {**base, "alert_id": event["event_id"], "type": "hotspot", "severity": sev,
                "unit_code": event.get("unit_code"), "lat": event["lat"], "lon": event["lon"]}  # fmt: skip
    if kind == "fire_danger":
        if event["level"] < FIRE_LEVEL or (prev_level is not None and event["level"] <= prev_level):
            return None
        unit = reference.places()["units"].get(event["unit_code"], {})
        return {**base, "alert_id": event["event_id"], "type": f"fire_level_{event['level']}",
                "severity": "critical" if event["level"] >= 5 else "high", "unit_code": event["unit_code"],
                "lat": unit.get("lat"), "lon": unit.get("lon")}  # fmt: skip
    if kind == "complaint":
        if event["status"] in CLOSED:
            return None
        deadline = _epoch(event.get("deadline"))
        overdue = deadline is not None and deadline < now
        due_soon = deadline is not None and not overdue and deadline - now <= DUE_SOON_SECONDS
        if not (event.get("urgent") or overdue or due_soon):
            return None
        sev = "critical" if overdue and event.get("urgent") else "high" if overdue or event.get("urgent") else "medium"
        kind_type = "complaint_overdue" if overdue else "complaint_urgent" if event.get("urgent") else "complaint_due"
        # One queue item per complaint, whichever step is newest: the id is the complaint's, not the event's.
        return {**base, "alert_id": f"complaint:{event['complaint_id']}", "type": kind_type, "severity": sev,
                "complaint_id": event["complaint_id"], "unit_code": event["unit_code"],
                "agency_code": event.get("agency_code"), "lat": event["lat"], "lon": event["lon"],
                "deadline": deadline, "title": event["title"]}  # fmt: skip
    return None


def _decode(stream: str, eid, fields) -> dict | None:
    entry = entry_from(stream, eid, fields)
    if entry.data is None:
        return None
    try:
        event = parse_event(entry.stream, entry.data)
    except InvalidEvent:
        # Dead-lettered by the archiver (or stored before the contract refused it, e.g. a year-0001 time):
        # nothing a person can act on, and it must not take the queue down.
        return None
    return {**event.model_dump(mode="json"), "entry_id": entry.entry_id, "stream": stream}


def _decoded(r: redis.Redis, k: Keys, streams_rows) -> list[dict]:
    """Queue events of (stream, rows) pairs: unreadable entries skipped (and counted), copies of an event
    another entry already carried left out (data_sources.once: the same records as the wall's)."""
    events, skipped = [], 0
    for name, rows in streams_rows:
        for eid, fields in rows:
            event = _decode(name, eid, fields)
            if event is None:
                skipped += 1
            else:
                events.append(event)
    plausible.SKIPPED.note(r, k.implausible_counts, "console", skipped)
    views = [{**public(e), "stream": e["stream"], "entry_id": e["entry_id"]} for e in events]
    kept = {(v["stream"], v["entry_id"]) for v in once.once_each(r, views, streams=QUEUE_STREAMS, k=k)}
    return [e for e in events if (e["stream"], e["entry_id"]) in kept]


def _ordered(events: list[dict]) -> list[dict]:
    return sorted(events, key=lambda e: (_parse_ts(e["ts"]), id_key(e["entry_id"])))


def _items(events: list[dict], now: float, before: dict[str, int] | None = None, gone: set | None = None) -> list:
    """Queue items of a batch of events; `before` holds each fire scope's level before the batch's first reading,
    and `gone` collects complaints that left the queue in the batch (closed, or no longer due)."""
    out: dict[str, dict] = {}
    gone = set() if gone is None else gone
    levels = dict(before or {})
    for event in _ordered(events):
        prev = None
        if event["kind"] == "fire_danger":
            prev = levels.get(fire_scope(event))
            levels[fire_scope(event)] = event["level"]
        parsed = {**event, "ts": _parse_ts(event["ts"]), "deadline": _parse_ts(event.get("deadline"))}
        item = classify(parsed, now=now, prev_level=prev)
        if item is not None:
            raw = {key: value for key, value in event.items() if key != "stream"}
            out[item["alert_id"]] = {**item, "raw": raw}  # a newer complaint step (or alert version) replaces it
            gone.discard(item["alert_id"])
        elif event["kind"] == "complaint":
            out.pop(f"complaint:{event['complaint_id']}", None)  # closed or no longer due: leaves the queue
            gone.add(f"complaint:{event['complaint_id']}")
    return list(out.values())


def _parse_ts(value):
    return plausible.epoch_of(value) if isinstance(value, str) else value


def levels_before(r: redis.Redis, engine: Engine | None, events: list[dict], *, k: Keys | None = None) -> dict:
    """Each fire scope's level just before its first reading in `events`.

    The current state (now:fire) holds it while the archiver has not yet projected that reading (its time is
    older); once it has, the previous reading comes from PostgreSQL. Unknown scopes are left out (a rise).
    """
    first: dict[str, dict] = {}
    for e in _ordered([e for e in events if e["kind"] == "fire_danger"]):
        first.setdefault(fire_scope(e), e)
    if not first:
        return {}
    k = k or keys()
    pipe = r.pipeline(transaction=False)
    pipe.hmget(k.state("fire"), list(first))
    pipe.hmget(k.state_ts("fire"), list(first))
    values, times = pipe.execute()
    out, ask = {}, []
    for (scope, e), value, held in zip(first.items(), values, times, strict=True):
        if value is not None and held is not None and float(held) < _parse_ts(e["ts"]):
            out[scope] = json.loads(value)["level"]
        else:
            ask.append(e)
    if ask and engine is not None:
        out.update(_pg_levels_before(engine, ask))
    return out


def _pg_levels_before(engine: Engine, firsts: list[dict]) -> dict[str, int]:
    t = schema.fire_danger
    out = {}
    with engine.connect() as conn:
        for e in firsts:  # a handful of scopes per pull at most: one indexed (unit_code, ts) lookup each
            stmt = (
                select(t.c.level)
                .where(
                    t.c.unit_code == e["unit_code"],
                    t.c.area_id == e["area_id"] if e.get("area_id") else t.c.area_id.is_(None),
                    t.c.ts < datetime.fromtimestamp(_parse_ts(e["ts"]), UTC),
                )
                .order_by(t.c.ts.desc())
                .limit(1)
            )
            level = conn.execute(stmt).scalar()
            if level is not None:
                out[fire_scope(e)] = level
    return out


def snapshot(
    r: redis.Redis,
    *,
    engine: Engine | None = None,
    k: Keys | None = None,
    count: int = SNAPSHOT_COUNT,
    now: float | None = None,
) -> dict:
    """The queue for a fresh console and the cursor to pull from next (read first, so nothing falls between)."""
    k = k or keys()
    head = r.xrevrange(workflow_key(k), count=1)
    # Workflow changes after this id are pulled later; earlier ones are already in the states read after it.
    cursor = {**cursor_now(r, k=k), "workflow": head[0][0].decode() if head else "0"}
    pipe = r.pipeline(transaction=False)
    for name in QUEUE_STREAMS:
        pipe.xrevrange(k.stream(name), max=cursor[name] if cursor[name] != "0" else "+", count=count)
    # Oldest first, as the streams were written: the first entry of an event id is the one shown.
    events = _decoded(r, k, [(name, rows[::-1]) for name, rows in zip(QUEUE_STREAMS, pipe.execute(), strict=True)])
    before, gone = levels_before(r, engine, events, k=k), set()
    items = _items(events, time.time() if now is None else now, before, gone)
    return {"items": items, "gone": sorted(gone), "cursor": cursor}


def _after(cursor: dict[str, str], name: str) -> str:
    start = cursor.get(name) or "0"
    return "-" if start == "0" else f"({start}"


def pull(
    r: redis.Redis,
    cursor: dict[str, str],
    *,
    engine: Engine | None = None,
    k: Keys | None = None,
    count: int = PULL_COUNT,
    until: dict[str, str] | None = None,
) -> dict:
    """Queue items from entries after `cursor` (up to `until`'s ids where given), alerts whose workflow changed
    since, the next cursor, and whether a stream had more pending."""
    k = k or keys()
    until = until or {}
    pipe = r.pipeline(transaction=False)
    for name in QUEUE_STREAMS:
        pipe.xrange(k.stream(name), min=_after(cursor, name), max=until.get(name, "+"), count=count)
    pipe.xrange(workflow_key(k), min=_after(cursor, "workflow"), max=until.get("workflow", "+"), count=count)
    *queued, flow = pipe.execute()
    new_cursor = dict(cursor)
    more = len(flow) >= count
    if flow:
        new_cursor["workflow"] = flow[-1][0].decode()
    changed = list(dict.fromkeys(fields[b"alert_id"].decode() for _, fields in flow))
    for name, rows in zip(QUEUE_STREAMS, queued, strict=True):
        if rows:
            new_cursor[name] = entry_from(name, rows[-1][0], rows[-1][1]).entry_id
            more = more or len(rows) >= count
    events = _decoded(r, k, zip(QUEUE_STREAMS, queued, strict=True))
    before, gone = levels_before(r, engine, events, k=k), set()
    items = _items(events, time.time(), before, gone)
    return {"items": items, "gone": sorted(gone), "changed": changed, "cursor": new_cursor, "more": more}


# Pulls shared by every console of a process woken by the same message (a hundred consoles on one worker).
_PULLS = Shared(size=64, wait_s=10.0)
ALL_CURSOR = (*QUEUE_STREAMS, "workflow")


def shared_pull(
    r: redis.Redis, cursor: dict[str, str], until: dict[str, str], *, engine: Engine, k: Keys | None = None
) -> dict:
    """`pull` from `cursor` up to `until` plus the workflow states of its alerts, computed once per process:
    consoles woken by the same push message ask for the same range, which never changes once its ids exist,
    so a hundred of them cost one Redis read and one PostgreSQL query instead of a hundred of each.
    The states come from PostgreSQL (the truth); the answer is shared, never changed by its readers."""
    k = k or keys()

    def compute() -> dict:
        got = pull(r, cursor, engine=engine, k=k, until=until)
        alert_ids = [i["alert_id"] for i in got["items"]] + got["changed"]
        return {**got, "states": alerts_workflow.states(engine, alert_ids=alert_ids)}

    key = (k.prefix, *(cursor.get(n, "0") for n in ALL_CURSOR), *(until[n] for n in ALL_CURSOR))
    return _PULLS.get(key, compute)


def workflow_key(k: Keys) -> str:
    """The capped stream of workflow changes (one small entry per action) that other consoles follow."""
    return f"{k.prefix}workflow"


# Consoles read changes within seconds; a console away for longer reloads the states from PostgreSQL anyway.
WORKFLOW_MAXLEN = 10_000


def announce(r: redis.Redis, *, alert_id: str, version: int, k: Keys | None = None) -> str:
    """Tell other consoles an alert changed (PostgreSQL stays the truth: they re-read its state from there)."""
    eid = r.xadd(
        workflow_key(k or keys()),
        {b"alert_id": alert_id, b"version": str(version)},
        maxlen=WORKFLOW_MAXLEN,
        approximate=True,
    )
    return eid.decode() if isinstance(eid, bytes) else eid


def heads(r: redis.Redis, *, k: Keys | None = None) -> dict[str, str]:
    """Newest id of each queue stream and of the workflow stream, in one round trip ("0" when empty).

    The console's health tick: it raises while Redis is down (the banner), and a head past the page's
    cursor wakes a pull even if a push message was lost (e.g. the push channel reconnecting after an outage).
    """
    k = k or keys()
    names = {**{name: k.stream(name) for name in QUEUE_STREAMS}, "workflow": workflow_key(k)}
    pipe = r.pipeline(transaction=False)
    for key in names.values():
        pipe.xrevrange(key, count=1)
    return {name: (rows[0][0].decode() if rows else "0") for name, rows in zip(names, pipe.execute(), strict=True)}


# Cleared consoles' audit rows: many consoles shown the same alerts at once share one transaction.
_AUDIT = GroupCommit()


_HEADS = Shared(size=8, wait_s=2.0)


def shared_heads(*, prefix: str) -> dict[str, str]:
    """`heads` read at most twice a second per worker: every console's health tick asks for the same ids."""
    return _HEADS.get((prefix, int(time.monotonic() * 2)), lambda: heads(get_redis(), k=Keys(prefix)))


def protect(engine: Engine, items: list[dict], *, viewer) -> list[dict]:
    """Mask plates and names (also inside the raw event) unless the viewer is cleared; audit cleared views
    (returns once the audit row is committed). Nothing here needs PostgreSQL for a masked viewer."""
    if viewer.cleared_for_personal_data and any(privacy.has_personal_data(i) for i in items):
        shown = _AUDIT.run(
            engine, lambda conn: privacy.protect_rows(conn, viewer, items, subject="console_alert", id_field="alert_id")
        )
    else:
        shown = [privacy.mask_row(i, viewer) for i in items]
    return [{**item, "raw": privacy.mask_row(item["raw"], viewer)} for item in shown]


def nearby_cameras(lat: float | None, lon: float | None, *, limit: int = 12) -> list[dict]:
    """Reference cameras within ~1 km of a place, for the detail map."""
    if lat is None or lon is None:
        return []
    near = [
        c
        for c in reference.places()["cameras"].values()
        if abs(c["lat"] - lat) <= NEARBY_DEG and abs(c["lon"] - lon) <= NEARBY_DEG
    ]
    return near[:limit]


# Which stream and field tie an alert to its place; for a complaint the matches are its own steps (its timeline).
PLACE_KEY = {"camera_alert": ("camera", "camera_id"), "complaint": ("complaint", "complaint_id"),
             "hotspot": ("fire", "unit_code"), "fire_danger": ("fire", "unit_code")}  # fmt: skip
PLACE_SCAN = 2000  # newest entries of the stream searched (the streams hold the recent window only)


def place_events(
    r: redis.Redis, engine: Engine, *, raw: dict, viewer, k: Keys | None = None, limit: int = 8
) -> list[dict]:
    """The newest events at an alert's place (same camera, same unit) or a complaint's steps, masked as `protect`."""
    stream, field = PLACE_KEY.get(raw.get("kind"), (None, None))
    if stream is None or not raw.get(field):
        return []
    rows = r.xrevrange((k or keys()).stream(stream), count=PLACE_SCAN)
    found = [
        {key: value for key, value in e.items() if key != "stream"}
        for e in (_decode(stream, eid, f) for eid, f in rows)
        if e is not None and e.get(field) == raw[field]
    ]
    found.sort(key=lambda e: _parse_ts(e["ts"]), reverse=True)  # newest by event time (arrival order may differ)
    with engine.begin() as conn:
        return privacy.protect_rows(conn, viewer, found[:limit], subject="console_place", id_field="event_id")
