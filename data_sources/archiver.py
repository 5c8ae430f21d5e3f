"""The archiver process: group `archiver` writes events to PostgreSQL, group `projector` keeps Redis current state."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import attrgetter

import psycopg
import redis
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from data_sources import facts
from data_sources.connections import get_engine
from data_sources.consumer import AfterHandle, Batch, Consumer, ConsumerConfig, entry_field
from data_sources.events import (
    EVENT_ADAPTER,
    STREAM_KINDS,
    STREAMS,
    CameraAlert,
    ComplaintEvent,
    FireDanger,
    Hotspot,
    InvalidEvent,
    TrafficReading,
    parse_event,
)
from data_sources.facts import Refs, check_refs
from data_sources.settings import get_settings
from data_sources.state import StateWriter
from data_sources.streams import DATA_FIELD, Entry, Keys, dead_letter, keys

log = logging.getLogger("data_sources.archiver")  # also when run as __main__

ARCHIVER, PROJECTOR = "archiver", "projector"
ROLLUP_EVERY_S = 30.0
ROLLUP_START_WINDOW = timedelta(hours=2)
SUMMARY_EVERY_S = 30.0
NO_DATA = "entry has no `data` field (malformed, or trimmed by MAXLEN before it was archived)"
# PostgreSQL refused these rows (a NUL byte, a check constraint): bisect the batch and dead-letter the culprits.
# Anything else (server down, missing table) is retried as it is: dead-lettering would lose good events.
_REJECTED = (sa_exc.DataError, sa_exc.IntegrityError, psycopg.DataError, psycopg.IntegrityError)

_TS = attrgetter("ts")
Origin = tuple[str, bytes, bytes]  # stream, entry id, payload: enough to dead-letter an event later


@dataclass
class Parsed:
    """A read batch after validation: events in read order (with where each came from) and rejects."""

    events: list = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    rejected: list[tuple[Entry, str]] = field(default_factory=list)
    traffic_since: datetime | None = None
    # Filled by the archiver's prepare (off the writer's thread): COPY rows per fact table, and the complaints.
    rows: dict[str, list[tuple]] = field(default_factory=dict)
    complaints: list = field(default_factory=list)


# A stream of one kind validates with that model directly: the same rules as the union, ~0.5 us less an event.
_VALIDATE = {
    stream: model.__pydantic_validator__.validate_json
    for model in (CameraAlert, TrafficReading, FireDanger, Hotspot, ComplaintEvent)
    for stream, kinds in STREAM_KINDS.items()
    if kinds == {model.model_fields["kind"].default}
}


def parse_batch(batch: Batch, refs: Refs) -> Parsed:
    """Validate each entry against the contract and the reference ids; failures become (entry, reason).

    The loop is the archiver's hottest Python: the common case is inlined (one validate_json, a kind and a
    reference check), and only a failing entry goes through parse_event / check_refs again for its reason.
    """
    out = Parsed()
    events, origins, rejected = out.events, out.origins, out.rejected
    segments = refs.segment_unit
    for stream, rows in batch.items():
        first = len(events)
        allowed = STREAM_KINDS.get(stream, ())
        validate = _VALIDATE.get(stream, EVENT_ADAPTER.validate_json)
        traffic = stream == "traffic"
        for entry_id, fields in rows:
            data = fields[1] if fields and fields[0] == DATA_FIELD else entry_field(fields, DATA_FIELD)
            if data is None:
                rejected.append((Entry(stream, entry_id.decode(), None), NO_DATA))
                continue
            try:
                try:
                    event = validate(data)
                except ValidationError:
                    event = parse_event(stream, data)  # raises InvalidEvent with the readable reason
                # "kind" must be sent (the union's discriminator requires it; a model would use its default).
                if event.kind not in allowed or "kind" not in event.__pydantic_fields_set__:
                    parse_event(stream, data)
                if not traffic or event.segment_id not in segments:
                    check_refs(event, refs)
            except InvalidEvent as exc:
                rejected.append((Entry(stream, entry_id.decode(), data), exc.reason))
                continue
            except Exception as exc:  # hostile input must never wedge the group, whatever the parser does
                rejected.append((Entry(stream, entry_id.decode(), data), f"unreadable: {type(exc).__name__}: {exc}"))
                continue
            events.append(event)
            origins.append((stream, entry_id, data))
        if traffic and len(events) > first:
            # The stream only accepts traffic readings, so this slice is all of them.
            out.traffic_since = min(map(_TS, events[first:]))
    return out


class ArchiveHandler:
    """Group `archiver`: one transaction per (merged) batch, dead letters queued with the XACKs."""

    def __init__(self, engine: Engine, refs: Refs, k: Keys) -> None:
        self.engine, self.refs, self.k = engine, refs, k
        self.written = 0
        self.dead_letters = 0
        self.rollups = 0
        # Once at start for the recent past: a previous life may have died between commit and refresh.
        self._rollup_since: datetime | None = datetime.now(UTC) - ROLLUP_START_WINDOW
        self._next_rollup = 0.0
        self._rollup_failing = False

    def prepare(self, batch: Batch) -> Parsed:
        parsed = parse_batch(batch, self.refs)
        # The rows are built here, on the preparing thread, so the writer's thread only streams them to COPY.
        rows, refs, fact_row = parsed.rows, self.refs, facts.fact_row
        for event in parsed.events:
            table, row = fact_row(event, refs)
            if table in rows:
                rows[table].append(row)
            else:
                rows[table] = [row]
            if table == "complaint_events":
                parsed.complaints.append(event)
        return parsed

    def handle(self, prepared: list[Parsed]) -> AfterHandle | None:
        rejected = [r for p in prepared for r in p.rejected]
        if any(p.events for p in prepared):
            refused = self._write(prepared)
            self.written += sum(len(p.events) for p in prepared) - len(refused)
            rejected += refused
        for p in prepared:
            if p.traffic_since is not None and (self._rollup_since is None or p.traffic_since < self._rollup_since):
                self._rollup_since = p.traffic_since
        self.maybe_rollup()
        if not rejected:
            return None
        self.dead_letters += len(rejected)

        def after(pipe) -> None:
            for entry, reason in rejected:
                dead_letter(pipe, entry, reason, k=self.k)

        return after

    def _write(self, prepared: list[Parsed]) -> list[tuple[Entry, str]]:
        """Commit the prepared batches; returns the events PostgreSQL refused one by one.

        The common case is one plain COPY per table (no savepoint round trips). If PostgreSQL refuses it (an
        event id already stored after a crash between commit and XACK, a value it cannot take), that
        transaction rolls back whole and the events go again through the duplicate-tolerant path, bisected.
        """
        rows: dict[str, list[tuple]] = {}
        for p in prepared:
            for table, table_rows in p.rows.items():
                rows.setdefault(table, []).extend(table_rows)
        complaints = list(chain.from_iterable(p.complaints for p in prepared))
        try:
            if len(rows) == 1 and not complaints:
                # One COPY and nothing else (most batches: traffic only) is a transaction of its own in autocommit,
                # which saves the round trips of BEGIN and COMMIT; it commits whole or not at all all the same.
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    facts.copy_new_rows(conn, rows, ())
            else:
                with self.engine.begin() as conn:
                    facts.copy_new_rows(conn, rows, complaints)
            return []
        except _REJECTED:
            pass
        events = list(chain.from_iterable(p.events for p in prepared))
        return self._write_tolerant(events, list(chain.from_iterable(p.origins for p in prepared)))

    def _write_tolerant(self, events: list, origins: list[Origin]) -> list[tuple[Entry, str]]:
        """Commit the events, stored ids tolerated; returns those PostgreSQL refused one by one (by bisection)."""
        try:
            with self.engine.begin() as conn:
                facts.write_events(conn, events, self.refs)
            return []
        except _REJECTED as exc:
            if len(events) == 1:
                stream, entry_id, data = origins[0]
                reason = f"rejected by PostgreSQL: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
                return [(Entry(stream, entry_id.decode(), data), reason)]
        mid = len(events) // 2
        return self._write_tolerant(events[:mid], origins[:mid]) + self._write_tolerant(events[mid:], origins[mid:])

    def maybe_rollup(self) -> None:
        """Refresh the 5-minute traffic buckets from the earliest reading written since the last refresh, if due."""
        now = time.monotonic()
        if self._rollup_since is None or now < self._next_rollup:
            return
        try:
            with self.engine.begin() as conn:
                facts.refresh_traffic_rollup(conn, self._rollup_since)
        except Exception as exc:  # the facts are committed; the rollup catches up on a later batch
            if not self._rollup_failing:
                log.warning("traffic rollup failed (%s); will retry", str(exc).strip().splitlines()[0])
            self._rollup_failing, self._next_rollup = True, now + 5.0
            return
        self._rollup_since, self._next_rollup, self._rollup_failing = None, now + ROLLUP_EVERY_S, False
        self.rollups += 1


class ProjectHandler:
    """Group `projector`: current state in Redis, independent of PostgreSQL; invalid entries are only counted."""

    def __init__(self, r: redis.Redis, refs: Refs, k: Keys) -> None:
        self.refs, self.writer = refs, StateWriter(r, k)
        self.applied = 0
        self.invalid = 0

    def prepare(self, batch: Batch) -> Parsed:
        return parse_batch(batch, self.refs)

    def handle(self, prepared: list[Parsed]) -> AfterHandle | None:
        events = list(chain.from_iterable(p.events for p in prepared))
        self.writer.apply(events)
        self.applied += len(events)
        self.invalid += sum(len(p.rejected) for p in prepared)
        return None


def redis_client(url: str | None = None) -> redis.Redis:
    """A client for the group loops: the socket timeout outlasts any BLOCK (<= 2 s) yet still ends a dead link."""
    url = url or get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set: start through manage.py, which fills it in")
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=2, health_check_interval=10)


def group_backlog(r: redis.Redis, group: str, *, k: Keys | None = None) -> tuple[int, int | None]:
    """(pending, lag) of a group summed over the four streams; lag is None when Redis cannot tell."""
    k = k or keys()
    pipe = r.pipeline(transaction=False)
    for name in STREAMS:
        pipe.xinfo_groups(k.stream(name))
        pipe.xrevrange(k.stream(name), count=1)
    replies = pipe.execute(raise_on_error=False)
    pending, lag = 0, 0
    for groups, newest in zip(replies[::2], replies[1::2], strict=True):
        info = [g for g in groups if g["name"] in (group, group.encode())] if isinstance(groups, list) else []
        if not info:  # stream or group not created yet
            return pending, None
        pending += info[0]["pending"]
        stream_lag = info[0].get("lag")
        if stream_lag is None:  # Redis < 7 (or deletions): only "caught up" is certain
            caught_up = not newest or newest[0][0] == info[0]["last-delivered-id"]
            stream_lag = 0 if caught_up else None
        lag = None if lag is None or stream_lag is None else lag + stream_lag
    return pending, lag


class Archiver:
    """Both groups of the archiver process, runnable in-process (tests, bench) or through main()."""

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        r: redis.Redis | None = None,
        refs: Refs | None = None,
        k: Keys | None = None,
        count: int = 2000,
        block_ms: int = 1000,
        claim_idle_s: float = 60.0,
        prefetch: int = 4,
        name: str | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.k = k or keys()
        self.r = r or redis_client()
        self.stop = stop or threading.Event()
        refs = refs or Refs.from_files()
        self.archive = ArchiveHandler(engine or get_engine(), refs, self.k)
        self.project = ProjectHandler(self.r, refs, self.k)

        def config(group: str) -> ConsumerConfig:
            cfg = ConsumerConfig(group, count=count, block_ms=block_ms, claim_idle_s=claim_idle_s, prefetch=prefetch)
            cfg.claim_every_s = min(cfg.claim_every_s, max(claim_idle_s / 2, 0.5))
            if group == PROJECTOR:
                # Each projector batch is one Redis pipeline of scripts: keep it short so dashboard reads never
                # queue behind it. PostgreSQL, in contrast, wants big transactions (fewer WAL flushes).
                cfg.merge_max = 10_000
            if name:
                cfg.name = name
            return cfg

        self.consumers = {
            ARCHIVER: Consumer(self.r, self.archive, config(ARCHIVER), k=self.k, stop=self.stop),
            PROJECTOR: Consumer(self.r, self.project, config(PROJECTOR), k=self.k, stop=self.stop),
        }

    def run_once(self) -> dict[str, int]:
        """One batch per group (no blocking); entries acked per group."""
        return {group: c.run_once() for group, c in self.consumers.items()}

    def drain(self, groups: Sequence[str] = (ARCHIVER, PROJECTOR)) -> None:
        """Process everything available now, group after group, then return."""
        for group in groups:
            self.consumers[group].run(until_idle=True)

    def run(self, groups: Sequence[str] = (ARCHIVER, PROJECTOR), *, until_idle: bool = False) -> None:
        """One thread per group until stop is set (or all idle); a summary line every SUMMARY_EVERY_S."""
        if ARCHIVER in groups:
            self.archive.maybe_rollup()  # the start-up refresh, even if no reading arrives for a while
        threads = [
            threading.Thread(target=self.consumers[g].run, kwargs={"until_idle": until_idle}, name=g, daemon=True)
            for g in groups
        ]
        for t in threads:
            t.start()
        last = (time.monotonic(), self.archive.written)
        while alive := [t for t in threads if t.is_alive()]:
            alive[0].join(timeout=0.5)
            if time.monotonic() - last[0] >= SUMMARY_EVERY_S:
                last = self._log_summary(last)
        self._log_summary(last)

    def _log_summary(self, last: tuple[float, int]) -> tuple[float, int]:
        now, written = time.monotonic(), self.archive.written
        try:
            pending, lag = group_backlog(self.r, ARCHIVER, k=self.k)
        except redis.RedisError:
            pending, lag = None, None
        log.info(
            "archived %.0f ev/s (%d total), dead letters %d, projected %d (%d invalid), pending %s, lag %s",
            (written - last[1]) / max(now - last[0], 1e-9), written, self.archive.dead_letters,
            self.project.applied, self.project.invalid, pending, lag,
        )  # fmt: skip
        return now, written


def tune_gc() -> None:
    """Fewer, cheaper garbage collections for a process that allocates ~20 objects per event and keeps batches alive.

    Freezing what start-up loaded (modules, reference data) takes it out of every collection, and a young
    generation of 50,000 objects instead of 700 cut parsing time by ~40 % in the bench; 200,000 (a merged batch
    stays alive until its commit, so smaller generations rescan it) took the archiver's CPU per event from
    ~10 to ~9 us, as low as with no collector at all. Cycles are still collected.
    """
    gc.freeze()
    gc.set_threshold(200_000, 20, 100)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m data_sources.archiver`: run both groups until SIGTERM/SIGINT (or, with --once, until idle)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="process what is there now, then exit")
    parser.add_argument("--batch", type=int, default=2000, help="entries per stream and read (XREADGROUP COUNT)")
    parser.add_argument("--claim-idle", type=float, default=60.0, help="seconds before a dead consumer's entries move")
    parser.add_argument("--groups", default=f"{ARCHIVER},{PROJECTOR}", help="comma-separated groups to run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    archiver = Archiver(count=args.batch, claim_idle_s=args.claim_idle)
    tune_gc()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: archiver.stop.set())
    groups = [g for g in args.groups.split(",") if g]
    if not groups or set(groups) - {ARCHIVER, PROJECTOR}:
        parser.error(f"--groups takes {ARCHIVER} and/or {PROJECTOR}")
    log.info("consumer %s on groups %s (prefix %r)", archiver.consumers[ARCHIVER].cfg.name, groups, archiver.k.prefix)
    archiver.run(groups, until_idle=args.once)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
