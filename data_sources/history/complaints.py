"""Citizen-report history for the drill-down pages: on-time share, handling time, backlog, breakdowns, timelines.

Definitions (docs/drilldown.md): statistics cover the reports *received* in the window. A report is handled
at its first resolved step (a rejection is not handling); it is *due* when handled or still open past its
deadline at the window's end; on time when handled no later than its deadline. So open reports already late count
against the on-time share instead of silently dropping out of it.
"""

from __future__ import annotations

import functools
import math
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Float, Integer, Select, and_, bindparam, case, cast, func, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by

from data_sources.core.cache import memoized
from data_sources.history.common import (
    HISTORY_TTL,
    ITEM_TTL,
    SINCE,
    STEP,
    UNTIL,
    Query,
    Window,
    bucket_param,
    frame,
    records_many,
    run,
)
from data_sources.history.rollups import complaint_handled
from data_sources.schema import complaint_events, complaints
from data_sources.viewer import Viewer, agency_scope, require_rows, scoped

c = complaints
h = complaint_handled
# Reports with their first resolved/rejected time; a report closed without such a step falls back on closed_at.
SOURCE = c.outerjoin(h, h.c.complaint_id == c.c.complaint_id)
closed = func.coalesce(h.c.handled_at, c.c.closed_at)
# Group-by keys a caller may ask for; the column comes from this table, never from the request.
BREAKDOWN = {
    "all": literal("all"),
    "agency": c.c.agency_code,
    "unit": c.c.unit_code,
    "category": c.c.category,
    "channel": c.c.channel,
}
DUE_HORIZON = timedelta(hours=24)
MAX_LIST = 500


# The page's statements are templates, one per scope and filter shape (functools.lru_cache), run with the
# window and filters as named parameters: building and keying these statements of a dozen FILTER aggregates
# cost ~1-2 ms a call, as much as their SQL on a short window.
UNIT, AGENCY = bindparam("unit", None), bindparam("agency", None)


def _values(window: Window, unit: str | None, agency: str | None, *, step: bool = False) -> dict:
    values = {"since": window.since, "until": window.until} | ({"step": window.step} if step else {})
    return values | ({"unit": unit} if unit else {}) | ({"agency": agency} if agency else {})


def _filters(scope: Viewer, unit: bool, agency: bool) -> list:
    conds = [agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code)]
    if unit:
        conds.append(c.c.unit_code == UNIT)
    if agency:
        conds.append(c.c.agency_code == AGENCY)
    return conds


def _filters_for(scope: Viewer, unit: str | None, agency: str | None) -> list:
    """_filters with the values in place, for the statements built per call (clusters, due)."""
    conds = [agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code)]
    return conds + ([c.c.unit_code == unit] if unit else []) + ([c.c.agency_code == agency] if agency else [])


def _received_in() -> list:
    return [c.c.received_at >= SINCE, c.c.received_at < UNTIL]


def _measures() -> list:
    """Received, handled, open, overdue, due, on time (count and %), median handling hours, rating."""
    handled = and_(closed.is_not(None), c.c.status != "rejected")
    open_ = c.c.closed_at.is_(None)
    overdue = and_(open_, c.c.deadline < UNTIL)
    on_time = and_(handled, closed <= c.c.deadline)
    due = or_(and_(handled, c.c.deadline.is_not(None)), overdue)
    hours = func.extract("epoch", closed - c.c.received_at) / 3600.0
    n_due = func.count().filter(due)
    return [
        func.count().label("received"),
        func.count().filter(handled).label("handled"),
        func.count().filter(open_).label("open"),
        func.count().filter(overdue).label("overdue"),
        n_due.label("due"),
        func.count().filter(on_time).label("on_time"),
        (func.count().filter(on_time) * 100.0 / func.nullif(n_due, 0)).label("on_time_pct"),
        func.percentile_cont(0.5).within_group(case((handled, hours))).label("median_hours"),
        cast(func.avg(c.c.rating), Float).label("avg_rating"),
        func.count(c.c.rating).label("rated"),
    ]


MEASURES = ("received", "handled", "open", "overdue", "due", "on_time", "on_time_pct", "median_hours", "avg_rating",
            "rated")  # fmt: skip
# Counts are never NULL; the share, the median and the mean rating are NULL (NaN) where nothing was due/handled/rated.
MEASURE_DTYPES = {m: "float64" if m in ("on_time_pct", "median_hours", "avg_rating") else "int64" for m in MEASURES}


@functools.lru_cache(maxsize=512)
def _breakdown(scope: Viewer, unit: bool, agency: bool, by: str) -> Select:
    key = BREAKDOWN[by].label("key")
    stmt = select(key, *_measures()).select_from(SOURCE)
    stmt = stmt.where(*_received_in(), *_filters(scope, unit, agency))
    return stmt.group_by(key).order_by(key) if by != "all" else stmt


def breakdown_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None, by: str) -> Query:
    return _breakdown(scope, bool(unit), bool(agency), by), _values(window, unit, agency)


# The page's totals and its per-agency, per-category and per-channel figures come from one scan (GROUPING SETS).
SUMMARY = ("agency", "category", "channel")
# GROUPING(agency, category, channel): a bit is 1 where that column is not grouped (agency is the high bit).
SUMMARY_SETS = {"all": 0b111, "agency": 0b011, "category": 0b101, "channel": 0b110}


@functools.lru_cache(maxsize=256)
def _summary(scope: Viewer, unit: bool, agency: bool) -> Select:
    cols = [BREAKDOWN[b] for b in SUMMARY]
    stmt = select(
        *(col.label(b) for b, col in zip(SUMMARY, cols, strict=True)),
        func.grouping(*cols).label("g"),
        *_measures(),
    ).select_from(SOURCE)
    stmt = stmt.where(*_received_in(), *_filters(scope, unit, agency))
    return stmt.group_by(func.grouping_sets(tuple_(), *(tuple_(col) for col in cols)))


def summary_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Query:
    return _summary(scope, bool(unit), bool(agency)), _values(window, unit, agency)


@memoized(HISTORY_TTL)
def summary(
    scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None
) -> dict[str, pd.DataFrame]:
    """breakdown() for "all", "agency", "category" and "channel" at once: {by: frame with key + measures}.

    The grouping sets are split in plain Python and each part built once as a frame with the measures' dtypes
    (counts int64, shares, hours and ratings float64 with NaN): splitting one frame in pandas (mask, assign,
    select, sort, reindex for each of four parts) cost ~8 ms, several times the query on a short window.
    """
    keys, columns = run(summary_sql(scope, window, unit, agency))
    rows = list(zip(*columns, strict=True))
    g, measures = keys.index("g"), [keys.index(m) for m in MEASURES]
    out = {}
    for by, mask in SUMMARY_SETS.items():
        part = [r for r in rows if r[g] == mask]
        if by == "all":
            key = np.array(["all"] * len(part), dtype=object)
        else:
            k = keys.index(by)
            part.sort(key=lambda r, k=k: (r[k] is None, r[k] or ""))  # as sort_values: missing keys last
            key = [r[k] for r in part]
        data = {"key": key} | {
            m: np.array([r[i] for r in part], dtype=MEASURE_DTYPES[m]) for m, i in zip(MEASURES, measures, strict=True)
        }
        out[by] = pd.DataFrame(data, columns=["key", *MEASURES])
    if out["all"].empty:  # GROUPING SETS drops the grand total when no row matches; breakdown() does not
        out["all"] = frame(breakdown_sql(scope, window, unit, agency, "all"))
    return out


@memoized(HISTORY_TTL)
def breakdown(
    scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None, by: str = "all"
) -> pd.DataFrame:
    """Received, handled, open, overdue, on-time %, median handling hours, rating per agency/unit/category/channel."""
    if by not in BREAKDOWN:
        raise ValueError(f"cannot break complaints down by {by!r}")
    return frame(breakdown_sql(scope, window, unit, agency, by))


@functools.lru_cache(maxsize=256)
def _backlog(scope: Viewer, unit: bool, agency: bool) -> Select:
    first = func.greatest(bucket_param(c.c.received_at) + STEP, SINCE + STEP)
    last = func.least(func.coalesce(closed, UNTIL), UNTIL)
    inner = (
        select(c.c.deadline, func.generate_series(first, last, STEP).label("bucket_end"))
        .select_from(SOURCE)
        .where(c.c.received_at < UNTIL, or_(closed.is_(None), closed >= SINCE))
        .where(*_filters(scope, unit, agency))
        .subquery()
    )
    return (
        select(
            inner.c.bucket_end,
            func.count().label("open"),
            func.count().filter(inner.c.deadline < inner.c.bucket_end).label("overdue"),
        )
        .group_by(inner.c.bucket_end)
        .order_by(inner.c.bucket_end)
    )


def backlog_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Query:
    """Reports open at each bucket end: each report contributes the bucket ends between its receipt and close."""
    return _backlog(scope, bool(unit), bool(agency)), _values(window, unit, agency, step=True)


@memoized(HISTORY_TTL)
def backlog(scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """Open and overdue reports at the end of each bucket of the window (the backlog trend)."""
    return frame(backlog_sql(scope, window, unit, agency))


@functools.lru_cache(maxsize=256)
def _ratings(scope: Viewer, unit: bool, agency: bool) -> Select:
    return (
        select(c.c.rating, func.count().label("n"))
        .where(c.c.rating.is_not(None), *_received_in(), *_filters(scope, unit, agency))
        .group_by(c.c.rating)
        .order_by(c.c.rating)
    )


def ratings_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Query:
    return _ratings(scope, bool(unit), bool(agency)), _values(window, unit, agency)


@memoized(HISTORY_TTL)
def ratings(scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """How many citizens gave each satisfaction rating (1–5)."""
    return frame(ratings_sql(scope, window, unit, agency))


# Positions as integers of 1e-5 degree (~1 m): reports "at the same spot" group on these from SINGLE_ZOOM on.
SCALE = 100_000
# Report classes on the map: late, open, closed on time (ui/drill_complaints.POINT_STYLES in that order).
LATE, OPEN, DONE = 0, 1, 2


def _micro(col):
    return cast(func.round(col * SCALE), Integer)


# Server-side clusters: reports grouped on a grid of CELL_PX-pixel squares in Web Mercator at the map's zoom.
# Cells at zoom z+1 split those at z exactly in four, so zooming in splits a cluster and never moves a report
# into a neighbour. From SINGLE_ZOOM on, reports group only where they share a position (to ~1 m).
CELL_PX = 64
SINGLE_ZOOM = 17
MIN_ZOOM, MAX_ZOOM = 0, 22


def _cells(zoom: int) -> int:
    """Cells across the world at `zoom`: 256 * 2**zoom pixels / CELL_PX."""
    return 2 ** (zoom + 8) // CELL_PX


def cell_span(zoom: int, south: float, west: float, north: float, east: float) -> tuple[int, int, int, int]:
    """The cell columns and rows [x0, x1] x [y0, y1] covering a lat/lon box at `zoom` (north has the lower row)."""
    n = _cells(zoom)

    def x(lon: float) -> int:
        return min(max(int((lon + 180.0) / 360.0 * n), 0), n - 1)

    def y(lat: float) -> int:
        lat = min(max(lat, -85.05112878), 85.05112878)
        return min(max(int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n), 0), n - 1)

    return x(west), x(east), y(north), y(south)


def span_bounds(zoom: int, span: tuple[int, int, int, int]) -> tuple[float, float, float, float]:
    """(south, west, north, east) edges of the cells [x0, x1] x [y0, y1] at `zoom` (inverse of cell_span)."""
    n, (x0, x1, y0, y1) = _cells(zoom), span

    def lon(x: int) -> float:
        return x / n * 360.0 - 180.0

    def lat(y: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1.0 - 2.0 * y / n))))

    return lat(y1 + 1), lon(x0), lat(y0), lon(x1 + 1)


def clusters_sql(
    scope: Viewer,
    window: Window,
    zoom: int,
    span: tuple[int, int, int, int] | None,
    unit: str | None,
    agency: str | None,
) -> Select:
    n = _cells(zoom)
    cx = cast(func.floor((c.c.lon + 180.0) / 360.0 * n), Integer)
    cy = cast(func.floor((1.0 - func.asinh(func.tan(func.radians(c.c.lat))) / math.pi) / 2.0 * n), Integer)
    late = or_(closed > c.c.deadline, and_(c.c.closed_at.is_(None), c.c.deadline < window.until))
    open_ = and_(c.c.closed_at.is_(None), ~func.coalesce(late, False))
    keys = [_micro(c.c.lat), _micro(c.c.lon)] if zoom >= SINGLE_ZOOM else [cx, cy]
    newest = func.array_agg(aggregate_order_by(c.c.complaint_id, c.c.received_at.desc(), c.c.complaint_id))[1]
    stmt = (
        select(
            func.count().label("n"),
            func.count().filter(late).label("late"),
            func.count().filter(open_).label("open"),
            func.avg(c.c.lat).label("lat"),
            func.avg(c.c.lon).label("lon"),
            # A lone report (or, from SINGLE_ZOOM on, the newest at a spot) opens on a click.
            (newest if zoom >= SINGLE_ZOOM else case((func.count() == 1, func.min(c.c.complaint_id)))).label("id"),
        )
        .select_from(SOURCE)
        .where(c.c.received_at >= window.since, c.c.received_at < window.until, *_filters_for(scope, unit, agency))
        .where(c.c.lat.is_not(None), c.c.lon.is_not(None))
        .group_by(*keys)
    )
    if span is not None:
        # As plain lat/lon ranges (the cells' edges): the planner estimates those, where a filter on the cell
        # expressions looked like one row and got a nested loop and a sort spilled to disk (0.4 s at 58 k).
        south, west, north, east = span_bounds(zoom, span)
        stmt = stmt.where(c.c.lon >= west, c.c.lon < east, c.c.lat > south, c.c.lat <= north)
    return stmt


@memoized(HISTORY_TTL)
def clusters(
    scope: Viewer,
    window: Window,
    zoom: int,
    span: tuple[int, int, int, int] | None = None,
    unit: str | None = None,
    agency: str | None = None,
) -> pd.DataFrame:
    """The reports received in the window, clustered for the map at `zoom` within the cells of `span` (None: all).

    One row per non-empty cell: n, how many of them are late and open (the rest closed on time), the mean
    position, and the id of a lone report. The counts of any zoom add up to the reports received.
    """
    require_rows(scope)
    zoom = min(max(int(zoom), MIN_ZOOM), MAX_ZOOM)
    return frame(clusters_sql(scope, window, zoom, span, unit, agency))


def due_sql(scope: Viewer, now: datetime, unit: str | None, agency: str | None) -> Select:
    late_hours = (func.extract("epoch", literal(now) - c.c.deadline) / 3600.0).label("late_hours")
    return (
        select(
            c.c.complaint_id,
            c.c.title,
            c.c.category,
            c.c.unit_code,
            c.c.agency_code,
            c.c.status,
            c.c.urgent,
            c.c.received_at,
            c.c.deadline,
            late_hours,
        )  # fmt: skip
        .where(c.c.closed_at.is_(None), c.c.deadline < now + DUE_HORIZON, *_filters_for(scope, unit, agency))
        .order_by(c.c.deadline, c.c.complaint_id)
        .limit(MAX_LIST)
    )


@memoized(ITEM_TTL)
def due(scope: Viewer, now: datetime, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """Open reports due within 24 h or already overdue, most overdue first; late_hours < 0 is time left."""
    require_rows(scope)
    return frame(due_sql(scope, now, unit, agency))


# Item-page statements are templates, one per scope (functools.lru_cache), run with the report's id.
COMPLAINT_ID = bindparam("complaint_id", None)


@functools.lru_cache(maxsize=256)
def _detail(scope: Viewer) -> Select:
    stmt = select(c, h.c.handled_at).select_from(SOURCE).where(c.c.complaint_id == COMPLAINT_ID)
    return scoped(stmt, agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code))


def detail_sql(scope: Viewer, complaint_id: str) -> Query:
    return _detail(scope), {"complaint_id": complaint_id}


@functools.lru_cache(maxsize=256)
def _timeline(scope: Viewer) -> Select:
    e = complaint_events
    stmt = (
        select(
            e.c.ts,
            e.c.status,
            e.c.agency_code,
            e.c.payload["result"].astext.label("result"),
            e.c.payload["rating"].astext.label("rating"),
            e.c.payload["deadline"].astext.label("deadline"),
        )  # fmt: skip
        .join(c, c.c.complaint_id == e.c.complaint_id)
        .where(e.c.complaint_id == COMPLAINT_ID)
        .order_by(e.c.ts, e.c.event_id)
    )
    # Scoped by the report's current owner: a step handled before a re-dispatch stays visible to the new owner.
    return scoped(stmt, agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code))


def timeline_sql(scope: Viewer, complaint_id: str) -> Query:
    return _timeline(scope), {"complaint_id": complaint_id}


@memoized(ITEM_TTL)
def detail(scope: Viewer, complaint_id: str) -> dict | None:
    """One report's snapshot and its lifecycle steps (`steps`), or None outside the viewer's scope."""
    require_rows(scope)
    # Both in one round trip: the timeline is scoped like the snapshot, so it is empty whenever the snapshot is.
    rows, steps = records_many([detail_sql(scope, complaint_id), timeline_sql(scope, complaint_id)])
    return {**rows[0], "steps": steps} if rows else None
