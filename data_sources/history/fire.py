"""Forest-fire history for the drill-down pages: danger level per unit and day, hotspots, days at level IV+."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Select, func, select

from data_sources.history.common import HISTORY_TTL, LOCAL, Window, frame, local_day, memoized
from data_sources.schema import fire_danger, hotspots
from data_sources.viewer import Viewer, scoped, unit_scope

MAX_HOTSPOTS = 20_000
DANGEROUS = 4  # level IV "nguy hiểm" and V "cực kỳ nguy hiểm": burning and any use of fire in forest are banned


def season_start(until: datetime) -> datetime:
    """Start of the fire season a window ending at `until` belongs to: 1 January, Huế time.

    Forest-fire prevention plans run by calendar year and the dry season (roughly April–August) lies inside
    it, so "this season" is the year to date; in November it still answers for the season just ended.
    """
    local = until.astimezone(LOCAL)
    return datetime(local.year, 1, 1, tzinfo=LOCAL)


def _danger(scope: Viewer, since: datetime, until: datetime, unit: str | None) -> list:
    f = fire_danger
    conds = [f.c.ts >= since, f.c.ts < until, unit_scope(scope, unit_col=f.c.unit_code)]
    return conds + ([f.c.unit_code == unit] if unit else [])


def daily_levels_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    f = fire_danger
    day = local_day(f.c.ts).label("day")
    return (
        select(f.c.unit_code, day, func.max(f.c.level).label("level"))
        .where(*_danger(scope, window.since, window.until, unit))
        .group_by(f.c.unit_code, day)
        .order_by(f.c.unit_code, day)
    )


@memoized(HISTORY_TTL)
def daily_levels(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Highest danger level per unit and local day (any forest area of the unit counts)."""
    return frame(daily_levels_sql(scope, window, unit))


def bulletins_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    f = fire_danger
    return (
        select(f.c.ts, f.c.unit_code, f.c.area_id, f.c.level)
        .where(*_danger(scope, window.since, window.until, unit))
        .order_by(f.c.ts, f.c.unit_code)
    )


@memoized(HISTORY_TTL)
def bulletins(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Every danger bulletin in the window (the step chart of one unit)."""
    return frame(bulletins_sql(scope, window, unit))


def season_days_sql(scope: Viewer, until: datetime, unit: str | None) -> Select:
    f = fire_danger
    days = func.count(func.distinct(local_day(f.c.ts))).filter(f.c.level >= DANGEROUS)
    return (
        select(f.c.unit_code, days.label("days"), func.max(f.c.level).label("max_level"))
        .where(*_danger(scope, season_start(until), until, unit))
        .group_by(f.c.unit_code)
        .order_by(days.desc(), f.c.unit_code)
    )


@memoized(HISTORY_TTL)
def season_days(scope: Viewer, until: datetime, unit: str | None = None) -> pd.DataFrame:
    """Per unit: local days this season with a bulletin at level IV or V, and the season's highest level."""
    return frame(season_days_sql(scope, until, unit))


def hotspots_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    h = hotspots
    stmt = select(
        h.c.event_id, h.c.ts, h.c.lat, h.c.lon, h.c.confidence, h.c.frp, h.c.source, h.c.unit_code, h.c.area_id
    ).where(h.c.ts >= window.since, h.c.ts < window.until)
    stmt = scoped(stmt, unit_scope(scope, unit_col=h.c.unit_code))
    stmt = stmt.where(h.c.unit_code == unit) if unit else stmt
    return stmt.order_by(h.c.ts.desc(), h.c.event_id).limit(MAX_HOTSPOTS)


@memoized(HISTORY_TTL)
def hotspot_rows(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Satellite and camera hotspots in the window, newest first (the history map and its grid)."""
    return frame(hotspots_sql(scope, window, unit))
