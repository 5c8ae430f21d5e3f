"""Forest-fire history for the drill-down pages: danger level per unit and day, hotspots, days at level IV+."""

from __future__ import annotations

import functools
from datetime import datetime

import pandas as pd
from sqlalchemy import Select, bindparam, func, select

from data_sources.core.cache import memoized
from data_sources.core.huetime import HUE_TZ
from data_sources.history.common import HISTORY_TTL, Query, Window, frame, local_day
from data_sources.schema import fire_danger, hotspots
from data_sources.viewer import Viewer, scoped, unit_scope

MAX_HOTSPOTS = 20_000
DANGEROUS = 4  # level IV "nguy hiểm" and V "cực kỳ nguy hiểm": burning and any use of fire in forest are banned


def season_start(until: datetime) -> datetime:
    """Start of the fire season a window ending at `until` belongs to: 1 January, Huế time.

    Forest-fire prevention plans run by calendar year and the dry season (roughly April–August) lies inside
    it, so "this season" is the year to date; in November it still answers for the season just ended.
    """
    local = until.astimezone(HUE_TZ)
    return datetime(local.year, 1, 1, tzinfo=HUE_TZ)


# The fire statements are templates, built once per scope and unit-or-not (functools.lru_cache) with these
# named parameters: the queries take well under a millisecond, so building them per call would cost more.
# (A value, even None, makes them optional.) The *_sql functions answer (template, values), what runs.
SINCE, UNTIL, UNIT = bindparam("since", None), bindparam("until", None), bindparam("unit", None)


def _values(since: datetime, until: datetime, unit: str | None) -> dict:
    return {"since": since, "until": until} | ({"unit": unit} if unit else {})


def _danger(scope: Viewer, unit: bool) -> list:
    f = fire_danger
    conds = [f.c.ts >= SINCE, f.c.ts < UNTIL, unit_scope(scope, unit_col=f.c.unit_code)]
    return conds + ([f.c.unit_code == UNIT] if unit else [])


@functools.lru_cache(maxsize=256)
def _daily_levels(scope: Viewer, unit: bool) -> Select:
    f = fire_danger
    day = local_day(f.c.ts).label("day")
    return (
        select(f.c.unit_code, day, func.max(f.c.level).label("level"))
        .where(*_danger(scope, unit))
        .group_by(f.c.unit_code, day)
        .order_by(f.c.unit_code, day)
    )


def daily_levels_sql(scope: Viewer, window: Window, unit: str | None) -> Query:
    return _daily_levels(scope, bool(unit)), _values(window.since, window.until, unit)


@memoized(HISTORY_TTL)
def daily_levels(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Highest danger level per unit and local day (any forest area of the unit counts)."""
    return frame(daily_levels_sql(scope, window, unit))


@functools.lru_cache(maxsize=256)
def _bulletins(scope: Viewer, unit: bool) -> Select:
    f = fire_danger
    stmt = select(f.c.ts, f.c.unit_code, f.c.area_id, f.c.level).where(*_danger(scope, unit))
    return stmt.order_by(f.c.ts, f.c.unit_code)


def bulletins_sql(scope: Viewer, window: Window, unit: str | None) -> Query:
    return _bulletins(scope, bool(unit)), _values(window.since, window.until, unit)


@memoized(HISTORY_TTL)
def bulletins(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Every danger bulletin in the window (the step chart of one unit)."""
    return frame(bulletins_sql(scope, window, unit))


@functools.lru_cache(maxsize=256)
def _season_days(scope: Viewer, unit: bool) -> Select:
    f = fire_danger
    days = func.count(func.distinct(local_day(f.c.ts))).filter(f.c.level >= DANGEROUS)
    return (
        select(f.c.unit_code, days.label("days"), func.max(f.c.level).label("max_level"))
        .where(*_danger(scope, unit))
        .group_by(f.c.unit_code)
        .order_by(days.desc(), f.c.unit_code)
    )


def season_days_sql(scope: Viewer, until: datetime, unit: str | None) -> Query:
    return _season_days(scope, bool(unit)), _values(season_start(until), until, unit)


@memoized(HISTORY_TTL)
def season_days(scope: Viewer, until: datetime, unit: str | None = None) -> pd.DataFrame:
    """Per unit: local days this season with a bulletin at level IV or V, and the season's highest level."""
    return frame(season_days_sql(scope, until, unit))


@functools.lru_cache(maxsize=256)
def _hotspots(scope: Viewer, unit: bool) -> Select:
    h = hotspots
    stmt = select(
        h.c.event_id, h.c.ts, h.c.lat, h.c.lon, h.c.confidence, h.c.frp, h.c.source, h.c.unit_code, h.c.area_id
    ).where(h.c.ts >= SINCE, h.c.ts < UNTIL)
    stmt = scoped(stmt, unit_scope(scope, unit_col=h.c.unit_code))
    stmt = stmt.where(h.c.unit_code == UNIT) if unit else stmt
    return stmt.order_by(h.c.ts.desc(), h.c.event_id).limit(MAX_HOTSPOTS)


def hotspots_sql(scope: Viewer, window: Window, unit: str | None) -> Query:
    return _hotspots(scope, bool(unit)), _values(window.since, window.until, unit)


@memoized(HISTORY_TTL)
def hotspot_rows(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Satellite and camera hotspots in the window, newest first (the history map and its grid)."""
    return frame(hotspots_sql(scope, window, unit))
