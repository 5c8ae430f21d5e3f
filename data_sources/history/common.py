"""Shared pieces of the history queries: the time window, the cache key of a Viewer's scope, running a statement."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import ColumnElement, Engine, Select, cast, func, literal
from sqlalchemy.dialects.postgresql import INTERVAL
from sqlalchemy.types import Date

from data_sources.cache import cache
from data_sources.connections import get_engine
from data_sources.viewer import Viewer

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
LOCAL_TZ = "Asia/Ho_Chi_Minh"
# History pages: a window's end is rounded to 5 minutes, so an answer is reused for at most one 5-minute step
# and never outlives it by much; recomputing the newest partial hour every 5 minutes is all the freshness a
# department head's "how are we doing since when" view needs (the wall is for "now").
HISTORY_TTL = 300
# Item pages (one complaint, one camera): primary-key reads, cached briefly so a new lifecycle step shows soon.
ITEM_TTL = 30
Grain = Literal["5min", "hour", "day"]
_STEP = {"5min": timedelta(minutes=5), "hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True)
class Window:
    """A half-open time range [since, until) and the bucket size its charts use."""

    since: datetime
    until: datetime
    grain: Grain

    @property
    def step(self) -> timedelta:
        return _STEP[self.grain]

    @property
    def days(self) -> tuple[date, date]:
        """First and last-exclusive local calendar day the window touches (for the daily rollups)."""
        first = self.since.astimezone(LOCAL).date()
        last = (self.until - timedelta(microseconds=1)).astimezone(LOCAL).date() + timedelta(days=1)
        return first, last

    def shifted(self, delta: timedelta) -> Window:
        """The same window moved by `delta` (negative: into the past)."""
        return replace(self, since=self.since + delta, until=self.until + delta)


def scope_of(viewer: Viewer) -> Viewer:
    """The part of a Viewer that decides what SQL returns, used as cache key: same scope, same cache entry.

    Officers and admins all see everything; a dept_head is their agency and units. Names, addresses and
    clearance never change an aggregate, so they are dropped (and never reach a cache key).
    """
    if viewer.sees_all:
        return Viewer(role="officer", username="*")
    return Viewer(
        role=viewer.role, username="*", agency_code=viewer.agency_code, unit_codes=tuple(sorted(viewer.unit_codes))
    )


def memoized(timeout: int) -> Callable:
    """Decorator: `fn(scope, **kw)` becomes `fn(*, viewer, **kw)`, memoized per scope (flask-caching).

    The cache key is the scope and the arguments, never the person, so two heads of one agency share entries.
    `.uncached` is the plain function (the benchmark times both paths).
    """

    def wrap(fn: Callable) -> Callable:
        memo = cache.memoize(timeout=timeout)(fn)

        @functools.wraps(fn)
        def call(*, viewer: Viewer, **kwargs):
            return memo(scope_of(viewer), **kwargs)

        call.uncached = lambda *, viewer, **kwargs: fn(scope_of(viewer), **kwargs)
        return call

    return wrap


def local_day(col: ColumnElement) -> ColumnElement:
    """The Huế calendar day of a timestamptz column."""
    return cast(func.timezone(LOCAL_TZ, col), Date)


def local_part(part: str, col: ColumnElement) -> ColumnElement:
    """A calendar field ('isodow', 'hour') of a timestamptz column in Huế time."""
    return func.extract(part, func.timezone(LOCAL_TZ, col))


def bucket_of(col: ColumnElement, window: Window) -> ColumnElement:
    """The start of the window bucket a timestamptz falls in (aligned to the window's start)."""
    return func.date_bin(literal(window.step, INTERVAL), col, literal(window.since))


def _reading(engine: Engine | None):
    # One SELECT needs no transaction: autocommit saves the BEGIN and ROLLBACK round trips (~40 % of a small call).
    return (engine or get_engine()).connect().execution_options(isolation_level="AUTOCOMMIT")


def frame(stmt: Select, engine: Engine | None = None) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame (columns named as in the statement)."""
    with _reading(engine) as conn:
        result = conn.execute(stmt)
        keys = list(result.keys())
        rows = result.fetchall()
    # Column by column: handing pandas the Row objects costs ~10 us a row in failed attribute probes.
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(keys)
    return pd.DataFrame({k: list(c) for k, c in zip(keys, columns, strict=True)}, columns=keys)


def records(stmt: Select, engine: Engine | None = None) -> list[dict]:
    """Run a SELECT and return plain dicts."""
    with _reading(engine) as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
