"""Shared helpers for the ingest unit tests: a dry-run sink and the accounting invariant."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, settings

from pipeline.ingest.common import UNEXPECTED, Sink
from pipeline.ingest.fetch import Document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
OBSERVED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class Capture(Sink):
    """A sink that publishes nothing (no Redis) but keeps what it would have published and dead-lettered."""

    def __init__(self, source: str) -> None:
        super().__init__(source=source, r=None)
        self.events: list = []
        self.letters: list[tuple[str, str]] = []

    def _write(self, fresh, letters) -> None:
        self.events += [event for event, _ in fresh]
        self.letters += [(entry.entry_id, reason) for entry, reason in letters]


def doc(data: bytes | str, label: str = "test") -> Document:
    return Document(data.encode() if isinstance(data, str) else data, label, OBSERVED)


def fixture(name: str) -> Document:
    return Document((FIXTURES / name).read_bytes(), name, OBSERVED)


def assert_accounted(sink: Sink, records: int | None = None) -> None:
    """Every record read ended in exactly one outcome, and no converter bug was hit."""
    s = sink.summary
    assert s.read == s.accepted + s.duplicate + s.rejected_total, s.as_dict()
    if records is not None:
        assert s.read == records, s.as_dict()
    assert UNEXPECTED not in s.rejected, s.as_dict()
    assert len(sink.letters) == sum(n for r, n in s.rejected.items() if r not in s.not_dead_lettered)


# "Thousands of records" come from many records per example (150–250), not from many slow examples.
BATCH = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# Hand-picked troublemakers mixed into seeded random garbage: empty, spaces, NUL, huge, NaN, other scripts.
NASTY = ["", " ", "\x00", "nan", "NaN", "inf", "-inf", "1e309", "-0", "0x1F", "9" * 400, "null", "None", "true",
         "đ", "Ð", "🔥", "\u202e", "\ufeff", "١٢٣", "2026-13-45", "24:00", "٣:٤٥",
         "'", '"', "\\", "\t", "075A"]  # fmt: skip


def fuzz_text(rng: random.Random, max_len: int = 12) -> str:
    """A short nasty string: a troublemaker, random unicode, or a mangled digit run."""
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(NASTY)
    if roll < 0.7:
        return "".join(
            chr(rng.choice([rng.randint(32, 126), rng.randint(0xA0, 0x2FFF)])) for _ in range(rng.randint(0, max_len))
        )
    return str(rng.randint(-(10**6), 10**6)) + rng.choice(["", ".", ".5", "e3", " "])


def fuzz_json(rng: random.Random, depth: int = 0):
    """Any JSON value (Python's json also writes NaN and Infinity, as sloppy producers do)."""
    makers = [
        lambda: None,
        lambda: rng.random() < 0.5,
        lambda: rng.randint(-(2**70), 2**70),
        lambda: rng.choice([0.0, -1.5, 1e308, float("nan"), float("inf")]),
        lambda: fuzz_text(rng),
        lambda: rng.uniform(-200, 200),
        lambda: fuzz_text(rng, 40),
        lambda: [fuzz_json(rng, depth + 1) for _ in range(rng.randint(0, 3))],
        lambda: {fuzz_text(rng, 6): fuzz_json(rng, depth + 1) for _ in range(rng.randint(0, 3))},
        lambda: {"id": fuzz_text(rng)},
    ]
    return makers[rng.randint(0, 9 if depth < 2 else 6)]()


def mutate(rng: random.Random, record: dict, *, rate: float = 0.3) -> dict:
    """A copy of a valid record with some fields replaced by garbage, dropped, or extra fields added."""
    out = {}
    for key, value in record.items():
        roll = rng.random()
        if roll < rate / 3:
            continue
        out[key] = fuzz_json(rng) if roll < rate else value
    if rng.random() < 0.2:
        out[fuzz_text(rng, 8)] = fuzz_json(rng)
    return out
