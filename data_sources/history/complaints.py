"""Citizen-report history for the drill-down pages: on-time share, handling time, backlog, breakdowns, timelines.

Definitions (docs/drilldown.md): statistics cover the reports *received* in the window. A report is handled
at its first resolved step (a rejection is not handling); it is *due* when handled or still open past its
deadline at the window's end; on time when handled no later than its deadline. So open reports already late count
against the on-time share instead of silently dropping out of it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Float, Integer, Select, and_, case, cast, func, literal, or_, select, tuple_

from data_sources.history.common import HISTORY_TTL, ITEM_TTL, Window, frame, memoized, records
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
MAX_POINTS = 200_000


def _filters(scope: Viewer, unit: str | None, agency: str | None) -> list:
    conds = [agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code)]
    if unit:
        conds.append(c.c.unit_code == unit)
    if agency:
        conds.append(c.c.agency_code == agency)
    return conds


def _received_in(window: Window) -> list:
    return [c.c.received_at >= window.since, c.c.received_at < window.until]


def _measures(window: Window) -> list:
    """Received, handled, open, overdue, due, on time (count and %), median handling hours, rating."""
    handled = and_(closed.is_not(None), c.c.status != "rejected")
    open_ = c.c.closed_at.is_(None)
    overdue = and_(open_, c.c.deadline < window.until)
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


def breakdown_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None, by: str) -> Select:
    key = BREAKDOWN[by].label("key")
    stmt = select(key, *_measures(window)).select_from(SOURCE)
    stmt = stmt.where(*_received_in(window), *_filters(scope, unit, agency))
    return stmt.group_by(key).order_by(key) if by != "all" else stmt


# The page's totals and its per-agency, per-category and per-channel figures come from one scan (GROUPING SETS).
SUMMARY = ("agency", "category", "channel")
# GROUPING(agency, category, channel): a bit is 1 where that column is not grouped (agency is the high bit).
SUMMARY_SETS = {"all": 0b111, "agency": 0b011, "category": 0b101, "channel": 0b110}


def summary_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Select:
    cols = [BREAKDOWN[b] for b in SUMMARY]
    stmt = select(
        *(col.label(b) for b, col in zip(SUMMARY, cols, strict=True)),
        func.grouping(*cols).label("g"),
        *_measures(window),
    ).select_from(SOURCE)
    stmt = stmt.where(*_received_in(window), *_filters(scope, unit, agency))
    return stmt.group_by(func.grouping_sets(tuple_(), *(tuple_(col) for col in cols)))


@memoized(HISTORY_TTL)
def summary(
    scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None
) -> dict[str, pd.DataFrame]:
    """breakdown() for "all", "agency", "category" and "channel" at once: {by: frame with key + measures}."""
    df = frame(summary_sql(scope, window, unit, agency))
    out = {}
    for by, mask in SUMMARY_SETS.items():
        part = df[df.g == mask]
        key = part[by] if by != "all" else pd.Series("all", index=part.index, dtype=object)
        out[by] = part.assign(key=key)[["key", *MEASURES]].sort_values("key").reset_index(drop=True)
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


def backlog_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Select:
    """Reports open at each bucket end: each report contributes the bucket ends between its receipt and close."""
    step = literal(window.step)
    first = func.greatest(func.date_bin(step, c.c.received_at, window.since) + step, window.since + window.step)
    last = func.least(func.coalesce(closed, window.until), window.until)
    inner = (
        select(c.c.deadline, func.generate_series(first, last, step).label("bucket_end"))
        .select_from(SOURCE)
        .where(c.c.received_at < window.until, or_(closed.is_(None), closed >= window.since))
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


@memoized(HISTORY_TTL)
def backlog(scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """Open and overdue reports at the end of each bucket of the window (the backlog trend)."""
    return frame(backlog_sql(scope, window, unit, agency))


def ratings_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Select:
    return (
        select(c.c.rating, func.count().label("n"))
        .where(c.c.rating.is_not(None), *_received_in(window), *_filters(scope, unit, agency))
        .group_by(c.c.rating)
        .order_by(c.c.rating)
    )


@memoized(HISTORY_TTL)
def ratings(scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """How many citizens gave each satisfaction rating (1–5)."""
    return frame(ratings_sql(scope, window, unit, agency))


# Positions travel as integers of 1e-5 degree (~1 m): half the bytes of decimals, and exact to look up again.
SCALE = 100_000
# Point classes of the map: late, open, closed on time (ui/drill_complaints.POINT_STYLES in that order).
LATE, OPEN, DONE = 0, 1, 2


def _micro(col):
    return cast(func.round(col * SCALE), Integer)


def points_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None) -> Select:
    late = or_(closed > c.c.deadline, and_(c.c.closed_at.is_(None), c.c.deadline < window.until))
    k = case((late, LATE), (c.c.closed_at.is_(None), OPEN), else_=DONE)
    return (
        select(_micro(c.c.lat).label("lat"), _micro(c.c.lon).label("lon"), k.label("k"))
        .select_from(SOURCE)
        .where(*_received_in(window), *_filters(scope, unit, agency))
        .limit(MAX_POINTS)
    )


@memoized(HISTORY_TTL)
def points(scope: Viewer, window: Window, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """Where each report received in the window was made: lat/lon in 1e-5 degree and its class (the map).

    No ids: 50,000 of them would triple the map's payload. A click asks for the report at a point (point_at).
    """
    require_rows(scope)
    return frame(points_sql(scope, window, unit, agency))


def point_at_sql(scope: Viewer, window: Window, unit: str | None, agency: str | None, lat: int, lon: int) -> Select:
    return (
        select(c.c.complaint_id)
        .where(_micro(c.c.lat) == lat, _micro(c.c.lon) == lon, *_received_in(window), *_filters(scope, unit, agency))
        .order_by(c.c.received_at.desc(), c.c.complaint_id)
        .limit(1)
    )


@memoized(ITEM_TTL)
def point_at(
    scope: Viewer, window: Window, lat: int, lon: int, unit: str | None = None, agency: str | None = None
) -> str | None:
    """The newest report of the map's selection at a point (positions as in `points`), or None."""
    require_rows(scope)
    rows = records(point_at_sql(scope, window, unit, agency, lat, lon))
    return rows[0]["complaint_id"] if rows else None


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
        .where(c.c.closed_at.is_(None), c.c.deadline < now + DUE_HORIZON, *_filters(scope, unit, agency))
        .order_by(c.c.deadline, c.c.complaint_id)
        .limit(MAX_LIST)
    )


@memoized(ITEM_TTL)
def due(scope: Viewer, now: datetime, unit: str | None = None, agency: str | None = None) -> pd.DataFrame:
    """Open reports due within 24 h or already overdue, most overdue first; late_hours < 0 is time left."""
    require_rows(scope)
    return frame(due_sql(scope, now, unit, agency))


def detail_sql(scope: Viewer, complaint_id: str) -> Select:
    stmt = select(c, h.c.handled_at).select_from(SOURCE).where(c.c.complaint_id == complaint_id)
    return scoped(stmt, agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code))


def timeline_sql(scope: Viewer, complaint_id: str) -> Select:
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
        .where(e.c.complaint_id == complaint_id)
        .order_by(e.c.ts, e.c.event_id)
    )
    # Scoped by the report's current owner: a step handled before a re-dispatch stays visible to the new owner.
    return scoped(stmt, agency_scope(scope, agency_col=c.c.agency_code, unit_col=c.c.unit_code))


@memoized(ITEM_TTL)
def detail(scope: Viewer, complaint_id: str) -> dict | None:
    """One report's snapshot and its lifecycle steps (`steps`), or None outside the viewer's scope."""
    require_rows(scope)
    rows = records(detail_sql(scope, complaint_id))
    if not rows:
        return None
    return {**rows[0], "steps": records(timeline_sql(scope, complaint_id))}
