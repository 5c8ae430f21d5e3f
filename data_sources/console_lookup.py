"""One console alert looked up by id on the server (streams, then PostgreSQL): what the workflow acts on and the
detail panel shows, never what the browser sent."""

from __future__ import annotations

import re
import time
from datetime import datetime

import redis
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from data_sources import schema
from data_sources.console import QUEUE_STREAMS, classify
from data_sources.core.streams import DATA_FIELD, Keys, keys
from data_sources.events import InvalidEvent, parse_event

# The newest entries of each queue stream searched: the window a fresh console's queue is read from
# (data_sources.console.SNAPSHOT_COUNT). An older alert is in PostgreSQL (the archiver writes within seconds).
SCAN = 1000
COMPLAINT = "complaint:"
# Alert ids are event ids (the contract's Id pattern, at most 128 characters) or "complaint:" + a complaint id.
_ID = re.compile(r"^(complaint:)?[A-Za-z0-9._:\-]{1,128}$")


def valid_id(alert_id: object) -> bool:
    """Whether `alert_id` has the shape of an alert id at all (anything else is unknown without a lookup)."""
    return isinstance(alert_id, str) and bool(_ID.match(alert_id))


def find(r: redis.Redis, engine: Engine, *, alert_id: str, k: Keys | None = None, now: float | None = None):
    """The queue item of `alert_id` (as data_sources.console.classify makes it, with the event as `raw`), or
    None when no event that is (or was) an alert has that id.

    The streams are read first (an alert the archiver has not written yet, a complaint's newest step), then
    PostgreSQL. When one server is unreachable and the other does not know the id, the outage is raised:
    "unknown" is said only when both could answer.
    """
    if not valid_id(alert_id):
        return None
    failed: Exception | None = None
    event = None
    try:
        event = _from_streams(r, alert_id, k or keys())
    except redis.RedisError as exc:
        failed = exc
    if event is None:
        try:
            event = _from_postgres(engine, alert_id)
        except SQLAlchemyError as exc:
            failed = failed or exc
    if event is None:
        if failed is not None:
            raise failed
        return None
    return item_for(event, now=time.time() if now is None else now)


def item_for(event: dict, *, now: float) -> dict | None:
    """The queue item of a stream-shaped event (ISO times); None for an event that never needs a person."""
    parsed = {**event, "ts": _epoch(event["ts"]), "deadline": _epoch(event.get("deadline"))}
    # A fire reading is looked at on its own: an officer may act on a rise the queue showed earlier.
    item = classify(parsed, now=now, prev_level=None)
    if item is None and event["kind"] == "complaint":
        item = _complaint_item(parsed)
    return {**item, "raw": event} if item is not None else None


def _complaint_item(event: dict) -> dict:
    """A complaint that has left the queue (closed, or no longer due) is still an alert one may act on."""
    urgent = bool(event.get("urgent"))
    return {"event_id": event["event_id"], "ts": event["ts"], "kind": "complaint",
            "alert_id": COMPLAINT + event["complaint_id"], "type": "complaint_urgent" if urgent else "complaint_due",
            "severity": "high" if urgent else "medium", "complaint_id": event["complaint_id"],
            "unit_code": event["unit_code"], "agency_code": event.get("agency_code"), "lat": event["lat"],
            "lon": event["lon"], "deadline": event.get("deadline"), "title": event["title"]}  # fmt: skip


def _epoch(value) -> float | None:
    if isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    return value.timestamp() if isinstance(value, datetime) else value


def _from_streams(r: redis.Redis, alert_id: str, k: Keys) -> dict | None:
    """The newest valid event with that id in the recent window of the queue streams."""
    complaint = alert_id.startswith(COMPLAINT)
    wanted = alert_id.removeprefix(COMPLAINT) if complaint else alert_id
    names = ("complaint",) if complaint else tuple(n for n in QUEUE_STREAMS if n != "complaint")
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.xrevrange(k.stream(name), count=SCAN)
    needle = wanted.encode()
    found = []
    for name, rows in zip(names, pipe.execute(), strict=True):
        for _, fields in rows:
            data = fields.get(DATA_FIELD)
            if not data or needle not in data:  # a cheap filter before parsing: most entries are other alerts
                continue
            try:
                event = parse_event(name, data).model_dump(mode="json")
            except InvalidEvent:
                continue  # dead-lettered by the archiver: not an alert anyone may act on
            if event.get("complaint_id" if complaint else "event_id") == wanted:
                found.append(event)
    return max(found, key=lambda e: _epoch(e["ts"])) if found else None


def _from_postgres(engine: Engine, alert_id: str) -> dict | None:
    """The fact row with that id (the complaint's snapshot row for a complaint), shaped like a stream event."""
    with engine.connect() as conn:
        if alert_id.startswith(COMPLAINT):
            t = schema.complaints
            row = conn.execute(select(t).where(t.c.complaint_id == alert_id.removeprefix(COMPLAINT))).first()
            if row is None:
                return None
            # As data_sources.console_history: the snapshot row is the newest step; its id stands in for the step's.
            return _event("complaint", row, event_id=row.complaint_id, ts=(row.updated_at or row.received_at))
        for kind, t in (("camera_alert", schema.camera_alerts), ("hotspot", schema.hotspots),
                        ("fire_danger", schema.fire_danger)):  # fmt: skip
            row = conn.execute(select(t).where(t.c.event_id == alert_id)).first()
            if row is not None:
                return _event(kind, row)
    return None


def _event(kind: str, row, **extra) -> dict:
    data = {name: value for name, value in {**row._mapping, **extra}.items() if value is not None}
    data.pop("ingested_at", None)
    return {"kind": kind, **{n: v.isoformat() if isinstance(v, datetime) else v for n, v in data.items()}}
