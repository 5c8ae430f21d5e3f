"""Archiver throughput: Redis -> PostgreSQL events/s against a raw COPY of the same rows (prints figures only)."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Run as a plain script (`python bench/archiver.py`): make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
import psycopg  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data_sources import db, reference, schema  # noqa: E402
from data_sources.core.connections import sqlalchemy_url  # noqa: E402
from data_sources.core.streams import Keys, publish  # noqa: E402
from data_sources.events import STREAMS, CameraAlert, ComplaintEvent, FireDanger, Hotspot, TrafficReading  # noqa: E402
from pipeline import facts
from pipeline.archiver import ARCHIVER, Archiver, group_backlog, tune_gc  # noqa: E402
from pipeline.facts import Refs  # noqa: E402
from pipeline.parsing import default_parsers  # noqa: E402

DB_NAME = "ioc_bench_archiver"
# Realistic mix: ~1,000 segments report every minute, cameras and complaints are rarer, fire events rarest.
MIX = (("traffic", 0.88), ("camera", 0.05), ("complaint", 0.04), ("fire_danger", 0.02), ("hotspot", 0.01))
STATUSES = ("received", "verified", "dispatched", "in_progress", "resolved", "rated")
FACT_NAMES = [t.name for t in schema.FACT_TABLES.values()]


def server_urls() -> tuple[str, str]:
    env = os.environ.get
    pg = env("TEST_DATABASE_URL") or env("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    rd = env("TEST_REDIS_URL") or env("REDIS_URL") or "redis://127.0.0.1:6379/15"
    return pg, rd


def make_events(refs: Refs, n: int, *, seed: int = 7) -> list:
    """n valid events in time order over the last hour, ids unique, kinds drawn from MIX."""
    rnd = random.Random(seed)
    kinds = rnd.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=n)
    cams, segs, units = sorted(refs.camera_unit), sorted(refs.segment_unit), sorted(refs.units)
    areas, agencies = sorted(refs.forest_areas), sorted(refs.agencies)
    start = datetime.now(UTC) - timedelta(hours=1)
    step = timedelta(seconds=3600 / n)
    out = []
    for i, kind in enumerate(kinds):
        base = {"event_id": f"bench-{i}", "ts": start + i * step}
        if kind == "traffic":
            ff = rnd.choice((40.0, 50.0, 60.0))
            speed = round(rnd.uniform(3, ff), 1)
            level = min(4, int((1 - speed / ff) * 5))
            out.append(TrafficReading(**base, segment_id=rnd.choice(segs), speed_kmh=speed, free_flow_kmh=ff,
                                      congestion_level=level, confidence=0.95))  # fmt: skip
        elif kind == "camera":
            out.append(CameraAlert(**base, camera_id=rnd.choice(cams), alert_type="crowding", severity="medium",
                                   score=round(rnd.random(), 3)))  # fmt: skip
        elif kind == "complaint":
            c = rnd.randrange(max(1, n // 200))  # each complaint goes through several lifecycle steps
            out.append(ComplaintEvent(**base, complaint_id=f"bench-c{c}", status=rnd.choice(STATUSES),
                                      category="waste", unit_code=rnd.choice(units), lat=16.46, lon=107.59,
                                      channel="hue_s", title="Rác thải chưa thu gom", received_at=start,
                                      agency_code=rnd.choice(agencies)))  # fmt: skip
        elif kind == "fire_danger":
            out.append(FireDanger(**base, unit_code=rnd.choice(units), level=rnd.randint(1, 5)))
        else:
            out.append(Hotspot(**base, lat=round(rnd.uniform(16.0, 16.6), 4), lon=round(rnd.uniform(107.1, 108), 4),
                               confidence="nominal", frp=12.5, source="viirs", area_id=rnd.choice(areas)))  # fmt: skip
    return out


def create_database(admin_url: str) -> str:
    admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = make_url(sqlalchemy_url(admin_url)).set(database=DB_NAME).render_as_string(hide_password=False)
    db.migrate(url)
    return url


def drop_database(admin_url: str) -> None:
    admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def reset(engine: Engine, r: redis.Redis, k: Keys) -> None:
    """Empty facts and rewind: the next archiver run sees all N entries as new."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join([*FACT_NAMES, 'complaints', 'traffic_5min'])}"))
    for stream in STREAMS:
        r.xgroup_destroy(k.stream(stream), ARCHIVER)


def run_archiver(
    engine: Engine, r: redis.Redis, refs: Refs, k: Keys, *, batch: int, prefetch: int, parsers: int
) -> dict:
    # Parser processes start here, before the clock: a real archiver starts them once for its whole life.
    arc = Archiver(engine=engine, r=r, refs=refs, k=k, count=batch, prefetch=prefetch, block_ms=100, parsers=parsers)
    consumer = arc.consumers[ARCHIVER]
    busy0, servers0 = machine_busy(), server_cpu()
    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        consumer.run(until_idle=True)
    finally:
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        busy, servers = machine_busy(), server_cpu()
        arc.close()
    assert group_backlog(r, ARCHIVER, k=k) == (0, 0), "archiver left entries pending or unread"
    lat = sorted(consumer.stats.latencies)
    return {
        "wall": wall,
        "cpu": cpu,  # this process (with parsers, without their validation work)
        "parse_cpu": arc.archive.parse_cpu_s if parsers else 0.0,  # in the parser processes
        "acked": consumer.stats.acked,
        "transactions": consumer.stats.handled,
        "p50": statistics.median(lat),
        "p95": lat[int(0.95 * (len(lat) - 1))],
        "written": arc.archive.written,
        # Cores the whole machine kept busy meanwhile (archiver, parsers, PostgreSQL, Redis, anything else).
        "servers": {name: servers[name] - servers0[name] for name in servers},
        "cores_busy": (busy[0] - busy0[0]) / max(busy[1] - busy0[1], 1e-9) * (os.cpu_count() or 1),
    }


def server_cpu() -> dict[str, float]:
    """CPU seconds used so far by every postgres and redis-server process on this machine (psutil)."""
    out = {"postgres": 0.0, "redis": 0.0}
    for proc in psutil.process_iter(["name", "cpu_times"]):
        name, times = proc.info["name"] or "", proc.info["cpu_times"]
        kind = "postgres" if name.startswith("postgres") else "redis" if name.startswith("redis-server") else None
        if kind and times is not None:
            out[kind] += times.user + times.system
    return out


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the machine so far, from /proc/stat (zeros where there is none)."""
    try:
        with open("/proc/stat") as f:
            values = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0.0, 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return float(sum(values) - idle), float(sum(values))


def raw_copy(url: str, rows: dict[str, list[tuple]], *, binary: bool) -> tuple[float, dict[str, float]]:
    """COPY the prepared tuples into the same (emptied) fact tables the archiver writes, in one transaction.

    Text or binary format, as psycopg's write_row sends them (the archiver writes binary). Emptying first is
    not timed; the caller empties them again before the archiver runs.
    """
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        conn.execute(f"TRUNCATE {', '.join(rows)}")
        conn.commit()
        servers0 = server_cpu()
        t0 = time.perf_counter()
        for table, table_rows in rows.items():
            fmt = " (FORMAT BINARY)" if binary else ""
            with conn.cursor().copy(f"COPY {table} ({', '.join(facts.COLUMNS[table])}) FROM STDIN{fmt}") as copy:
                if binary:
                    copy.set_types(facts.COPY_TYPES[table])
                for row in table_rows:
                    copy.write_row(row)
        conn.commit()
        wall, servers = time.perf_counter() - t0, server_cpu()
        return wall, {name: servers[name] - servers0[name] for name in servers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=2000, help="XREADGROUP COUNT per stream")
    parser.add_argument("--prefetch", type=int, default=4, help="batches read ahead while one commits")
    parser.add_argument(
        "--parsers", type=int, default=default_parsers(), help="parser processes, as the archiver's --parsers"
    )
    args = parser.parse_args()
    pg_url, redis_url = server_urls()
    r = redis.Redis.from_url(redis_url, socket_timeout=30)
    k = Keys(f"bench:archiver:{uuid.uuid4().hex[:8]}:")
    url = create_database(pg_url)
    engine = create_engine(sqlalchemy_url(url))
    try:
        reference.load_into(engine)
        refs = Refs.from_files()
        t0 = time.perf_counter()
        events = make_events(refs, args.events)
        rows: dict[str, list[tuple]] = {}
        for e in events:
            table, row = facts.fact_row(e, refs)
            rows.setdefault(table, []).append(row)
        made = time.perf_counter() - t0
        for i in range(0, len(events), 20_000):
            publish(r, events[i : i + 20_000], k=k, maxlen=2 * len(events))
        # As `python -m pipeline.archiver` does; freezing also keeps the bench's own 200k events and rows
        # (which the real process never holds) out of the archiver's garbage collections.
        tune_gc()
        mix = Counter(e.kind for e in events)
        print(f"archiver bench: {len(events):,} events ({', '.join(f'{n} {c}' for n, c in mix.most_common())}),")
        print(
            f"  XREADGROUP COUNT {args.batch} per stream, prefetch {args.prefetch}, {args.parsers} parser processes;"
            f" built in {made:.1f} s;"
        )
        print(f"  {os.cpu_count()} CPUs, load average at the start {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        results = []
        for i in range(args.repeats):
            # Raw COPY right before and after the archiver, in both formats, averaged per format: all see the
            # same machine load. The baseline is the faster format, whichever it is in this run.
            before = {fmt: raw_copy(url, rows, binary=fmt == "binary") for fmt in ("text", "binary")}
            reset(engine, r, k)
            a = run_archiver(engine, r, refs, k, batch=args.batch, prefetch=args.prefetch, parsers=args.parsers)
            assert a["written"] == len(events), f"archived {a['written']} of {len(events)}"
            after = {fmt: raw_copy(url, rows, binary=fmt == "binary") for fmt in ("binary", "text")}
            copies = {fmt: (before[fmt][0] + after[fmt][0]) / 2 for fmt in before}
            copy_s = min(copies.values())
            fastest = min(copies, key=copies.__getitem__)
            copy_servers = {n: (before[fastest][1][n] + after[fastest][1][n]) / 2 for n in before[fastest][1]}
            res = {"arch": len(events) / a["wall"], "copy": len(events) / copy_s, **a, "copy_s": copy_s}
            res["ratio"] = res["arch"] / res["copy"]
            results.append(res)
            print(
                f"run {i + 1}: archiver {res['arch']:,.0f} ev/s ({a['wall']:.2f} s, "
                f"Python CPU {a['cpu'] / len(events) * 1e6:.1f} us/event in the archiver process + "
                f"{a['parse_cpu'] / len(events) * 1e6:.1f} in parsers, {a['cores_busy']:.2f} cores busy, "
                f"{a['transactions']} transactions, "
                f"batch read->ack p50 {a['p50'] * 1000:.0f} ms p95 {a['p95'] * 1000:.0f} ms) | raw COPY "
                + ", ".join(f"{fmt} {len(events) / s:,.0f} rows/s ({s:.2f} s)" for fmt, s in copies.items())
                + f" | ratio to the faster {res['ratio']:.2f}"
            )
            print(
                "  server CPU s (archiver | faster raw COPY): "
                + ", ".join(f"{n} {a['servers'][n]:.2f} | {copy_servers[n]:.2f}" for n in copy_servers)
            )
        med = {key: statistics.median(x[key] for x in results) for key in ("arch", "copy", "ratio", "p50", "p95")}
        print(
            f"median of {len(results)}: archiver {med['arch']:,.0f} ev/s | faster raw COPY {med['copy']:,.0f} rows/s | "
            f"ratio {med['ratio']:.2f} | batch read->ack p50 {med['p50'] * 1000:.0f} ms, p95 {med['p95'] * 1000:.0f} ms"
        )
        print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(
            f"targets: >= 20,000 ev/s {'reached' if med['arch'] >= 20_000 else 'NOT reached'}; "
            f">= 0.5 of raw COPY {'reached' if med['ratio'] >= 0.5 else 'NOT reached'}"
        )
    finally:
        engine.dispose()
        for key in r.scan_iter(match=k.pattern(), count=1000):
            r.delete(key)
        drop_database(pg_url)


if __name__ == "__main__":
    main()
