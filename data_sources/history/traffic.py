"""Traffic history for the drill-down pages: per unit, hour of week, worst segments, week-on-week, one segment."""

from __future__ import annotations

import functools
from datetime import timedelta

import pandas as pd
from sqlalchemy import CompoundSelect, Select, Table, and_, bindparam, func, literal, select, union_all

from data_sources.core.cache import memoized
from data_sources.history.common import (
    HISTORY_TTL,
    ITEM_TTL,
    PREV_SINCE,
    PREV_UNTIL,
    SINCE,
    UNTIL,
    Query,
    Window,
    bucket_of,
    frame,
    local_part,
    records,
)
from data_sources.history.rollups import traffic_daily, traffic_hourly, traffic_unit_hourly
from data_sources.schema import road_segments, traffic_5min
from data_sources.viewer import Viewer, scoped, unit_scope

WEEK = timedelta(days=7)
# Up to two days, a segment's history is drawn from 5-minute buckets (576 points); beyond, from hours.
FINE_SPAN = timedelta(days=2)


def _measures(t: Table) -> list:
    """Heavy-congestion share (% of 5-minute buckets), mean level and mean speed, re-aggregated from sums."""
    n = func.nullif(func.sum(t.c.n), 0)
    return [
        (func.sum(t.c.heavy) * 100.0 / func.nullif(func.sum(t.c.buckets), 0)).label("heavy_pct"),
        (func.sum(t.c.sum_level) / n).label("avg_level"),
        (func.sum(t.c.sum_speed) / n).label("avg_speed"),
    ]


def _segment_rollup(window: Window) -> tuple[Table, list]:
    """Per-segment rollup for the window's grain: local days for long windows, hours otherwise."""
    if window.grain == "day":
        first, last = window.days
        return traffic_daily, [traffic_daily.c.day >= first, traffic_daily.c.day < last]
    t = traffic_hourly
    return t, [t.c.bucket >= window.since, t.c.bucket < window.until]


def _unit_rollup(window: Window, scope: Viewer, unit: str | None) -> list:
    t = traffic_unit_hourly
    conds = [t.c.bucket >= window.since, t.c.bucket < window.until, unit_scope(scope, unit_col=t.c.unit_code)]
    return conds + ([t.c.unit_code == unit] if unit else [])


def segments_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    """Every segment in scope with its congestion over the window, worst first."""
    t, conds = _segment_rollup(window)
    s = road_segments
    measures = _measures(t)
    stmt = (
        select(
            s.c.segment_id,
            s.c.road_name,
            s.c.unit_code,
            s.c.free_flow_kmh,
            s.c.hot_spot_name,
            s.c.lat,
            s.c.lon,
            *measures,
            func.min(t.c.min_speed).label("min_speed"),
        )  # fmt: skip
        .join(s, s.c.segment_id == t.c.segment_id)
        .where(*conds)
        .group_by(s.c.segment_id)
        .order_by(measures[0].desc().nulls_last(), measures[1].desc().nulls_last(), s.c.segment_id)
    )
    stmt = scoped(stmt, unit_scope(scope, unit_col=t.c.unit_code))
    return stmt.where(t.c.unit_code == unit) if unit else stmt


@memoized(HISTORY_TTL)
def segments(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Segments ranked by heavy-congestion share (the worst-segments chart, the grid and the map)."""
    return frame(segments_sql(scope, window, unit))


def units_sql(scope: Viewer, window: Window) -> Select:
    t = traffic_unit_hourly
    return (
        select(t.c.unit_code, *_measures(t))
        .where(*_unit_rollup(window, scope, None))
        .group_by(t.c.unit_code)
        .order_by(t.c.unit_code)
    )


@memoized(HISTORY_TTL)
def units(scope: Viewer, window: Window) -> pd.DataFrame:
    """Congestion per unit (the bars and the map colours a click drills into)."""
    return frame(units_sql(scope, window))


def hour_of_week_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    t = traffic_unit_hourly
    dow, hour = local_part("isodow", t.c.bucket).label("dow"), local_part("hour", t.c.bucket).label("hour")
    return select(dow, hour, *_measures(t)).where(*_unit_rollup(window, scope, unit)).group_by(dow, hour)


@memoized(HISTORY_TTL)
def hour_of_week(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Heavy-congestion share by local day of week (1 = Monday) and hour: the heat map."""
    return frame(hour_of_week_sql(scope, window, unit))


def compare_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    """This window and the same window a week earlier, bucketed alike (the earlier one moved forward a week)."""
    t = traffic_unit_hourly
    parts = []
    for label, shift in (("this", timedelta(0)), ("prev", WEEK)):
        moved = window.shifted(-shift)
        bucket = bucket_of(t.c.bucket + literal(shift), window).label("bucket")
        parts.append(
            select(literal(label).label("period"), bucket, *_measures(t))
            .where(*_unit_rollup(moved, scope, unit))
            .group_by(bucket)
        )
    return union_all(*parts)


@memoized(HISTORY_TTL)
def compare(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Per bucket of the window: congestion now (`this`) and a week earlier (`prev`, aligned onto this window)."""
    return frame(compare_sql(scope, window, unit))


# Item-page statements are templates, one per scope (and fine-or-hourly), built once (functools.lru_cache) and run
# with the segment and the window as named parameters: building and keying the union below cost ~0.3-0.5 ms a
# call, as much as its SQL for a day's history.
SEGMENT_ID = bindparam("segment_id", None)


@functools.lru_cache(maxsize=256)
def _segment(scope: Viewer) -> Select:
    s = road_segments
    stmt = select(s).where(s.c.segment_id == SEGMENT_ID)
    return scoped(stmt, unit_scope(scope, unit_col=s.c.unit_code))


def segment_sql(scope: Viewer, segment_id: str) -> Query:
    return _segment(scope), {"segment_id": segment_id}


@memoized(ITEM_TTL)
def segment(scope: Viewer, segment_id: str) -> dict | None:
    """One segment's reference row, or None when it does not exist or lies outside the viewer's units."""
    rows = records(segment_sql(scope, segment_id))
    return rows[0] if rows else None


@functools.lru_cache(maxsize=256)
def _segment_history(scope: Viewer, fine: bool) -> CompoundSelect:
    parts = []
    for label, shift, since, until in (("this", timedelta(0), SINCE, UNTIL), ("prev", WEEK, PREV_SINCE, PREV_UNTIL)):
        if fine:
            t = traffic_5min
            cols = [
                (t.c.bucket + literal(shift)).label("bucket"), t.c.avg_speed_kmh.label("avg_speed"),
                t.c.min_speed_kmh.label("min_speed"), t.c.avg_level.label("avg_level"),
            ]  # fmt: skip
            stmt = select(literal(label).label("period"), *cols)
        else:
            t = traffic_hourly
            n = func.nullif(t.c.n, 0)
            stmt = select(
                literal(label).label("period"), (t.c.bucket + literal(shift)).label("bucket"),
                (t.c.sum_speed / n).label("avg_speed"), t.c.min_speed.label("min_speed"),
                (t.c.sum_level / n).label("avg_level"),
            )  # fmt: skip
        conds = and_(t.c.segment_id == SEGMENT_ID, t.c.bucket >= since, t.c.bucket < until)
        parts.append(scoped(stmt.where(conds), unit_scope(scope, unit_col=t.c.unit_code)))
    return union_all(*parts).order_by("period", "bucket")


def segment_history_sql(scope: Viewer, window: Window, segment_id: str) -> Query:
    """Speed of one segment over the window and a week earlier (moved forward a week), fine or hourly."""
    fine = window.until - window.since <= FINE_SPAN
    values = {"since": window.since, "until": window.until, "prev_since": window.since - WEEK,
              "prev_until": window.until - WEEK, "segment_id": segment_id}  # fmt: skip
    return _segment_history(scope, fine), values


@memoized(HISTORY_TTL)
def segment_history(scope: Viewer, window: Window, segment_id: str) -> pd.DataFrame:
    """A segment's mean and lowest speed per bucket, this window and the week before (`period` this/prev)."""
    return frame(segment_history_sql(scope, window, segment_id))
