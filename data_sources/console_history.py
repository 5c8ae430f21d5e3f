"""The console's queue from PostgreSQL: open alerts of the last days, so a restart or a trimmed stream loses no work."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, case, func, literal, not_, or_, select

from data_sources import plausible, schema
from data_sources.alerts_workflow import console_alert
from data_sources.console import ALWAYS, CLOSED, DUE_SOON_SECONDS, FIRE_LEVEL, classify
from data_sources.core.cache import cache
from data_sources.core.connections import get_engine
from data_sources.events import DEADLINE_HORIZON
from data_sources.plausible import FLOOR

# How far back open work is looked for, and how many items of each kind at most (most severe first):
# a queue longer than this is not one a shift can work through, and the grid stays quick.
DAYS = 7
LIMIT = 200
# A fire reading's previous level is looked for this much further back than the window.
FIRE_LOOKBACK = timedelta(days=2)
# The queue from history changes when the archiver writes (seconds) or an officer resolves (the states are read
# fresh, so a resolved item shows as resolved until this expires): a short cache lets many consoles opening at
# a shift change cost one set of queries per worker.
CACHE_SECONDS = 10

_RESOLVED = select(console_alert.c.alert_id).where(console_alert.c.state == "resolved")


def _open(alert_id) -> object:
    return not_(alert_id.in_(_RESOLVED))


def _plausible(column, upper: datetime) -> object:
    """A time column inside the contract's window, so a row stored before the contract (year 0001 reads back
    as 1 BC and cannot become a Python datetime; 9999-12-31-07:00 is year 10000) is skipped, never loaded."""
    return or_(column.is_(None), column.between(FLOOR, upper))


def _event(kind: str, row, **extra) -> dict:
    """A stream-shaped event from a fact row (ISO times, as the stream carries them)."""
    data = {k: v for k, v in row._mapping.items() if v is not None and k not in ("ingested_at", "prev")}
    data = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}
    return {"kind": kind, **data, **extra}


def _camera(conn, since: datetime, limit: int, top: datetime) -> list[dict]:
    t = schema.camera_alerts
    rank = case({"critical": 4, "high": 3, "medium": 2, "low": 1}, value=t.c.severity, else_=0)
    stmt = (
        select(t)
        .where(
            t.c.ts.between(since, top),
            _plausible(t.c.updated_at, top),
            t.c.alert_type != "camera_online",
            or_(t.c.alert_type.in_(sorted(ALWAYS)), t.c.severity.in_(["high", "critical"])),
            _open(t.c.event_id),
        )
        .order_by(rank.desc(), t.c.ts.desc())
        .limit(limit)
    )
    return [_event("camera_alert", r) for r in conn.execute(stmt)]


def _hotspots(conn, since: datetime, limit: int, top: datetime) -> list[dict]:
    t = schema.hotspots
    stmt = (
        select(t)
        .where(t.c.ts.between(since, top), _open(t.c.event_id))
        .order_by((t.c.confidence == "high").desc(), t.c.ts.desc())
        .limit(limit)
    )
    return [_event("hotspot", r) for r in conn.execute(stmt)]


def _fire_rises(conn, since: datetime, limit: int, top: datetime) -> list[dict]:
    """Readings at level IV or V that rose from the scope's previous reading (or are its first one)."""
    t = schema.fire_danger
    prev = func.lag(t.c.level).over(partition_by=(t.c.unit_code, t.c.area_id), order_by=(t.c.ts, t.c.event_id))
    inner = (
        select(t.c.event_id, t.c.ts, t.c.unit_code, t.c.area_id, t.c.level, prev.label("prev"))
        .where(t.c.ts.between(since - FIRE_LOOKBACK, top))
        .subquery()
    )
    stmt = (
        select(inner)
        .where(
            inner.c.ts >= since,
            inner.c.level >= FIRE_LEVEL,
            or_(inner.c.prev.is_(None), inner.c.level > inner.c.prev),
            _open(inner.c.event_id),
        )
        .order_by(inner.c.level.desc(), inner.c.ts.desc())
        .limit(limit)
    )
    return [_event("fire_danger", r, prev_level=r.prev) for r in conn.execute(stmt)]


def _complaints(conn, now: datetime, limit: int, top: datetime) -> list[dict]:
    """Open complaints that are urgent, overdue or due within 24 h (the snapshot table: one row per complaint)."""
    t = schema.complaints
    stmt = (
        select(t)
        .where(
            t.c.status.not_in(sorted(CLOSED)),
            _plausible(t.c.received_at, top),
            _plausible(t.c.updated_at, top),
            _plausible(t.c.closed_at, top),
            _plausible(t.c.deadline, top + DEADLINE_HORIZON),
            or_(t.c.urgent, and_(t.c.deadline.is_not(None), t.c.deadline <= now + timedelta(seconds=DUE_SOON_SECONDS))),
            _open(literal("complaint:") + t.c.complaint_id),
        )
        .order_by(t.c.deadline.asc().nulls_last(), t.c.received_at.desc())
        .limit(limit)
    )
    # The snapshot row is the complaint's newest step; its own id stands in for the step's event id.
    return [
        _event("complaint", r, event_id=r.complaint_id, ts=(r.updated_at or r.received_at).isoformat())
        for r in conn.execute(stmt)
    ]


def open_items(engine: Engine, *, days: int = DAYS, limit: int = LIMIT, now: float | None = None) -> list[dict]:
    """Queue items (as data_sources.console.classify makes them) for open alerts found in PostgreSQL."""
    now = time.time() if now is None else now
    at = datetime.fromtimestamp(now, UTC)
    since = at - timedelta(days=days)
    top = datetime.fromtimestamp(plausible.ceiling(now), UTC)
    with engine.connect() as conn:
        events = [
            *_camera(conn, since, limit, top),
            *_hotspots(conn, since, limit, top),
            *_fire_rises(conn, since, limit, top),
            *_complaints(conn, at, limit, top),
        ]
    items = []
    for event in events:
        parsed = {
            **event,
            "ts": datetime.fromisoformat(event["ts"]).timestamp(),
            "deadline": datetime.fromisoformat(event["deadline"]).timestamp() if event.get("deadline") else None,
        }
        item = classify(parsed, now=now, prev_level=event.get("prev_level"))
        if item is not None:
            items.append({**item, "raw": {k: v for k, v in event.items() if k != "prev_level"}})
    return items


@cache.memoize(timeout=CACHE_SECONDS)
def cached_open_items(*, database_url: str, days: int = DAYS, limit: int = LIMIT) -> list[dict]:
    """`open_items` shared by the consoles of one worker for a few seconds (keyed by database)."""
    return open_items(get_engine(database_url), days=days, limit=limit)


def merge(history: list[dict], live: list[dict], gone: Iterable[str] = ()) -> list[dict]:
    """One item per alert id: the stream's (newer, fuller) wins over the history's; `gone` (complaints the stream
    saw close, which the archiver may not have written yet) leave."""
    out = {item["alert_id"]: item for item in history}
    for alert_id in gone:
        out.pop(alert_id, None)
    out.update({item["alert_id"]: item for item in live})
    return list(out.values())
