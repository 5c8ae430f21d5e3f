"""Writing validated events into the PostgreSQL fact tables: reference checks, binary COPY, idempotent slow path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from psycopg import adapters
from psycopg import errors as pg_errors
from psycopg.adapt import Transformer
from psycopg.pq import Format
from psycopg.types.json import Jsonb
from sqlalchemy import Boolean, Connection, DateTime, Float, Integer, SmallInteger, String, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from data_sources import reference, schema
from data_sources.events import CLOSED_STATUSES, InvalidEvent
from pipeline.psycopg_adapter import format_row_binary

# Column order used for COPY, per fact table (ingested_at is left to its default).
COLUMNS: dict[str, tuple[str, ...]] = {
    "camera_alerts": (
        "event_id", "ts", "camera_id", "unit_code", "alert_type", "severity", "score", "plate",
        "person_name", "watchlist", "snapshot_url", "updated_at",
    ),
    "traffic_readings": (
        "event_id", "ts", "segment_id", "unit_code", "speed_kmh", "free_flow_kmh", "congestion_level",
        "confidence", "source",
    ),
    "fire_danger": ("event_id", "ts", "unit_code", "area_id", "level"),
    "hotspots": ("event_id", "ts", "lat", "lon", "confidence", "frp", "source", "unit_code", "area_id"),
    "complaint_events": ("event_id", "ts", "complaint_id", "status", "agency_code", "unit_code", "payload"),
    # Not a fact table, but the backfill COPYs rollup rows directly (one reading per bucket there).
    "traffic_5min": (
        "segment_id", "bucket", "unit_code", "n", "avg_speed_kmh", "min_speed_kmh", "avg_level", "max_level",
    ),
}  # fmt: skip
# Tables whose rows a newer version of the same event id replaces (by this column); in the others the first
# row stored stays. Camera alerts: Frigate refines one object's alert (plate read, then watch-list match).
VERSIONED = {"camera_alerts": "updated_at"}


def _pg_type(sa_type) -> str:
    # Most specific first: SmallInteger is an Integer, Text a String.
    for kind, name in ((SmallInteger, "int2"), (Integer, "int4"), (Float, "float8"), (DateTime, "timestamptz"),
                       (JSONB, "jsonb"), (Boolean, "bool"), (String, "text")):  # fmt: skip
        if isinstance(sa_type, kind):
            return name
    raise TypeError(f"no COPY type for {sa_type!r}")


# PostgreSQL types per COPY column, for binary COPY: psycopg then packs each value in C (~1 us a row instead of
# ~4 us formatting text) and the server parses no timestamps or floats from text.
COPY_TYPES: dict[str, tuple[str, ...]] = {
    table: tuple(_pg_type(schema.metadata.tables[table].c[c].type) for c in columns)
    for table, columns in COLUMNS.items()
}


# Type oids for psycopg's binary row formatter (psycopg is pinned: the formatter is not public API, and
# test_copy_bodies_store_exactly_the_rows round-trips its bytes through PostgreSQL).
_COPY_OIDS = {table: [adapters.types.get_oid(t) for t in types] for table, types in COPY_TYPES.items()}
COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\0" + bytes(8)  # signature, flags, header extension length
COPY_TRAILER = b"\xff\xff"


def _verbatim(payload: str) -> str:
    return payload


@dataclass(frozen=True)
class Refs:
    """Reference ids the facts must point at, with the unit each camera and segment lies in."""

    camera_unit: dict[str, str]
    segment_unit: dict[str, str]
    units: frozenset[str]
    agencies: frozenset[str]
    forest_areas: frozenset[str]

    @classmethod
    def from_files(cls) -> Refs:
        data = reference.load_files()
        return cls(
            camera_unit={c["camera_id"]: c["unit_code"] for c in data["cameras"]},
            segment_unit={s["segment_id"]: s["unit_code"] for s in data["road_segments"]},
            units=frozenset(u["code"] for u in data["units"]),
            agencies=frozenset(a["agency_code"] for a in data["agencies"]),
            forest_areas=frozenset(f["area_id"] for f in data["forest_areas"]),
        )


def check_refs(event, refs: Refs) -> None:
    """Raise InvalidEvent when the event names a camera, segment, unit, agency or area we do not know."""
    kind = event.kind
    if kind == "camera_alert" and event.camera_id not in refs.camera_unit:
        raise InvalidEvent(f"unknown camera_id {event.camera_id!r}")
    if kind == "traffic_reading" and event.segment_id not in refs.segment_unit:
        raise InvalidEvent(f"unknown segment_id {event.segment_id!r}")
    # Model fields live in __dict__; getattr() on a field a kind lacks goes through pydantic's slow
    # __getattr__ and costs ~5 us per miss, the archiver's largest per-event cost before this.
    fields = event.__dict__
    unit = fields.get("unit_code")
    if unit is not None and unit not in refs.units:
        raise InvalidEvent(f"unknown unit_code {unit!r}")
    area = fields.get("area_id")
    if area is not None and area not in refs.forest_areas:
        raise InvalidEvent(f"unknown area_id {area!r}")
    agency = fields.get("agency_code")
    if agency is not None and agency not in refs.agencies:
        raise InvalidEvent(f"unknown agency_code {agency!r}")


def fact_row(event, refs: Refs) -> tuple[str, tuple]:
    """(table name, row tuple in COLUMNS order) for one validated event."""
    e = event
    kind = e.kind
    if kind == "traffic_reading":  # ~90 % of all events: first, and straight from the field dict
        d = e.__dict__
        seg = d["segment_id"]
        return "traffic_readings", (
            d["event_id"], d["ts"], seg, refs.segment_unit.get(seg), d["speed_kmh"], d["free_flow_kmh"],
            d["congestion_level"], d["confidence"], d["source"],
        )  # fmt: skip
    if kind == "camera_alert":
        unit = refs.camera_unit.get(e.camera_id)
        return "camera_alerts", (
            e.event_id, e.ts, e.camera_id, unit, e.alert_type, e.severity, e.score, e.plate,
            e.person_name, e.watchlist, e.snapshot_url, e.updated_at,
        )  # fmt: skip
    if kind == "fire_danger":
        return "fire_danger", (e.event_id, e.ts, e.unit_code, e.area_id, e.level)
    if kind == "hotspot":
        return "hotspots", (e.event_id, e.ts, e.lat, e.lon, e.confidence, e.frp, e.source, e.unit_code, e.area_id)
    if kind == "complaint":
        # Already JSON: the wrapper stops psycopg from encoding the string a second time (as a JSON string).
        payload = Jsonb(e.model_dump_json(exclude_none=True), dumps=_verbatim)
        return "complaint_events", (e.event_id, e.ts, e.complaint_id, e.status, e.agency_code, e.unit_code, payload)
    raise ValueError(f"no fact table for kind {kind!r}")


@dataclass
class WriteResult:
    """What one write did: rows offered per table, and whether the duplicate-tolerant path was needed."""

    offered: dict[str, int]
    slow_path_tables: list[str]


def write_events(conn: Connection, events: Sequence, refs: Refs) -> WriteResult:
    """Write validated events in the caller's transaction; re-writing the same event ids changes nothing.

    A camera alert whose event id is already stored replaces the stored row only when its `updated_at` is
    strictly newer, so replays and late, older versions never move an alert backwards.
    """
    by_table: dict[str, list[tuple]] = defaultdict(list)
    complaints = []
    for event in events:
        table, row = fact_row(event, refs)
        by_table[table].append(row)
        if table == "complaint_events":
            complaints.append(event)
    for table, column in VERSIONED.items():
        if table in by_table:
            by_table[table] = newest_versions(by_table[table], COLUMNS[table].index(column))
    slow = []
    for table, rows in by_table.items():
        if not copy_rows(conn, table, rows, binary=True):
            slow.append(table)
    upsert_complaints(conn, [complaint_snapshot(e) for e in complaints])
    return WriteResult({t: len(r) for t, r in by_table.items()}, slow)


def copy_body(table: str, rows: Sequence[tuple]) -> bytes:
    """Rows (in COLUMNS order) as binary COPY data without signature or trailer; pure, so a worker can build it.

    In a VERSIONED table only the newest version of each event id is kept, as one COPY must not repeat an id.
    It calls psycopg's own row formatter (in C), so the bytes are what Copy.write_row would have sent.
    """
    if table in VERSIONED:
        rows = newest_versions(rows, COLUMNS[table].index(VERSIONED[table]))
    tx = Transformer()
    tx.set_dumper_types(_COPY_OIDS[table], Format.BINARY)
    out = bytearray()
    for row in rows:
        format_row_binary(row, tx, out)
    return bytes(out)


def copy_bodies(conn: Connection, bodies: dict[str, list[bytes]], complaints: Sequence[dict]) -> None:
    """The archiver's fast path: one binary COPY per table from prepared bodies, then the complaint upsert.

    No savepoints, so no extra round trips: an event id already stored raises UniqueViolation and the caller's
    transaction is lost; the caller then writes the same events with write_events, which tolerates them.
    """
    raw = conn.connection.driver_connection
    if raw.info.encoding != "utf-8":  # the bodies' text is UTF-8, and binary COPY reads it in the client encoding
        raw.execute("SET client_encoding TO 'UTF8'")
    for table, parts in bodies.items():
        if not any(parts):
            continue
        # Table and column names come from COLUMNS, never from input.
        with raw.cursor().copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(COPY_SIGNATURE)
            for part in parts:
                copy.write(part)
            copy.write(COPY_TRAILER)
    upsert_complaints(conn, complaints)


def newest_versions(rows: Sequence[tuple], version: int) -> Sequence[tuple]:
    """One row per event id (column 0): the first one, unless a later one has a strictly newer version."""
    newest: dict[str, tuple] = {}
    for row in rows:
        old = newest.get(row[0])
        if old is None or is_newer(row[version], old[version]):
            newest[row[0]] = row
    return rows if len(newest) == len(rows) else list(newest.values())


def is_newer(new: datetime | None, old: datetime | None) -> bool:
    """The version rule, the same as the SQL in copy_rows: no version never replaces anything."""
    return new is not None and (old is None or new > old)


def copy_rows(conn: Connection, table: str, rows: Sequence[tuple], *, binary: bool = False) -> bool:
    """COPY rows into `table`; if any event id is already there, insert only the new ones instead.

    Returns True when the plain COPY went through. Duplicates only happen after a crash between commit
    and XACK (or a replayed file), so the common case pays for COPY alone. In a VERSIONED table a stored
    row is replaced by a row with a strictly newer version. `binary` needs Python values of the columns'
    types (models' fields are); text COPY also takes e.g. an int for a float column.
    """
    if not rows:
        return True
    columns = COLUMNS[table]
    types = COPY_TYPES[table] if binary else None
    raw = conn.connection.driver_connection
    savepoint = conn.begin_nested()
    try:
        _copy(raw, table, columns, rows, types)
        savepoint.commit()
        return True
    except pg_errors.UniqueViolation:
        savepoint.rollback()
    stage = f"stage_{table}"
    conn.execute(
        text(f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
    )
    conn.execute(text(f"TRUNCATE {stage}"))
    _copy(raw, stage, columns, rows, types)
    conn.execute(text(_merge_sql(table, stage)))
    return False


def _merge_sql(table: str, stage: str) -> str:
    # Table and column names come from COLUMNS and the schema, never from input.
    columns = COLUMNS[table]
    cols = ", ".join(columns)
    keys = [c.name for c in schema.metadata.tables[table].primary_key.columns]
    key = ", ".join(keys)
    version = VERSIONED.get(table)
    if version is None:
        return f"INSERT INTO {table} ({cols}) SELECT DISTINCT ON ({key}) {cols} FROM {stage} ON CONFLICT DO NOTHING"
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    return (
        f"INSERT INTO {table} AS stored ({cols}) SELECT DISTINCT ON ({key}) {cols} FROM {stage} "
        f"ORDER BY {key}, {version} DESC NULLS LAST "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates} "
        f"WHERE excluded.{version} IS NOT NULL AND (stored.{version} IS NULL OR excluded.{version} > stored.{version})"
    )


def _copy(raw, table: str, columns: Iterable[str], rows: Sequence[tuple], types: Sequence[str] | None) -> None:
    # Table and column names come from COLUMNS above, never from input.
    fmt = " (FORMAT BINARY)" if types else ""
    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{fmt}") as copy:
        if types:
            copy.set_types(types)
        write = copy.write_row
        for row in rows:
            write(row)


def upsert_complaints(conn: Connection, snapshots: Sequence[dict]) -> None:
    """Keep one snapshot row per complaint, moved forward only by events at least as new as the stored one.

    `snapshots` are complaint_snapshot() of the batch's complaint events, in read order.
    """
    latest: dict[str, dict] = {}
    # The first close in the batch: "resolved" and "rated" often arrive together, and handling time ends
    # at the resolution, not at the citizen's rating.
    first_close: dict[str, datetime] = {}
    for snap in snapshots:
        cid, ts = snap["complaint_id"], snap["updated_at"]
        if cid not in latest or ts >= latest[cid]["updated_at"]:
            latest[cid] = snap
        if snap["status"] in CLOSED_STATUSES and (cid not in first_close or ts < first_close[cid]):
            first_close[cid] = ts
    if not latest:
        return
    rows = [{**snap, "closed_at": first_close.get(cid)} for cid, snap in latest.items()]
    # executemany (one cached statement, batched by insertmanyvalues), not .values(rows): compiling a fresh
    # multi-row VALUES per batch cost ~0.4 ms per complaint, 10x the whole upsert, in the archiver bench.
    stmt = pg_insert(schema.complaints)
    update = {c: stmt.excluded[c] for c in rows[0] if c not in ("complaint_id", "closed_at")}
    # closed_at: keep the first close time; a later "rated" event must not move it.
    update["closed_at"] = func.coalesce(schema.complaints.c.closed_at, stmt.excluded.closed_at)
    stmt = stmt.on_conflict_do_update(
        index_elements=["complaint_id"],
        set_=update,
        where=schema.complaints.c.updated_at <= stmt.excluded.updated_at,
    )
    conn.execute(stmt, rows)


def complaint_snapshot(e) -> dict:
    """The complaints-table row one complaint event carries (closed_at is decided per batch by the upsert)."""
    return {
        "complaint_id": e.complaint_id,
        "status": e.status,
        "category": e.category,
        "unit_code": e.unit_code,
        "agency_code": e.agency_code,
        "channel": e.channel,
        "lat": e.lat,
        "lon": e.lon,
        "title": e.title,
        "description": e.description,
        "urgent": e.urgent,
        "received_at": e.received_at,
        "deadline": e.deadline,
        "closed_at": None,
        "result": e.result,
        "rating": e.rating,
        "updated_at": e.ts,
    }


def refresh_traffic_rollup(conn: Connection, since: datetime) -> int:
    """Recompute the 5-minute traffic buckets from `since` onwards (idempotent); returns buckets written."""
    result = conn.execute(
        text(
            """
            INSERT INTO traffic_5min (segment_id, bucket, unit_code, n, avg_speed_kmh, min_speed_kmh,
                                      avg_level, max_level)
            SELECT segment_id, date_bin('5 minutes', ts, TIMESTAMPTZ '2000-01-01') AS bucket, min(unit_code),
                   count(*), avg(speed_kmh), min(speed_kmh), avg(congestion_level), max(congestion_level)
            FROM traffic_readings
            WHERE ts >= date_bin('5 minutes', CAST(:since AS timestamptz), TIMESTAMPTZ '2000-01-01')
            GROUP BY segment_id, bucket
            ON CONFLICT (segment_id, bucket) DO UPDATE SET
                unit_code = excluded.unit_code, n = excluded.n, avg_speed_kmh = excluded.avg_speed_kmh,
                min_speed_kmh = excluded.min_speed_kmh, avg_level = excluded.avg_level,
                max_level = excluded.max_level
            """
        ),
        {"since": since},
    )
    return result.rowcount
