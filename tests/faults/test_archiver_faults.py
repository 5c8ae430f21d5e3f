"""Archiver under faults, as a real process on private servers: kill -9 under a steady feed, and a hostile flood."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import redis

from data_sources.core.streams import DATA_FIELD, publish
from data_sources.events import STREAMS
from data_sources.state import read_hash
from pipeline.archiver import ARCHIVER, PROJECTOR
from pipeline.facts import Refs
from tests.faults.conftest import wait_for
from tests.faults.hostile import hostile_payloads
from tests.integration.test_archiver import drained, expected_counts, fact_counts, sample_events

pytestmark = pytest.mark.slow


def _pending_of(rds, k, consumer: str) -> int:
    """Entries a consumer of the archiver group has read and not acknowledged (0 before its group exists)."""
    total = 0
    for stream in STREAMS:
        try:
            rows = rds.xinfo_consumers(k.stream(stream), ARCHIVER)
        except redis.ResponseError:  # no stream or no group yet
            continue
        total += sum(c["pending"] for c in rows if c["name"] == consumer.encode())
    return total


class SteadyFeed(threading.Thread):
    """Publishes valid events at a steady rate (batches of `per_tick` every `tick` s) until stopped."""

    def __init__(self, rds, k, refs: Refs, *, per_tick: int = 40, tick: float = 0.05) -> None:
        super().__init__(daemon=True, name="steady-feed")
        self.rds, self.k, self.refs, self.per_tick, self.tick = rds, k, refs, per_tick, tick
        self.published: list = []
        self.halt = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            n, next_at = 0, time.monotonic()
            while not self.halt.is_set():
                batch = sample_events(self.refs, self.per_tick, tag=f"feed{n}")
                publish(self.rds, batch, k=self.k)
                self.published += batch
                n += 1
                next_at += self.tick
                self.halt.wait(max(0.0, next_at - time.monotonic()))
        except BaseException as exc:  # the test asserts there was none
            self.error = exc


def test_flt301_archiver_killed_ten_times_under_steady_feed(fault_env, fengine, frds, fkeys, archiver_proc):
    refs = Refs.from_files()
    rnd = random.Random(301)
    feed = SteadyFeed(frds, fkeys, refs)  # ~800 events/s
    args = ("--batch", "200", "--claim-idle", "1")
    proc = archiver_proc(*args)
    feed.start()
    in_flight_at_kill = []
    try:
        for _ in range(10):
            consumer = f"{socket.gethostname()}-{proc.pid}"
            # Mid-batch: this life has read entries it has not acknowledged yet, then a random few ms more.
            wait_for(lambda c=consumer: _pending_of(frds, fkeys, c) > 0, timeout=30, what="entries in flight",
                     every=0.01)  # fmt: skip
            time.sleep(rnd.uniform(0, 0.05))
            proc.kill()
            in_flight_at_kill.append(_pending_of(frds, fkeys, consumer))
            proc = archiver_proc(*args)
        time.sleep(1.0)  # the feed keeps going while the last life catches up
    finally:
        feed.halt.set()
        feed.join(timeout=10)
    assert feed.error is None, feed.error
    wait_for(lambda: drained(frds, fkeys, ARCHIVER, PROJECTOR), timeout=90, what="no pending and no lag")
    assert proc.stop() == 0, "graceful stop on SIGTERM"

    assert sum(1 for n in in_flight_at_kill if n) >= 5, f"kills rarely hit a batch in flight: {in_flight_at_kill}"
    published = feed.published
    print(f"published {len(published)}, in flight at each kill {in_flight_at_kill}")
    assert len(published) > 2000
    # fact_counts also asserts count(distinct event_id) == count(*) per table: no duplicates.
    assert fact_counts(fengine) == expected_counts(published)
    assert frds.xlen(fkeys.stream("deadletter")) == 0


def test_flt401_hostile_flood_is_dead_lettered_and_good_events_arrive(fault_env, fengine, frds, fkeys, archiver_proc):
    refs = Refs.from_files()
    rnd = random.Random(401)
    hostile = hostile_payloads(refs, 10_000, rnd)
    assert {stream for stream, _, _ in hostile} == set(STREAMS)
    start = datetime.now(UTC) - timedelta(minutes=20)
    good = sample_events(refs, 2000, tag="good", start=start)
    proc = archiver_proc("--batch", "500")

    # Interleaved, in chunks, while the archiver runs: good, hostile, good, ...
    hostile_keys: list[tuple[str, str]] = []
    chunk, good_per_chunk = 250, 50
    for n, i in enumerate(range(0, len(hostile), chunk)):
        publish(frds, good[n * good_per_chunk : (n + 1) * good_per_chunk], k=fkeys)
        pipe = frds.pipeline(transaction=False)
        for stream, payload, _ in hostile[i : i + chunk]:
            # None stands for an entry without its `data` field.
            pipe.xadd(fkeys.stream(stream), {b"note": b"no data here"} if payload is None else {DATA_FIELD: payload})
        hostile_keys += [
            (s, eid.decode()) for (s, _, _), eid in zip(hostile[i : i + chunk], pipe.execute(), strict=True)
        ]
    publish(frds, good[(n + 1) * good_per_chunk :], k=fkeys)

    wait_for(lambda: drained(frds, fkeys, ARCHIVER, PROJECTOR), timeout=120, what="both groups to drain")
    assert proc.alive(), "the archiver died:\n" + proc.text()[-3000:]

    letters = {(f[b"stream"].decode(), f[b"entry_id"].decode()): f for _, f in frds.xrange(fkeys.stream("deadletter"))}
    assert len(letters) == len(hostile) == frds.xlen(fkeys.stream("deadletter"))
    assert set(letters) == set(hostile_keys), "exactly the hostile entries are dead-lettered"
    wrong = []
    for key, (_, payload, fragment) in zip(hostile_keys, hostile, strict=True):
        letter = letters[key]
        reason = letter[b"reason"].decode()
        if not reason.strip() or fragment.lower() not in reason.lower() or letter[DATA_FIELD] != (payload or b""):
            wrong.append((key, fragment, reason[:200]))
    assert not wrong, f"{len(wrong)} dead letters without the expected reason or payload, e.g. {wrong[:5]}"
    counts = {s.decode(): int(n) for s, n in frds.hgetall(fkeys.dead_letter_counts).items()}
    print(f"dead letters per stream {counts}, good events {len(good)}")
    assert counts == dict(Counter(stream for stream, _, _ in hostile))

    # The good events all arrived: PostgreSQL has every one, once, and the current state shows the newest.
    assert fact_counts(fengine) == expected_counts(good)
    newest: dict[str, str] = {}
    for event in good:
        if event.kind == "traffic_reading":
            newest[event.segment_id] = event.event_id
    state = read_hash(frds, "traffic", k=fkeys)
    assert {seg: state[seg]["event_id"] for seg in newest} == newest

    # Still alive and still working after the flood: one more good event goes all the way through.
    after = sample_events(refs, 10, tag="after", start=datetime.now(UTC) - timedelta(seconds=5))
    publish(frds, after, k=fkeys)
    wait_for(lambda: drained(frds, fkeys, ARCHIVER, PROJECTOR), timeout=30, what="the last events")
    assert fact_counts(fengine) == expected_counts(good + after)
    assert proc.stop() == 0, "graceful stop on SIGTERM after the flood"
