"""cache.Fresh and cache.InFlight, the per-process tables beside Shared; and no callback holds a cache of its own."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest

from data_sources.core.cache import Fresh, InFlight

ROOT = Path(__file__).resolve().parents[2]


def test_fresh_keeps_the_object_itself_for_its_seconds_then_reads_again():
    table, calls = Fresh(seconds=60, size=2), []

    def compute():
        calls.append(1)
        return {"n": len(calls)}

    first = table.get("a", compute)
    assert table.get("a", compute) is first and len(calls) == 1
    stamp, value = table["a"]
    table["a"] = (stamp - 60, value)  # as if a minute old
    again = table.get("a", compute)
    assert again is not first and again == {"n": 2}


def test_fresh_holds_at_most_size_keys_dropping_the_oldest():
    table = Fresh(seconds=60, size=2)
    for key in "abc":
        table.get(key, lambda key=key: key)
    assert list(table) == ["b", "c"] and len(table) == 2


def test_in_flight_runs_one_computation_per_key_and_waiters_read_after_it():
    running, results, store = InFlight(wait_s=5), [], {}
    started, release = threading.Event(), threading.Event()

    def compute():
        started.set()
        release.wait(5)
        store["k"] = "loaded"
        return "loaded"

    first = threading.Thread(target=lambda: results.append(running.run("k", compute, lambda: "unused")))
    first.start()
    assert started.wait(5)
    waiters = [
        threading.Thread(target=lambda: results.append(running.run("k", compute, lambda: "after:" + store["k"])))
        for _ in range(5)
    ]
    for th in waiters:
        th.start()
    time.sleep(0.1)  # the waiters are now waiting on the first
    release.set()
    for th in (first, *waiters):
        th.join(5)
    assert sorted(results) == ["after:loaded"] * 5 + ["loaded"]
    # Nothing is kept: the next call for the key computes again.
    assert running.run("k", lambda: "again", lambda: "unused") == "again"


def test_in_flight_frees_the_key_when_the_computation_fails():
    running = InFlight(wait_s=5)
    with pytest.raises(RuntimeError):
        running.run("k", lambda: (_ for _ in ()).throw(RuntimeError("down")), lambda: "unused")
    assert running.run("k", lambda: "ok", lambda: "unused") == "ok"


def test_callbacks_hold_no_cache_of_their_own():
    # Caches live behind data-layer or builder functions (docs/caches.md); a callback only calls those.
    holds = re.compile(r"\b(Shared|Fresh|InFlight|lru_cache|memoize|memoized)\b|data_sources\.cache|\bcache\.")
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted((ROOT / "callbacks").glob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if holds.search(line.split("#", 1)[0])
    ]
    assert found == []
