"""Shared pieces of the history queries: the time window, statement templates, running a statement."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd
from sqlalchemy import ColumnElement, DateTime, Engine, bindparam, cast, func, literal, text
from sqlalchemy.dialects.postgresql import INTERVAL
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import Date

from data_sources.core.connections import get_engine
from data_sources.core.huetime import HUE_TZ, HUE_TZ_NAME

log = logging.getLogger(__name__)
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
        first = self.since.astimezone(HUE_TZ).date()
        last = (self.until - timedelta(microseconds=1)).astimezone(HUE_TZ).date() + timedelta(days=1)
        return first, last

    def shifted(self, delta: timedelta) -> Window:
        """The same window moved by `delta` (negative: into the past)."""
        return replace(self, since=self.since + delta, until=self.until + delta)


def local_day(col: ColumnElement) -> ColumnElement:
    """The Huế calendar day of a timestamptz column."""
    return cast(func.timezone(HUE_TZ_NAME, col), Date)


def local_part(part: str, col: ColumnElement) -> ColumnElement:
    """A calendar field ('isodow', 'hour') of a timestamptz column in Huế time."""
    return func.extract(part, func.timezone(HUE_TZ_NAME, col))


def bucket_of(col: ColumnElement, window: Window) -> ColumnElement:
    """The start of the window bucket a timestamptz falls in (aligned to the window's start)."""
    return func.date_bin(literal(window.step, INTERVAL), col, literal(window.since))


# Named parameters of statement templates (built once per scope and shape, run with a call's values): the
# window's bounds, its bucket size, and the same window a week earlier. Typed, so that a parameter standing alone
# in a select list or a window function is sent as timestamptz, as a literal would be.
SINCE = bindparam("since", None, type_=DateTime(timezone=True))
UNTIL = bindparam("until", None, type_=DateTime(timezone=True))
STEP = bindparam("step", None, type_=INTERVAL)
PREV_SINCE = bindparam("prev_since", None, type_=DateTime(timezone=True))
PREV_UNTIL = bindparam("prev_until", None, type_=DateTime(timezone=True))
FIRST_DAY, LAST_DAY = bindparam("first_day", None, type_=Date), bindparam("last_day", None, type_=Date)


def bucket_param(col: ColumnElement) -> ColumnElement:
    """bucket_of for templates: the bucket size and the window start are the STEP and SINCE parameters."""
    return func.date_bin(STEP, col, SINCE)


# A statement, or a statement template and the values of its named bind parameters.
Query = Executable | tuple[Executable, dict]


def _columns(result) -> tuple[list[str], list[list]]:
    keys = list(result.keys())
    rows = result.fetchall()
    return keys, ([list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in keys])


def run_many(stmts: list[Query], engine: Engine | None = None) -> list[tuple[list[str], list[list]]]:
    """Run SELECTs on one pooled connection of the one engine: per statement, column keys and values column by column.

    Autocommit: one SELECT needs no transaction, and this saves the BEGIN and ROLLBACK round trips.
    """
    engine = engine or get_engine()
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        return [_columns(conn.execute(q[0], q[1]) if isinstance(q, tuple) else conn.execute(q)) for q in stmts]


# What a write sent with write_async_commit runs before it, in its own transaction: the write's commit does not
# wait for its WAL flush (docs/drilldown.md, "Plate hits and the audit write", says why and what that risks).
ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


def write_async_commit(stmt: Executable, engine: Engine | None = None) -> None:
    """Run one write (an INSERT) in a transaction of its own, committed with synchronous_commit off.

    Returns once PostgreSQL has committed it: visible to every reader at once, and durable when the WAL
    writer flushes it (within 3 x wal_writer_delay, 0.6 s by default) instead of before this returns.
    Not retried: a second attempt after a connection died mid-commit could write the row twice.
    """
    with (engine or get_engine()).begin() as conn:
        conn.execute(ASYNC_COMMIT)
        conn.execute(stmt)


def run(stmt: Query, engine: Engine | None = None) -> tuple[list[str], list[list]]:
    """Run one SELECT (see run_many): column keys and the values column by column."""
    return run_many([stmt], engine)[0]


def as_dicts(keys: list[str], columns: list[list]) -> list[dict]:
    """run_many's answer for one statement as plain dicts, one per row."""
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def as_frame(keys: list[str], columns: list[list]) -> pd.DataFrame:
    """run_many's answer for one statement as a DataFrame (~0.2 ms even for one row: pandas' fixed cost)."""
    # From lists of columns: handing pandas row objects costs ~10 us a row in attribute probes.
    return pd.DataFrame(dict(zip(keys, columns, strict=True)), columns=keys)


def frame(stmt: Query, engine: Engine | None = None) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame (columns named as in the statement)."""
    return as_frame(*run(stmt, engine))


def frames(stmts: list[Query], engine: Engine | None = None) -> list[pd.DataFrame]:
    """Run several SELECTs in one round trip and return each one's rows as a DataFrame."""
    return [as_frame(k, c) for k, c in run_many(stmts, engine)]


def records(stmt: Query, engine: Engine | None = None) -> list[dict]:
    """Run a SELECT and return plain dicts."""
    return as_dicts(*run(stmt, engine))


def records_many(stmts: list[Query], engine: Engine | None = None) -> list[list[dict]]:
    """Run several SELECTs in one round trip and return each one's plain dicts."""
    return [as_dicts(keys, columns) for keys, columns in run_many(stmts, engine)]
