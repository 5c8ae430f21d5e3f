"""A reusable Redis Streams consumer-group loop: own pending first, XAUTOCLAIM of stuck entries, ack after success."""

from __future__ import annotations

import logging
import os
import queue
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Generic, Protocol, TypeVar

import redis
from redis.client import Pipeline

from data_sources.core.streams import Keys, keys
from data_sources.events import STREAMS

log = logging.getLogger(__name__)

# Rows are [entry id, flat field list [name, value, ...]] exactly as Redis sent them; the field list is None (or
# empty) for an entry trimmed away before it was processed. entry_field() reads one field.
Batch = dict[str, list]  # stream name -> rows
AfterHandle = Callable[[Pipeline], None]
P = TypeVar("P")
Item = tuple[float, Batch, Any]  # (monotonic time read, batch, what the handler prepared from it)
_first = itemgetter(0)
_STOPPED = object()  # a stage's retries ended because stop was set
# Queued by a pipeline stage after its last item: the next stage ends at once instead of at its next poll (0.2 s),
# which a `--once` run (and the bench) would otherwise wait for at every stage.
_END = object()


def entry_field(fields: list | None, name: bytes) -> bytes | None:
    """Value of one field of a raw entry (None when absent)."""
    if fields:
        if fields[0] == name:  # the usual single-field entry
            return fields[1]
        for i in range(2, len(fields) - 1, 2):
            if fields[i] == name:
                return fields[i + 1]
    return None


class Handler(Protocol[P]):
    """What a consumer group does with its entries, split so reading can overlap the slow part."""

    def prepare(self, batch: Batch) -> P:
        """Pure CPU work on a freshly read batch (parse, validate); no I/O, so it needs no retry."""
        ...

    def handle(self, prepared: list[P]) -> AfterHandle | None:
        """Make prepared batches durable, or raise to have them retried. The returned callback queues Redis
        commands (dead letters) that run in the same MULTI as the XACKs."""
        ...


def consumer_name() -> str:
    """hostname-pid: a restarted process is a new consumer, which claims what the dead one left pending."""
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class ConsumerConfig:
    """Tunables of one consumer group loop."""

    group: str
    streams: tuple[str, ...] = STREAMS
    count: int = 2000  # per stream and XREADGROUP
    # <= 2 s: a stop request is seen that quickly, and no client socket timeout can cut a block short.
    block_ms: int = 1000
    claim_idle_s: float = 60.0  # a pending entry idle this long belongs to a dead consumer
    claim_every_s: float = 15.0
    prefetch: int = 0  # batches read and prepared ahead while the handler works (0: strictly in turn)
    merge_max: int = 40_000  # entries one handle() call may take when a backlog has queued up
    ack_ahead: int = 2  # stored handle() results whose XACKs may still be on their way (pipelined run)
    name: str = field(default_factory=consumer_name)


@dataclass
class ConsumerStats:
    """Counters for logs, tests and the bench."""

    read: int = 0
    acked: int = 0
    claimed: int = 0
    handled: int = 0  # successful handle() calls
    retries: int = 0
    outages: int = 0
    latencies: deque = field(default_factory=lambda: deque(maxlen=50_000))  # s from XREADGROUP to XACK, per read


class _Outage:
    """One log line when something starts failing and one when it recovers; exponential backoff in between."""

    def __init__(self, what: str, stats: ConsumerStats) -> None:
        self.what, self.stats, self.since, self.attempts = what, stats, None, 0

    def failed(self, exc: BaseException) -> float:
        if self.since is None:
            self.since = time.monotonic()
            self.stats.outages += 1
            first_line = (str(exc).strip().splitlines() or [""])[0]
            log.warning("%s unavailable (%s: %s); retrying with backoff", self.what, type(exc).__name__, first_line)
        self.attempts += 1
        self.stats.retries += 1
        return min(5.0, 0.1 * 2 ** min(self.attempts, 6)) * random.uniform(0.8, 1.2)

    def ok(self) -> None:
        if self.since is not None:
            log.warning("%s back after %.1f s (%d retries)", self.what, time.monotonic() - self.since, self.attempts)
            self.since, self.attempts = None, 0


def _unparsed(response, **options):
    return response


class Consumer(Generic[P]):
    """Reads one consumer group over several streams; an entry is acked only after its handler succeeded."""

    def __init__(
        self, r: redis.Redis, handler: Handler[P], config: ConsumerConfig, *, k: Keys | None = None,
        stop: threading.Event | None = None,
    ) -> None:  # fmt: skip
        self.r, self.handler, self.cfg = r, handler, config
        self.stop = stop or threading.Event()
        self.stats = ConsumerStats()
        # Same connection pool, but stream replies stay as Redis sent them: redis-py's per-entry tuple and dict
        # cost ~2 us an entry, a tenth of the archiver's budget.
        self._raw = redis.Redis(connection_pool=r.connection_pool)
        for command in ("XREADGROUP", "XAUTOCLAIM"):
            self._raw.set_response_callback(command, _unparsed)
        k = k or keys()
        self.keys = {name: k.stream(name) for name in config.streams}
        self._names = {key.encode(): name for name, key in self.keys.items()}
        # Own pending entries first, from id 0: a previous life under this name may have left some.
        self._drain: dict[str, bytes | str] = dict.fromkeys(config.streams, "0")
        self._claim_from: dict[str, bytes | str] = dict.fromkeys(config.streams, "0-0")
        self._next_claim = 0.0
        # Read but not yet acked (reader and writer threads share it): XAUTOCLAIM must not hand them over twice.
        self._inflight: dict[str, set[bytes]] = {name: set() for name in config.streams}
        self._lock = threading.Lock()
        self._groups_ready = False
        self.idle = False  # the last read found nothing
        # One tracker per thread and concern, so each outage is logged exactly once.
        self._read_down = _Outage(f"redis reads ({config.group})", self.stats)
        self._ack_down = _Outage(f"redis acks ({config.group})", self.stats)
        self._prepare_down = _Outage(f"{config.group} parser", self.stats)
        self._store_down = _Outage(f"{config.group} store", self.stats)

    def ensure_groups(self) -> None:
        """Create the group on every stream (and the stream itself) from the beginning; existing groups stay."""
        for key in self.keys.values():
            try:
                self.r.xgroup_create(key, self.cfg.group, id="0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
        self._groups_ready = True

    def _fetch(self, *, block: bool) -> Batch:
        if not self._groups_ready:
            self.ensure_groups()
        cfg = self.cfg
        if self._drain:
            streams = {self.keys[name]: cursor for name, cursor in self._drain.items()}
            batch = self._collect(self._raw.xreadgroup(cfg.group, cfg.name, streams, count=cfg.count))
            for name in list(self._drain):
                if batch.get(name):
                    self._drain[name] = batch[name][-1][0]
                else:
                    del self._drain[name]
            if batch:
                return batch
        if time.monotonic() >= self._next_claim:
            batch = self._autoclaim()
            if batch:
                return batch
        streams = dict.fromkeys(self.keys.values(), ">")
        block_ms = cfg.block_ms if block else None
        return self._collect(self._raw.xreadgroup(cfg.group, cfg.name, streams, count=cfg.count, block=block_ms))

    def _collect(self, resp: dict | list | None) -> Batch:
        batch: Batch = {}
        for key, rows in resp.items() if isinstance(resp, dict) else resp or ():  # RESP3 map or RESP2 list
            if rows:
                name = self._names[key if isinstance(key, bytes) else key.encode()]
                batch[name] = rows
                with self._lock:
                    self._inflight[name].update(map(_first, rows))
        return batch

    def _autoclaim(self) -> Batch:
        """Take over entries a dead consumer left pending (idle longer than claim_idle_s)."""
        cfg, batch, more = self.cfg, {}, False
        for name, key in self.keys.items():
            idle_ms, start, count = int(cfg.claim_idle_s * 1000), self._claim_from[name], cfg.count
            nxt, rows, *deleted = self._raw.xautoclaim(key, cfg.group, cfg.name, idle_ms, start_id=start, count=count)
            self._claim_from[name] = nxt
            more = more or nxt not in (b"0-0", "0-0")
            with self._lock:
                inflight = self._inflight[name]
                fresh = [row for row in rows if row[0] not in inflight]
                # Trimmed before anyone processed them (Redis 7 reports these and drops them from the PEL):
                # hand them on with no fields so the handler can say so.
                fresh += [[eid, None] for eid in (deleted[0] if deleted else ())]
                inflight.update(map(_first, fresh))
            if fresh:
                batch[name] = fresh
                self.stats.claimed += len(fresh)
        self._next_claim = time.monotonic() + (0 if more else cfg.claim_every_s)
        if batch:
            log.info("%s: claimed %d stuck entries", cfg.group, sum(map(len, batch.values())))
        return batch

    def _next(self, *, block: bool) -> Item | None:
        """Read and prepare one batch; None if there was nothing (then self.idle), an error or a stop."""
        read = self._read(block=block)
        if read is None:
            return None
        prepared = self._prepare(read[1])
        return None if prepared is _STOPPED else (*read, prepared)

    def _read(self, *, block: bool) -> tuple[float, Batch] | None:
        """One batch as Redis sent it, with when it was read; None if there was nothing, an error or a stop."""
        try:
            batch = self._fetch(block=block)
        except Exception as exc:  # never crash: Redis down, NOGROUP after a flush, ...
            if isinstance(exc, redis.ResponseError) and "NOGROUP" in str(exc):
                self._groups_ready = False
            self.idle = False
            self.stop.wait(self._read_down.failed(exc))
            return None
        self._read_down.ok()
        read_at, self.idle = time.monotonic(), not batch
        self.stats.read += sum(map(len, batch.values()))
        return (read_at, batch) if batch else None

    def _prepare(self, batch: Batch) -> Any:
        """handler.prepare() until it succeeds; _STOPPED if a stop came first."""
        while not self.stop.is_set():
            try:
                prepared = self.handler.prepare(batch)
            except Exception as exc:  # a bug, not an outage: the entries stay pending, and it is said once
                self.stop.wait(self._prepare_down.failed(exc))
                continue
            self._prepare_down.ok()
            return prepared
        return _STOPPED

    def _commit(self, items: list[Item]) -> bool:
        """handle() with retries, then the XACKs (with the handler's commands) with retries; False if stopped."""
        after = self._store(items)
        return after is not _STOPPED and self._ack_retried(items, after)

    def _store(self, items: list[Item]) -> AfterHandle | None | object:
        """handler.handle() until it succeeds (its callback, if any); _STOPPED if a stop came first."""
        while True:
            try:
                after = self.handler.handle([p for _, _, p in items])
                break
            except Exception as exc:
                if self.stop.wait(self._store_down.failed(exc)):
                    return _STOPPED  # left pending: redelivered later, and handlers are idempotent
        self._store_down.ok()
        self.stats.handled += 1
        return after

    def _ack_retried(self, items: list[Item], after: AfterHandle | None) -> bool:
        """The XACKs of stored items (with the handler's commands), retried until they pass; False if stopped."""
        while True:
            try:
                self._ack(items, after)
                break
            except Exception as exc:
                if self.stop.wait(self._ack_down.failed(exc)):
                    return False
        self._ack_down.ok()
        return True

    def _ack(self, items: list[Item], after: AfterHandle | None) -> None:
        ids: dict[str, list[bytes]] = {}
        for _, batch, _ in items:
            for name, rows in batch.items():
                ids.setdefault(name, []).extend(map(_first, rows))
        pipe = self.r.pipeline(transaction=True)
        if after is not None:
            after(pipe)
        for name, entry_ids in ids.items():
            pipe.xack(self.keys[name], self.cfg.group, *entry_ids)
        pipe.execute()
        now = time.monotonic()
        with self._lock:
            for name, entry_ids in ids.items():
                self._inflight[name].difference_update(entry_ids)
        self.stats.acked += sum(map(len, ids.values()))
        self.stats.latencies.extend(now - t for t, _, _ in items)

    def run_once(self, *, block: bool = False) -> int:
        """Read, handle and ack one batch; returns how many entries were acked (0: none, an error or a stop)."""
        item = self._next(block=block)
        return _size(item) if item is not None and self._commit([item]) else 0

    def run(self, *, until_idle: bool = False) -> None:
        """Loop until stop is set (or, with until_idle, until a read finds nothing and all is acked)."""
        if self.cfg.prefetch > 0:
            self._run_pipelined(until_idle=until_idle)
            return
        while not self.stop.is_set():
            item = self._next(block=not until_idle)
            if item is not None:
                self._commit([item])
            elif until_idle and self.idle:
                return

    def _run_pipelined(self, *, until_idle: bool) -> None:
        # Four stages, each on its own thread, so their waits overlap instead of adding up: XREADGROUP (a Redis
        # round trip), prepare (Python parses), handle (PostgreSQL copies and commits; this thread) and XACK
        # (Redis again). Every queue is bounded: at most `prefetch` batches are read ahead, and at most `ack_ahead`
        # stored ones wait for their XACK, which is only ever queued after handle() returned for them.
        fetched: queue.Queue[tuple[float, Batch]] = queue.Queue(maxsize=1)
        ready: queue.Queue[Item] = queue.Queue(maxsize=self.cfg.prefetch)
        stored: queue.Queue[tuple[list[Item], AfterHandle | None]] = queue.Queue(maxsize=self.cfg.ack_ahead)
        done = {name: threading.Event() for name in ("fetch", "prepare", "handle")}

        def fetch() -> None:
            try:
                while not self.stop.is_set():
                    read = self._read(block=not until_idle)
                    if read is None:
                        if until_idle and self.idle:
                            return
                        continue
                    if not self._put(fetched, read):
                        return
            finally:
                done["fetch"].set()
                self._put(fetched, _END)

        def prepare() -> None:
            try:
                while (read := self._take(fetched, done["fetch"])) is not None:
                    prepared = self._prepare(read[1])
                    if prepared is _STOPPED or not self._put(ready, (*read, prepared)):
                        return
            finally:
                done["prepare"].set()
                self._put(ready, _END)

        def ack() -> None:
            # Drains what was stored even after a stop: a graceful stop acks every committed batch it can.
            while (item := self._take(stored, done["handle"], until_stop=False)) is not None:
                self._ack_retried(*item)

        threads = [
            threading.Thread(target=target, name=f"{self.cfg.group}-{target.__name__}", daemon=True)
            for target in (fetch, prepare, ack)
        ]
        for thread in threads:
            thread.start()
        try:
            ended = False
            while not ended and (first := self._take(ready, done["prepare"])) is not None:
                items, size = [first], _size(first)
                while size < self.cfg.merge_max and not ready.empty():
                    nxt = ready.get_nowait()  # this thread is the queue's only taker
                    if nxt is _END:
                        ended = True
                        break
                    items.append(nxt)
                    size += _size(nxt)
                after = self._store(items)
                if after is _STOPPED or not self._put(stored, (items, after)):
                    break
        finally:
            done["handle"].set()  # the acker finishes what was stored, even if this thread failed
            self._put(stored, _END)
        for thread in threads:
            thread.join()

    def _put(self, q: queue.Queue, item: Any) -> bool:
        """Queue item, waiting while the queue is full; False (item dropped, so left pending) on a stop."""
        while not self.stop.is_set():
            try:
                q.put(item, timeout=0.2)
                return True
            except queue.Full:
                pass
        return False

    def _take(self, q: queue.Queue, upstream_done: threading.Event, *, until_stop: bool = True) -> Any:
        """The next item; None once the upstream stage is done and the queue empty (or, until_stop, on a stop)."""
        while not (until_stop and self.stop.is_set()):
            try:
                item = q.get(timeout=0.2)
                return None if item is _END else item
            except queue.Empty:
                if upstream_done.is_set() and q.empty():
                    return None
        return None


def _size(item: Item) -> int:
    return sum(map(len, item[1].values()))
