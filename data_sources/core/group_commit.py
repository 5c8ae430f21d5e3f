"""Group commit: small write transactions from many requests at once share one transaction and one commit.

A hundred duty consoles shown the same plate in the same second each owe an audit row. One transaction each
means a hundred pool checkouts and a hundred WAL flushes; under load that ran the pool dry (bench/load.py).
Here the first caller leads: it takes every job waiting at that moment, runs them in one transaction and
commits; callers that came meanwhile wait for that commit (or lead the next one). Every caller still returns
only after its own work is committed, so "a view and its audit commit together" holds as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy import exc as sa_exc

# A follower gives up after this long without an answer (the leader's own pool checkout times out sooner).
WAIT_SECONDS = 60.0


@dataclass
class _Job:
    fn: Callable[[Connection], Any]
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False  # set instead of a result: the job's caller leads the next transaction
    result: Any = None
    error: BaseException | None = None


class GroupCommit:
    """Runs `fn(conn)` jobs from any number of threads or greenlets, batched into shared transactions."""

    def __init__(self, max_jobs: int = 500) -> None:
        self._lock = threading.Lock()
        self._waiting: list[_Job] = []
        self._leading = False
        self._max_jobs = max_jobs
        self.transactions = 0  # for tests and benches: how many commits served how many jobs
        self.jobs = 0

    def run(self, engine: Engine, fn: Callable[[Connection], Any]) -> Any:
        """`fn(conn)` inside a transaction shared with other callers; returns its result once committed."""
        job = _Job(fn)
        with self._lock:
            self._waiting.append(job)
            lead = not self._leading
            self._leading = True
        if not lead:
            if not job.done.wait(WAIT_SECONDS):
                raise sa_exc.TimeoutError("group commit: no answer from the transaction in time")
            if not job.lead:
                return _answer(job)
        self._lead(engine)
        return _answer(job)

    def _lead(self, engine: Engine) -> None:
        with self._lock:
            batch, self._waiting = self._waiting[: self._max_jobs], self._waiting[self._max_jobs :]
        try:
            with engine.begin() as conn:
                for job in batch:
                    job.result = job.fn(conn)
        except BaseException as error:  # the whole transaction rolled back: every job in it failed
            for job in batch:
                job.error = error
        finally:
            with self._lock:
                self.transactions += 1
                self.jobs += len(batch)
                # Hand over before answering: a caller that came meanwhile leads the next transaction.
                if self._waiting:
                    successor = self._waiting[0]
                    successor.lead = True
                    successor.done.set()
                else:
                    self._leading = False
            for job in batch:
                job.lead = False
                job.done.set()


def _answer(job: _Job) -> Any:
    if job.error is not None:
        raise job.error
    return job.result
