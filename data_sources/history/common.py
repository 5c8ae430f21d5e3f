"""Shared pieces of the history queries: the time window, the cache key of a Viewer's scope, running a statement."""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg
from sqlalchemy import ColumnElement, DateTime, Engine, bindparam, cast, create_engine, event, func, literal
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import INTERVAL
from sqlalchemy.engine import Compiled
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import Date
from sqlalchemy.util import LRUCache

from data_sources.cache import cache
from data_sources.connections import get_engine
from data_sources.viewer import Viewer

log = logging.getLogger(__name__)
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
    """Decorator: `fn(scope, **kw)` becomes `fn(*, viewer, **kw)`, memoized per scope in the flask-caching cache.

    The cache key is the scope and the arguments (defaults filled in), never the person, so two heads of one
    agency share entries. flask-caching's own `memoize` inspects the signature several times and reads and
    writes version keys on every call (~0.4 ms, as much as a small query); this key is one repr and one hash.
    `.uncached` is the plain function (the benchmark times both paths).
    """

    def wrap(fn: Callable) -> Callable:
        defaults = {name: p.default for name, p in inspect.signature(fn).parameters.items() if p.default is not p.empty}
        prefix = f"hist:{fn.__module__}.{fn.__qualname__}:"

        @functools.wraps(fn)
        def call(*, viewer: Viewer, **kwargs):
            scope = scope_of(viewer)
            args = {**defaults, **kwargs}
            digest = hashlib.blake2b(repr((scope, sorted(args.items()))).encode(), digest_size=16).hexdigest()
            key = prefix + digest
            try:
                backend = cache.cache  # the backend once: each `cache.get`/`cache.set` looks it up in the app again
                hit = backend.get(key)
            except Exception:  # no app context or a broken cache: answer uncached, as flask-caching does
                log.debug("history cache unavailable for %s", prefix, exc_info=True)
                return fn(scope, **kwargs)
            if hit is not None:
                return hit[0]  # wrapped in a tuple so that a cached None (not found) is a hit too
            value = fn(scope, **kwargs)
            backend.set(key, (value,), timeout=timeout)
            return value

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


# History engines by (main engine, process): a pool of its own without pre-ping. A ping is one more round trip
# per checkout (~0.1 ms idle, far more under load) on calls whose SQL often takes less; a dead connection (a
# restarted PostgreSQL, an idle cut) is instead noticed when it fails, and the call retried once on a new one.
_ENGINES: dict[tuple[int, int], tuple[Engine, Engine]] = {}
_ENGINES_LOCK = threading.Lock()
# Compiled statements by SQLAlchemy cache key (the statement's shape; values are extracted per call).
_PLANS = LRUCache(400)
RECYCLE_S = 1800
# Fixed size, no overflow: past it, requests queue for a connection (history SQL takes milliseconds) instead of
# opening and closing overflow connections, which under a gevent worker's hundreds of requests churns backends.
POOL_SIZE = 8


def history_engine() -> Engine:
    """The engine history reads run on: same database as `get_engine()`, no pre-ping, autocommit connections."""
    base = get_engine()
    key = (id(base), os.getpid())
    pair = _ENGINES.get(key)
    if pair is None:
        with _ENGINES_LOCK:
            pair = _ENGINES.get(key)
            if pair is None:
                for old_key, (_, old) in list(_ENGINES.items()):  # reset_connections() or a fork replaced it
                    del _ENGINES[old_key]
                    old.dispose(close=old_key[1] == os.getpid())
                engine = create_engine(
                    base.url,
                    pool_size=POOL_SIZE,
                    max_overflow=0,
                    pool_recycle=RECYCLE_S,
                    connect_args={"connect_timeout": 3},
                )
                event.listen(engine, "connect", _session)
                pair = _ENGINES[key] = (base, engine)
    return pair[1]


def _session(dbapi_conn, _record) -> None:
    """A new history connection: autocommit, and timestamps read in UTC."""
    # One SELECT needs no transaction: autocommit saves the BEGIN and ROLLBACK round trips.
    dbapi_conn.autocommit = True
    # Every local-time rule is explicit in the SQL (timezone('Asia/Ho_Chi_Minh', ...)), so the session zone changes
    # no answer, only the tzinfo psycopg gives timestamps: for 'UTC' it is datetime.timezone.utc, which pandas turns
    # into a datetime column ~15x faster than zoneinfo's 'Etc/UTC' (a server default; 4,138 rows: 1 ms, not 15 ms).
    dbapi_conn.execute("SET TimeZone TO 'UTC'")


@dataclass
class _Plan:
    """A compiled statement and, once seen, its result keys and converters (e.g. numeric -> float).

    Known after the first run: psycopg builds a Column object per column each time `description` is read
    (~1 us a column), so later runs of the same statement skip it.
    """

    compiled: Compiled
    keys: list[str]
    converters: list | None = None
    converters_known: bool = False


def _plan(stmt: Executable, dialect, values: dict | None = None) -> tuple[_Plan, str, dict]:
    """The compiled statement for `stmt` (compiled once per shape) with this statement's SQL and parameters.

    `values` sets named bind parameters: a statement template built once (functools.lru_cache per shape) and
    run with this call's values skips building and keying the statement again (~0.1-1 ms in SQLAlchemy).
    """
    cache_key = stmt._generate_cache_key()
    plan = _PLANS.get(cache_key.key) if cache_key is not None else None
    if plan is None:
        compiled = dialect.statement_compiler(dialect, stmt, cache_key=cache_key)
        keys = [col.keyname for col in compiled._result_columns]
        plan = _Plan(compiled, keys)
        if cache_key is not None:
            _PLANS[cache_key.key] = plan
    compiled = plan.compiled
    extracted = cache_key.bindparams if cache_key is not None else None
    params = compiled.construct_params(values, extracted_parameters=extracted, _no_postcompile=True)
    if compiled.post_compile_params or compiled.literal_execute_params:
        # IN (...) over a dept_head's units: one placeholder per unit, as SQLAlchemy itself would render.
        state = compiled._process_parameters_for_postcompile(params)
        sql, params, processors = state.statement, state.parameters, state.processors
    else:
        sql, processors = compiled.string, compiled._bind_processors
    for name, convert in processors.items():
        if name in params:
            params[name] = convert(params[name])
    return plan, sql, params


def _learn(plan: _Plan, description, dialect) -> None:
    """Keys and per-column converters (SQLAlchemy's result processor for its type and wire type) from a result."""
    if len(plan.keys) == len(description):
        cols = plan.compiled._result_columns
        found = [
            col.type._cached_result_processor(dialect, d.type_code) for col, d in zip(cols, description, strict=True)
        ]
        plan.converters = found if any(found) else None
    else:  # a textual or unusual statement: the server's column names, values as they are
        plan.keys = [d.name for d in description]
    plan.converters_known = True


def _rows(cur: psycopg.Cursor, plan: _Plan, dialect) -> list:
    rows = cur.fetchall()
    if not plan.converters_known:
        _learn(plan, cur.description, dialect)
    return rows


def _fetch(conn: psycopg.Connection, plans: list[tuple[_Plan, str, dict]], dialect) -> list[list]:
    if len(plans) == 1:
        with conn.cursor() as cur:
            cur.execute(plans[0][1], plans[0][2])
            return [_rows(cur, plans[0][0], dialect)]
    # Several statements of one page: pipelined, so they cost one round trip instead of one each.
    cursors = [conn.cursor() for _ in plans]
    try:
        with conn.pipeline():
            for cur, (_, sql, params) in zip(cursors, plans, strict=True):
                cur.execute(sql, params)
        return [_rows(cur, plan, dialect) for cur, (plan, _, _) in zip(cursors, plans, strict=True)]
    finally:
        for cur in cursors:
            cur.close()


# A statement, or a statement template and the values of its named bind parameters.
Query = Executable | tuple[Executable, dict]


def run_many(stmts: list[Query], engine: Engine | None = None) -> list[tuple[list[str], list[list]]]:
    """Run SELECTs on one pooled psycopg connection: per statement, column keys and the values column by column.

    SQLAlchemy builds and compiles each statement (bound parameters, compiled once per shape); the round trip
    itself is a bare psycopg cursor, which spares SQLAlchemy's execution context and row objects (~0.3 ms a call).
    Errors surface as SQLAlchemy's exceptions, like any other data call.
    """
    engine = engine or history_engine()
    plans = [_plan(q[0], engine.dialect, q[1]) if isinstance(q, tuple) else _plan(q, engine.dialect) for q in stmts]
    sql, params = plans[0][1], plans[0][2]  # what an error message names
    for attempt in (1, 2):
        try:
            proxy = engine.raw_connection()
        except psycopg.Error as exc:
            raise sa_exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
        try:
            results = _fetch(proxy.driver_connection, plans, engine.dialect)
            break
        except psycopg.Error as exc:
            broken = proxy.driver_connection.broken or proxy.driver_connection.closed
            if broken:
                proxy.invalidate(exc)
                engine.dispose(close=False)  # its siblings died with it: the retry opens a new connection
                if attempt == 1:
                    continue
            raise sa_exc.DBAPIError.instance(sql, params, exc, psycopg.Error, connection_invalidated=broken) from exc
        finally:
            proxy.close()
    out = []
    for (plan, _, _), rows in zip(plans, results, strict=True):
        keys = plan.keys
        columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in keys]
        if plan.converters:
            columns = [c if f is None else [f(v) for v in c] for f, c in zip(plan.converters, columns, strict=True)]
        out.append((keys, columns))
    return out


# What a write sent with write_async_commit runs, in one round trip: the write's transaction does not wait for
# its WAL flush (docs/drilldown.md, "Plate hits and the audit write", says why and what that risks).
ASYNC_COMMIT = ("BEGIN", "SET LOCAL synchronous_commit = off", None, "COMMIT")


def write_async_commit(stmt: Executable, engine: Engine | None = None) -> None:
    """Run one write (an INSERT) in a transaction of its own, committed with synchronous_commit off, pipelined.

    Returns once PostgreSQL has committed it: visible to every reader at once, and durable when the WAL
    writer flushes it (within 3 x wal_writer_delay, 0.6 s by default) instead of before this returns.
    Not retried: a second attempt after a connection died mid-commit could write the row twice.
    """
    engine = engine or history_engine()
    _, sql, params = _plan(stmt, engine.dialect)
    try:
        proxy = engine.raw_connection()
    except psycopg.Error as exc:
        raise sa_exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
    try:
        conn = proxy.driver_connection
        with conn.pipeline(), conn.cursor() as cur:
            for command in ASYNC_COMMIT:
                if command is None:
                    cur.execute(sql, params)
                else:
                    cur.execute(command)
    except psycopg.Error as exc:
        # Whatever state the connection is left in (aborted transaction, broken), it is not reused.
        proxy.invalidate(exc)
        raise sa_exc.DBAPIError.instance(sql, params, exc, psycopg.Error) from exc
    finally:
        proxy.close()


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
