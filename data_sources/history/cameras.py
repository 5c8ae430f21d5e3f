"""Camera history for the drill-down pages: alerts by kind/camera/hour, uptime, and plate hits (masked, audited)."""

from __future__ import annotations

import functools

import pandas as pd
from sqlalchemy import Float, Select, Table, and_, bindparam, func, select, union_all

from data_sources import privacy
from data_sources.core.cache import memoized
from data_sources.history.common import (
    FIRST_DAY,
    HISTORY_TTL,
    ITEM_TTL,
    LAST_DAY,
    SINCE,
    UNTIL,
    Query,
    Window,
    as_dicts,
    as_frame,
    bucket_param,
    frame,
    records,
    run_many,
    write_async_commit,
)
from data_sources.history.rollups import (
    STATUS_TYPES,
    camera_alerts_daily,
    camera_alerts_hourly,
    camera_alerts_unit_hourly,
)
from data_sources.schema import camera_alerts, cameras
from data_sources.viewer import Viewer, require_rows, scoped, unit_scope

MAX_LIST = 500
# "Back online" closes an outage; it is a status change, not an alert anyone acts on.
NOT_AN_ALERT = "camera_online"
TOP_CAMERAS = 15
PLATE_COLUMNS = ("event_id", "ts", "camera_id", "unit_code", "plate", "watchlist", "score", "severity")
# Named parameters of the templates below (with common's SINCE, UNTIL, FIRST_DAY, LAST_DAY).
CAMERA_ID, UNIT = bindparam("camera_id", None), bindparam("unit", None)
SPAN = bindparam("span", None, type_=Float)  # the window's length in seconds


def _per_camera(window: Window, scope: Viewer, unit: str | None) -> tuple[Table, list]:
    """Per-camera rollup for the window's grain (local days for long windows) with scope and unit filters."""
    if window.grain == "day":
        t = camera_alerts_daily
        first, last = window.days
        conds = [t.c.day >= first, t.c.day < last]
    else:
        t = camera_alerts_hourly
        conds = [t.c.bucket >= window.since, t.c.bucket < window.until]
    conds += [unit_scope(scope, unit_col=t.c.unit_code), t.c.alert_type != NOT_AN_ALERT]
    return t, conds + ([t.c.unit_code == unit] if unit else [])


def _per_unit(window: Window, scope: Viewer, unit: str | None) -> list:
    t = camera_alerts_unit_hourly
    conds = [t.c.bucket >= window.since, t.c.bucket < window.until, unit_scope(scope, unit_col=t.c.unit_code)]
    conds.append(t.c.alert_type != NOT_AN_ALERT)
    return conds + ([t.c.unit_code == unit] if unit else [])


def by_unit_kind_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    t = camera_alerts_unit_hourly
    return (
        select(t.c.unit_code, t.c.alert_type, func.sum(t.c.n).label("n"))
        .where(*_per_unit(window, scope, unit))
        .group_by(t.c.unit_code, t.c.alert_type)
    )


@memoized(HISTORY_TTL)
def by_unit_kind(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Alerts per unit and kind (the kind chart, and the unit bars a click drills into)."""
    return frame(by_unit_kind_sql(scope, window, unit))


def by_hour_sql(scope: Viewer, window: Window, unit: str | None) -> Select:
    t = camera_alerts_unit_hourly
    return (
        select(t.c.hour_of_day, t.c.alert_type, func.sum(t.c.n).label("n"))
        .where(*_per_unit(window, scope, unit))
        .group_by(t.c.hour_of_day, t.c.alert_type)
    )


@memoized(HISTORY_TTL)
def by_hour(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """Alerts by local hour of day and kind."""
    return frame(by_hour_sql(scope, window, unit))


def by_camera_sql(scope: Viewer, window: Window, unit: str | None, limit: int = TOP_CAMERAS) -> Select:
    t, conds = _per_camera(window, scope, unit)
    top = (
        select(t.c.camera_id)
        .where(*conds)
        .group_by(t.c.camera_id)
        .order_by(func.sum(t.c.n).desc(), t.c.camera_id)
        .limit(limit)
        .subquery()
    )
    return (
        select(t.c.camera_id, cameras.c.name, t.c.alert_type, func.sum(t.c.n).label("n"))
        .join(top, top.c.camera_id == t.c.camera_id)
        .join(cameras, cameras.c.camera_id == t.c.camera_id)
        .where(*conds)
        .group_by(t.c.camera_id, cameras.c.name, t.c.alert_type)
    )


@memoized(HISTORY_TTL)
def by_camera(scope: Viewer, window: Window, unit: str | None = None) -> pd.DataFrame:
    """The cameras with most alerts in the window, per kind."""
    return frame(by_camera_sql(scope, window, unit))


@functools.lru_cache(maxsize=256)
def _uptime(scope: Viewer, unit: bool, camera: bool) -> Select:
    a = camera_alerts
    status = a.c.alert_type.in_(STATUS_TYPES)
    limits = [unit_scope(scope, unit_col=a.c.unit_code)]
    limits += [a.c.unit_code == UNIT] if unit else []
    limits += [a.c.camera_id == CAMERA_ID] if camera else []
    before = (
        select(a.c.camera_id, SINCE.label("ts"), a.c.alert_type)
        .where(status, a.c.ts < SINCE, *limits)
        .order_by(a.c.camera_id, a.c.ts.desc())
        .distinct(a.c.camera_id)
    )
    during = select(a.c.camera_id, a.c.ts, a.c.alert_type).where(status, a.c.ts >= SINCE, a.c.ts < UNTIL, *limits)
    first = before.subquery()  # DISTINCT ON ... ORDER BY must be wrapped before it can join a UNION
    ev = union_all(select(first.c.camera_id, first.c.ts, first.c.alert_type), during).subquery()
    nxt = func.lead(ev.c.ts, 1, UNTIL).over(partition_by=ev.c.camera_id, order_by=ev.c.ts)
    seq = select(ev.c.camera_id, ev.c.ts, ev.c.alert_type, nxt.label("next_ts")).subquery()
    offline = seq.c.alert_type == "camera_offline"
    per = (
        select(
            seq.c.camera_id,
            func.sum(func.extract("epoch", seq.c.next_ts - seq.c.ts)).filter(offline).label("offline_s"),
            func.count().filter(and_(offline, seq.c.ts > SINCE)).label("outages"),
            # Offline at the end when the camera's latest status alert is an offline one.
            (func.max(seq.c.ts).filter(offline) == func.max(seq.c.ts)).label("offline_now"),
        )
        .group_by(seq.c.camera_id)
        .subquery()
    )
    cam = cameras
    stmt = (
        select(
            cam.c.camera_id,
            cam.c.name,
            cam.c.unit_code,
            cam.c.lat,
            cam.c.lon,
            cam.c.kind,
            func.coalesce(per.c.offline_s, 0).label("offline_s"),
            func.coalesce(per.c.outages, 0).label("outages"),
            func.coalesce(per.c.offline_now, False).label("offline_now"),
            (100.0 - func.coalesce(per.c.offline_s, 0) * 100.0 / SPAN).label("uptime_pct"),
        )  # fmt: skip
        .outerjoin(per, per.c.camera_id == cam.c.camera_id)
        .order_by("uptime_pct", cam.c.camera_id)
    )
    stmt = scoped(stmt, unit_scope(scope, unit_col=cam.c.unit_code))
    stmt = stmt.where(cam.c.unit_code == UNIT) if unit else stmt
    return stmt.where(cam.c.camera_id == CAMERA_ID) if camera else stmt


def uptime_sql(scope: Viewer, window: Window, unit: str | None, camera_id: str | None = None) -> Query:
    """Offline seconds, outages and end-of-window status per camera, from status alerts only (partial index).

    Each camera's state at the window start is its last status alert before it, so an outage that began
    earlier is counted from the window start; one still open is counted to the window end. A template per
    scope and filter shape, built once: building and keying the statement cost more than its SQL for one camera.
    """
    values = {"since": window.since, "until": window.until, "span": (window.until - window.since).total_seconds()}
    values |= ({"unit": unit} if unit else {}) | ({"camera_id": camera_id} if camera_id else {})
    return _uptime(scope, bool(unit), bool(camera_id)), values


@memoized(HISTORY_TTL)
def uptime(scope: Viewer, window: Window, unit: str | None = None, camera_id: str | None = None) -> pd.DataFrame:
    """Every camera in scope with its uptime % over the window, outages and whether it was offline at the end."""
    return frame(uptime_sql(scope, window, unit, camera_id))


def plate_hits_sql(scope: Viewer, window: Window, unit: str | None, camera_id: str | None) -> Select:
    a = camera_alerts
    stmt = select(*(a.c[name] for name in PLATE_COLUMNS)).where(
        a.c.alert_type == "plate_watchlist", a.c.ts >= window.since, a.c.ts < window.until
    )
    stmt = scoped(stmt, unit_scope(scope, unit_col=a.c.unit_code))
    stmt = stmt.where(a.c.unit_code == unit) if unit else stmt
    stmt = stmt.where(a.c.camera_id == camera_id) if camera_id else stmt
    return stmt.order_by(a.c.ts.desc(), a.c.event_id).limit(MAX_LIST)


def plate_hits(*, viewer: Viewer, window: Window, unit: str | None = None, camera_id: str | None = None) -> list[dict]:
    """Watch-list plate hits, newest first, masked unless the viewer is cleared; unmasked views are audited.

    Deliberately not cached: every unmasked view must reach the audit log, and a cache hit would skip it. The
    rows are returned only once their audit row is committed; that commit does not wait for its WAL flush
    (write_async_commit; the trade-off is in docs/drilldown.md).
    """
    require_rows(viewer)
    rows = records(plate_hits_sql(viewer, window, unit, camera_id))
    audit = privacy.view_audit(viewer, rows, subject="camera_alerts", id_field="event_id")
    if audit is not None:
        write_async_commit(audit)
    return privacy.shown_rows(viewer, rows)


@functools.lru_cache(maxsize=256)
def _camera(scope: Viewer) -> Select:
    stmt = select(cameras).where(cameras.c.camera_id == CAMERA_ID)
    return scoped(stmt, unit_scope(scope, unit_col=cameras.c.unit_code))


def camera_sql(scope: Viewer, camera_id: str) -> Query:
    return _camera(scope), {"camera_id": camera_id}


@memoized(ITEM_TTL)
def camera(scope: Viewer, camera_id: str) -> dict | None:
    """One camera's reference row, or None when unknown or outside the viewer's units."""
    rows = records(camera_sql(scope, camera_id))
    return rows[0] if rows else None


@functools.lru_cache(maxsize=256)
def _camera_series(scope: Viewer, daily: bool) -> Select:
    if daily:
        t = camera_alerts_daily
        when, conds = t.c.day, [t.c.day >= FIRST_DAY, t.c.day < LAST_DAY]
    else:
        t = camera_alerts_hourly
        when, conds = bucket_param(t.c.bucket), [t.c.bucket >= SINCE, t.c.bucket < UNTIL]
    conds += [unit_scope(scope, unit_col=t.c.unit_code), t.c.alert_type != NOT_AN_ALERT, t.c.camera_id == CAMERA_ID]
    return (
        select(when.label("bucket"), t.c.alert_type, func.sum(t.c.n).label("n"))
        .where(*conds)
        .group_by(when, t.c.alert_type)
        .order_by(when)
    )


def camera_series_sql(scope: Viewer, window: Window, camera_id: str) -> Query:
    """One camera's alerts per bucket (local days for long windows) and kind: a template per scope and grain."""
    if window.grain == "day":
        first, last = window.days
        return _camera_series(scope, True), {"first_day": first, "last_day": last, "camera_id": camera_id}
    values = {"since": window.since, "until": window.until, "step": window.step, "camera_id": camera_id}
    return _camera_series(scope, False), values


@memoized(HISTORY_TTL)
def camera_page(scope: Viewer, window: Window, camera_id: str) -> tuple[pd.DataFrame, dict | None]:
    """One camera's series and its uptime row (a dict; None outside the scope), in one round trip.

    The item page draws both at once; its KPI tiles read three fields of the one uptime row, so it stays a
    dict: a one-row DataFrame would only add building and pickling work on every cache fill.
    """
    series, uptime_row = run_many(
        [camera_series_sql(scope, window, camera_id), uptime_sql(scope, window, None, camera_id)]
    )
    rows = as_dicts(*uptime_row)
    return as_frame(*series), rows[0] if rows else None
