"""The wall's history from PostgreSQL: last-hour series per KPI (one point a minute) and the 30-day on-time share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, case, func, select

from data_sources import plausible
from data_sources.core.cache import HISTORY_TIMEOUT, cache
from data_sources.core.connections import get_engine
from data_sources.live import STATUS_ALERTS
from data_sources.schema import camera_alerts, complaints, fire_danger, traffic_readings

MINUTES = 60
ON_TIME_DAYS = 30


def minute_index(start: datetime, when: datetime) -> int:
    """Which one-minute bucket after `start` holds `when`."""
    return int((when - start).total_seconds() // 60)


def fire_series(before: list[dict], during: list[dict], *, start: datetime, minutes: int = MINUTES) -> list[int]:
    """Units at danger level >= IV at the end of each minute, from the levels in force at `start` and the changes.

    A unit's level is the highest of its own forecast and its forest areas' (the same rule as the KPI tile).
    """
    scope_level = {(r["unit_code"], r["area_id"]): r["level"] for r in before}
    changes = sorted(during, key=lambda r: r["ts"])
    out, i = [], 0
    for minute in range(minutes):
        end = start + timedelta(minutes=minute + 1)
        while i < len(changes) and changes[i]["ts"] < end:
            scope_level[(changes[i]["unit_code"], changes[i]["area_id"])] = changes[i]["level"]
            i += 1
        unit_level: dict[str, int] = {}
        for (unit, _area), level in scope_level.items():
            unit_level[unit] = max(unit_level.get(unit, 0), level)
        out.append(sum(1 for level in unit_level.values() if level >= 4))
    return out


def open_series(open_now: int, received: dict[int, int], closed: dict[int, int], *, minutes: int = MINUTES) -> list:
    """Open complaints at the end of each minute, walked back from the count open now."""
    out = [0] * minutes
    value = open_now
    for minute in range(minutes - 1, -1, -1):
        out[minute] = value
        value = value - received.get(minute, 0) + closed.get(minute, 0)
    return out


def _per_minute(conn, column, value, *where, start: datetime, top: datetime) -> dict[int, float]:
    bucket = func.date_trunc("minute", column)
    # Bounded above too: a row dated 9999 (stored before the contract refused it) is no minute of this hour,
    # and one past year 9999 in UTC cannot even be loaded.
    rows = conn.execute(select(bucket, value).where(column.between(start, top), *where).group_by(bucket))
    return {minute_index(start, m): float(v) for m, v in rows if 0 <= minute_index(start, m) < MINUTES}


def read_last_hour(engine: Engine, *, now: datetime) -> dict:
    """Per-minute series for the last hour (index 0 is the oldest minute) and the 30-day on-time share."""
    start = now.replace(second=0, microsecond=0) - timedelta(minutes=MINUTES - 1)
    top = datetime.fromtimestamp(plausible.ceiling(now.timestamp()), UTC)
    with engine.connect() as conn:
        alerts = _per_minute(
            conn,
            camera_alerts.c.ts,
            func.count(),
            camera_alerts.c.alert_type.not_in(STATUS_ALERTS),
            start=start,
            top=top,
        )
        heavy = func.avg(case((traffic_readings.c.congestion_level >= 3, 1.0), else_=0.0))
        congestion = _per_minute(conn, traffic_readings.c.ts, heavy, start=start, top=top)
        scope = (fire_danger.c.unit_code, func.coalesce(fire_danger.c.area_id, ""))
        cols = (fire_danger.c.unit_code, fire_danger.c.area_id, fire_danger.c.level, fire_danger.c.ts)
        before = conn.execute(
            select(*cols)
            .where(fire_danger.c.ts >= plausible.FLOOR, fire_danger.c.ts < start)
            .distinct(*scope)
            .order_by(*scope, fire_danger.c.ts.desc())
        )
        during = conn.execute(select(*cols).where(fire_danger.c.ts.between(start, top)))
        fire = fire_series([r._asdict() for r in before], [r._asdict() for r in during], start=start)
        open_now = conn.execute(select(func.count()).where(complaints.c.closed_at.is_(None))).scalar_one()
        received = _per_minute(conn, complaints.c.received_at, func.count(), start=start, top=top)
        closed = _per_minute(conn, complaints.c.closed_at, func.count(), start=start, top=top)
        since = now - timedelta(days=ON_TIME_DAYS)
        on_time, due = conn.execute(
            select(
                func.count().filter(complaints.c.closed_at <= complaints.c.deadline),
                func.count(),
            ).where(and_(complaints.c.closed_at >= since, complaints.c.deadline.is_not(None)))
        ).one()
    return {
        "alerts": [int(alerts.get(i, 0)) for i in range(MINUTES)],
        "congestion": [congestion.get(i) for i in range(MINUTES)],
        "fire": fire,
        "open": open_series(open_now, {m: int(v) for m, v in received.items()}, {m: int(v) for m, v in closed.items()}),
        "on_time": (on_time / due) if due else None,
        "on_time_n": due,
        "at": now.timestamp(),
    }


@cache.memoize(timeout=HISTORY_TIMEOUT)
def last_hour() -> dict:
    """Cached a minute per worker: the series move by one point a minute, and fifty walls ask every minute."""
    return read_last_hour(get_engine(), now=datetime.now(UTC))
