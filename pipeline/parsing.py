"""Validating raw stream batches against the contract, and turning them into COPY data in worker processes."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

from pydantic import ValidationError

from data_sources.core.streams import DATA_FIELD
from data_sources.events import (
    EVENT_ADAPTER,
    STREAM_KINDS,
    CameraAlert,
    ComplaintEvent,
    FireDanger,
    Hotspot,
    InvalidEvent,
    TrafficReading,
    parse_event,
)
from pipeline import facts
from pipeline.consumer import entry_field
from pipeline.facts import Refs, check_refs

log = logging.getLogger(__name__)

NO_DATA = "entry has no `data` field (malformed, or trimmed by MAXLEN before it was archived)"
# Stream name -> each entry's `data` field in read order (None when the entry has none).
Payloads = dict[str, list[bytes | None]]
Reject = tuple[str, int, str]  # stream, index of the entry in that stream's rows, reason

_TS = attrgetter("ts")
# A stream of one kind validates with that model directly: the same rules as the union, ~0.5 us less an event.
_VALIDATE = {
    stream: model.__pydantic_validator__.validate_json
    for model in (CameraAlert, TrafficReading, FireDanger, Hotspot, ComplaintEvent)
    for stream, kinds in STREAM_KINDS.items()
    if kinds == {model.model_fields["kind"].default}
}


def payloads_of(batch: dict[str, list]) -> Payloads:
    """The `data` field of every entry of a batch as Redis sent it ([entry id, flat field list] rows)."""
    out: Payloads = {}
    for stream, rows in batch.items():
        out[stream] = [
            fields[1] if fields and fields[0] == DATA_FIELD else entry_field(fields, DATA_FIELD) for _, fields in rows
        ]
    return out


@dataclass
class Parsed:
    """Validated events in read order, where each came from (if asked for), and the rejects with reasons."""

    events: list = field(default_factory=list)
    where: list[tuple[str, int]] = field(default_factory=list)
    rejected: list[Reject] = field(default_factory=list)
    traffic_since: datetime | None = None


def parse_payloads(payloads: Payloads, refs: Refs, *, where: bool = False) -> Parsed:
    """Validate each payload against the contract and the reference ids; failures become (stream, index, reason).

    The loop is the archiver's hottest Python: the common case is inlined (one validate_json, a kind and a
    reference check), and only a failing entry goes through parse_event / check_refs again for its reason.
    """
    out = Parsed()
    events, origins, rejected = out.events, out.where, out.rejected
    segments = refs.segment_unit
    for stream, datas in payloads.items():
        first = len(events)
        allowed = STREAM_KINDS.get(stream, ())
        validate = _VALIDATE.get(stream, EVENT_ADAPTER.validate_json)
        traffic = stream == "traffic"
        for index, data in enumerate(datas):
            if data is None:
                rejected.append((stream, index, NO_DATA))
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
                rejected.append((stream, index, exc.reason))
                continue
            except Exception as exc:  # hostile input must never wedge the group, whatever the parser does
                rejected.append((stream, index, f"unreadable: {type(exc).__name__}: {exc}"))
                continue
            events.append(event)
            if where:
                origins.append((stream, index))
        if traffic and len(events) > first:
            # The stream only accepts traffic readings, so this slice is all of them.
            out.traffic_since = min(map(_TS, events[first:]))
    return out


@dataclass
class CopyBatch:
    """One batch ready for PostgreSQL; small and picklable, so a worker process can build it."""

    bodies: dict[str, bytes]  # fact table -> binary COPY rows (no signature, no trailer)
    events: int  # valid events in the bodies
    rejected: list[Reject]
    complaints: list[dict]  # complaint snapshots (facts.complaint_snapshot) in read order
    traffic_since: datetime | None
    cpu_s: float = 0.0  # CPU time spent building it, wherever it ran


def prepare_copy(payloads: Payloads, refs: Refs) -> CopyBatch:
    """Validate a batch and format its COPY data: everything the writer needs, and nothing it must parse."""
    cpu0 = time.process_time()
    parsed = parse_payloads(payloads, refs)
    rows: dict[str, list[tuple]] = {}
    complaints = []
    fact_row = facts.fact_row
    for event in parsed.events:
        table, row = fact_row(event, refs)
        if table in rows:
            rows[table].append(row)
        else:
            rows[table] = [row]
        if table == "complaint_events":
            complaints.append(facts.complaint_snapshot(event))
    bodies = {table: facts.copy_body(table, table_rows) for table, table_rows in rows.items()}
    return CopyBatch(
        bodies, len(parsed.events), parsed.rejected, complaints, parsed.traffic_since, time.process_time() - cpu0
    )


def _init_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops gracefully and shuts the pool down itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A kill -9 of the parent would leave a worker blocked on its task queue for ever: leave with it.
    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()
    # As in the archiver process (archiver.tune_gc): a batch's ~20 objects per event would otherwise trigger a
    # young collection every 700 allocations, each rescanning the batch; this cut parsing time by ~40 %.
    gc.freeze()
    gc.set_threshold(200_000, 20, 100)


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _ready() -> None:
    return None


class ParserPool:
    """Worker processes that run prepare_copy, so validation runs beside the writer instead of under its GIL.

    Workers are spawned, not forked: the archiver is threaded by then, and a fork copies other threads' locks.
    A pool that breaks (a worker killed) is replaced at the next submit; until then batches parse in-process.
    """

    def __init__(self, workers: int, refs: Refs) -> None:
        self.workers, self.refs = workers, refs
        self.pids: set[int] = set()  # of the current workers (logs, tests)
        self._lock = threading.Lock()
        self._closed, self._restart_at = False, 0.0
        self._pool: ProcessPoolExecutor | None = self._start()

    def _start(self) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
            initargs=(os.getpid(),),
        )  # fmt: skip
        # Start every worker now (spawn and imports take ~1 s), not at the first batch.
        try:
            for f in [pool.submit(_ready) for _ in range(self.workers)]:
                f.result(timeout=60)
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        # The executor starts all its workers on the first submits; _processes (pid -> process) is not public API,
        # hence the fallback: the pids are only for logs and tests.
        self.pids = set(getattr(pool, "_processes", None) or ())
        log.info("%d parser processes started (pids %s)", len(self.pids), sorted(self.pids))
        return pool

    def submit(self, payloads: Payloads) -> Future[CopyBatch]:
        """prepare_copy in a worker; if the pool cannot take it, in this thread (the future is then done)."""
        with self._lock:
            if self._pool is not None:
                try:
                    return self._pool.submit(prepare_copy, payloads, self.refs)
                except Exception as exc:  # BrokenProcessPool: a worker died (OOM killer, kill -9)
                    log.warning("parser pool broken (%s: %s); restarting it", type(exc).__name__, exc)
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
            if not self._closed and time.monotonic() >= self._restart_at:
                try:
                    self._pool = self._start()
                    return self._pool.submit(prepare_copy, payloads, self.refs)
                except Exception as exc:
                    log.warning("parser pool restart failed (%s); parsing in-process for a minute", exc)
                    self._pool, self._restart_at = None, time.monotonic() + 60.0
        done: Future[CopyBatch] = Future()
        done.set_result(prepare_copy(payloads, self.refs))
        return done

    def close(self) -> None:
        """Stop the workers after the batches they are on; later submits parse in-process."""
        with self._lock:
            self._closed = True
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None


def default_parsers() -> int:
    """Worker processes for a machine: one core stays for the writer thread (and, on a shared box, PostgreSQL)."""
    return max(1, min(4, (os.cpu_count() or 2) - 1))
