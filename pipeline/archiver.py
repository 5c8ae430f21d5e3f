"""The archiver process: group `archiver` writes events to PostgreSQL, group `projector` keeps Redis current state."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain

import psycopg
import redis
from sqlalchemy import Engine
from sqlalchemy import exc as sa_exc

from data_sources.core.connections import get_engine
from data_sources.core.servers import POSTGRESQL, REDIS, ServerUnavailable, use_servers
from data_sources.core.settings import get_settings
from data_sources.core.streams import DATA_FIELD, Entry, Keys, dead_letter, keys
from data_sources.events import STREAMS
from pipeline import facts
from pipeline.consumer import AfterHandle, Batch, Consumer, ConsumerConfig, entry_field
from pipeline.facts import Refs
from pipeline.parsing import (
    NO_DATA,
    CopyBatch,
    Parsed,
    ParserPool,
    Reject,
    default_parsers,
    parse_payloads,
    payloads_of,
    prepare_copy,
)
from pipeline.state import StateWriter

log = logging.getLogger("pipeline.archiver")  # also when run as __main__
# NO_DATA moved to parsing with the parser; it stays importable from here, where callers and tests look for it.
__all__ = ["ARCHIVER", "NO_DATA", "PROJECTOR", "Archiver", "group_backlog", "tune_gc"]

ARCHIVER, PROJECTOR = "archiver", "projector"
ROLLUP_EVERY_S = 30.0
ROLLUP_START_WINDOW = timedelta(hours=2)
SUMMARY_EVERY_S = 30.0
# PostgreSQL refused these rows (a NUL byte, a check constraint): bisect the batch and dead-letter the culprits.
# Anything else (server down, missing table) is retried as it is: dead-lettering would lose good events.
_REJECTED = (sa_exc.DataError, sa_exc.IntegrityError, psycopg.DataError, psycopg.IntegrityError)
Origin = tuple[Batch, str, int]  # the batch, stream and index an event was read from: enough to dead-letter it


@dataclass
class ArchiveItem:
    """A read batch on its way to PostgreSQL: the entries as read, and their COPY data (maybe still parsing)."""

    batch: Batch
    copy: Future[CopyBatch]


def _entry(batch: Batch, reject: Reject) -> tuple[Entry, str]:
    """A rejected entry, as the dead-letter stream takes it, from where it was read."""
    stream, index, reason = reject
    entry_id, fields = batch[stream][index]
    return Entry(stream, entry_id.decode(), entry_field(fields, DATA_FIELD)), reason


def _parser_pool(workers: int, refs: Refs) -> ParserPool | None:
    """Worker processes for parsing, or None (parse in-process) when none are wanted or they cannot start."""
    if workers <= 0:
        return None
    try:
        return ParserPool(workers, refs)
    except Exception as exc:  # e.g. a sandbox without process spawning: slower, but the archiver still runs
        log.warning("parser processes could not start (%s: %s); parsing in-process", type(exc).__name__, exc)
        return None


class ArchiveHandler:
    """Group `archiver`: one transaction per (merged) batch, dead letters queued with the XACKs.

    With `parsers` > 0, batches are validated and formatted in that many worker processes (prepare_copy), so the
    writer thread's GIL only streams bytes to COPY; with 0, in the preparing thread of this process.
    """

    def __init__(self, engine: Engine, refs: Refs, k: Keys, *, parsers: int = 0) -> None:
        self.engine, self.refs, self.k = engine, refs, k
        self.pool = _parser_pool(parsers, refs)
        self.written = 0
        self.dead_letters = 0
        self.rollups = 0
        self.parse_cpu_s = 0.0  # CPU spent validating and formatting, in whichever process did it
        # Once at start for the recent past: a previous life may have died between commit and refresh.
        self._rollup_since: datetime | None = datetime.now(UTC) - ROLLUP_START_WINDOW
        self._next_rollup = 0.0
        self._rollup_failing = False
        self._pool_failing = False

    def prepare(self, batch: Batch) -> ArchiveItem:
        payloads = payloads_of(batch)
        if self.pool is not None:
            return ArchiveItem(batch, self.pool.submit(payloads))
        done: Future[CopyBatch] = Future()
        done.set_result(prepare_copy(payloads, self.refs))
        return ArchiveItem(batch, done)

    def _copy_of(self, item: ArchiveItem) -> CopyBatch:
        """The item's COPY data, waiting for its worker; re-parsed here if the worker could not deliver it."""
        try:
            result = item.copy.result()
            self._pool_failing = False
        except Exception as exc:  # a worker died or was cancelled at shutdown: this process can parse it too
            if not self._pool_failing:
                log.warning("parser worker failed (%s: %s); parsing in-process", type(exc).__name__, exc)
            self._pool_failing = True
            result = prepare_copy(payloads_of(item.batch), self.refs)
            item.copy = Future()
            item.copy.set_result(result)  # a retried handle() does not parse it again
        return result

    def handle(self, prepared: list[ArchiveItem]) -> AfterHandle | None:
        copies = [self._copy_of(item) for item in prepared]
        rejected = [_entry(item.batch, r) for item, c in zip(prepared, copies, strict=True) for r in c.rejected]
        refused = self._write(prepared, copies) if any(c.events for c in copies) else []
        rejected += refused
        self.written += sum(c.events for c in copies) - len(refused)
        self.dead_letters += len(rejected)
        self.parse_cpu_s += sum(c.cpu_s for c in copies)
        for c in copies:
            if c.traffic_since is not None and (self._rollup_since is None or c.traffic_since < self._rollup_since):
                self._rollup_since = c.traffic_since
        self.maybe_rollup()
        if not rejected:
            return None

        def after(pipe) -> None:
            for entry, reason in rejected:
                dead_letter(pipe, entry, reason, k=self.k)

        return after

    def _write(self, prepared: list[ArchiveItem], copies: list[CopyBatch]) -> list[tuple[Entry, str]]:
        """Commit the prepared batches; returns the events PostgreSQL refused one by one.

        The common case is one plain COPY per table (no savepoint round trips). If PostgreSQL refuses it (an
        event id already stored after a crash between commit and XACK, a value it cannot take), that
        transaction rolls back whole and the events go again through the duplicate-tolerant path, bisected.
        """
        bodies: dict[str, list[bytes]] = {}
        for c in copies:
            for table, body in c.bodies.items():
                bodies.setdefault(table, []).append(body)
        complaints = list(chain.from_iterable(c.complaints for c in copies))
        try:
            if len(bodies) == 1 and not complaints:
                # One COPY and nothing else (most batches: traffic only) is a transaction of its own in autocommit,
                # which saves the round trips of BEGIN and COMMIT; it commits whole or not at all all the same.
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    facts.copy_bodies(conn, bodies, ())
            else:
                with self.engine.begin() as conn:
                    facts.copy_bodies(conn, bodies, complaints)
            return []
        except _REJECTED:
            pass
        # Rare (a replay after a crash, a value PostgreSQL refuses): parse again here, keeping where each came from.
        events, origins = [], []
        for item in prepared:
            parsed = parse_payloads(payloads_of(item.batch), self.refs, where=True)
            events += parsed.events
            origins += [(item.batch, stream, index) for stream, index in parsed.where]
        return self._write_tolerant(events, origins)

    def _write_tolerant(self, events: list, origins: list[Origin]) -> list[tuple[Entry, str]]:
        """Commit the events, stored ids tolerated; returns those PostgreSQL refused one by one (by bisection)."""
        try:
            with self.engine.begin() as conn:
                facts.write_events(conn, events, self.refs)
            return []
        except _REJECTED as exc:
            if len(events) == 1:
                batch, stream, index = origins[0]
                reason = f"rejected by PostgreSQL: {str(getattr(exc, 'orig', None) or exc).splitlines()[0]}"
                return [_entry(batch, (stream, index, reason))]
        mid = len(events) // 2
        return self._write_tolerant(events[:mid], origins[:mid]) + self._write_tolerant(events[mid:], origins[mid:])

    def close(self) -> None:
        """Stop the parser workers (waits for the batches they are on)."""
        if self.pool is not None:
            self.pool.close()

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
        return parse_payloads(payloads_of(batch), self.refs)

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
        parsers: int = 0,
    ) -> None:
        self.k = k or keys()
        self.r = r or redis_client()
        self.stop = stop or threading.Event()
        refs = refs or Refs.from_files()
        self.archive = ArchiveHandler(engine or get_engine(), refs, self.k, parsers=parsers)
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

    def close(self) -> None:
        """Release what outlives a run: the parser worker processes."""
        self.archive.close()

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
    """`python -m pipeline.archiver`: run both groups until SIGTERM/SIGINT (or, with --once, until idle)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--once", action="store_true", help="process what is there now, then exit")
    parser.add_argument("--batch", type=int, default=2000, help="entries per stream and read (XREADGROUP COUNT)")
    parser.add_argument("--claim-idle", type=float, default=60.0, help="seconds before a dead consumer's entries move")
    parser.add_argument("--groups", default=f"{ARCHIVER},{PROJECTOR}", help="comma-separated groups to run")
    parser.add_argument(
        "--parsers", type=int, default=default_parsers(),
        help="worker processes that validate the archiver's batches (0: in this process); default cores - 1",
    )  # fmt: skip
    args = parser.parse_args(argv)
    groups = [g for g in args.groups.split(",") if g]
    if not groups or set(groups) - {ARCHIVER, PROJECTOR}:
        parser.error(f"--groups takes {ARCHIVER} and/or {PROJECTOR}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        use_servers(POSTGRESQL, REDIS)  # the configured URLs, or the embedded servers of a running `make run`
    except ServerUnavailable as exc:
        parser.exit(2, f"archiver: {exc}\n")
    parsers = args.parsers if ARCHIVER in groups else 0
    archiver = Archiver(count=args.batch, claim_idle_s=args.claim_idle, parsers=parsers)
    tune_gc()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: archiver.stop.set())
    log.info(
        "consumer %s on groups %s (prefix %r), %d parser processes",
        archiver.consumers[ARCHIVER].cfg.name, groups, archiver.k.prefix, parsers,
    )  # fmt: skip
    try:
        archiver.run(groups, until_idle=args.once)
    finally:
        archiver.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
