"""cache.Shared, the per-process single-flight table: waiters share the first caller's answer or error, not its stop."""

from __future__ import annotations

import threading
import time

import pytest

from data_sources.core.cache import Shared


def _first_caller(shared: Shared, compute) -> tuple[threading.Thread, list]:
    """Start a thread that asks first; returns once its compute is under way, with what the thread got."""
    started, got = threading.Event(), []

    def slow():
        started.set()
        time.sleep(0.5)  # the test's own caller arrives meanwhile and waits on this answer
        return compute()

    def run():
        try:
            got.append(shared.get("key", slow))
        except BaseException as error:  # what the first caller got is what the tests check
            got.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    started.wait(5)
    return thread, got


def test_waiters_get_the_first_callers_answer_without_computing_it_again():
    shared = Shared(wait_s=5)
    thread, got = _first_caller(shared, lambda: "first")
    assert shared.get("key", lambda: "second") == "first"
    thread.join()
    assert got == ["first"]


def test_an_error_is_every_waiters_answer_and_is_not_kept():
    shared = Shared(wait_s=5)

    def broken():
        raise ValueError("redis said no")

    thread, got = _first_caller(shared, broken)
    with pytest.raises(ValueError, match="redis said no"):
        shared.get("key", lambda: "second")
    thread.join()
    assert isinstance(got[0], ValueError)
    assert shared.get("key", lambda: "again") == "again"  # the next caller tries again


def test_a_stopped_first_caller_does_not_stop_those_waiting_on_it():
    # A test server stopping its threads raises SystemExit in them; gevent kills a greenlet with GreenletExit.
    # Either is meant for that caller alone: the wall waiting on the same range computes it for itself.
    shared = Shared(wait_s=5)

    def stopped():
        raise SystemExit

    thread, got = _first_caller(shared, stopped)
    assert shared.get("key", lambda: "mine") == "mine"
    thread.join()
    assert isinstance(got[0], SystemExit)
