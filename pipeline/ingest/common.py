"""Per-record accounting for every feed: validate, de-duplicate, publish, dead-letter, and summarise."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis
from pydantic import ValidationError

from data_sources import liveness
from data_sources.core.settings import get_settings
from data_sources.core.streams import Entry, Keys, dead_letter, keys, publish
from data_sources.events import KIND_STREAM, InvalidEvent, parse_event, to_json
from data_sources.plausible import explain
from pipeline.facts import Refs, check_refs

log = logging.getLogger("pipeline.ingest")

UNEXPECTED = "unexpected error"
# The stream each adapter feeds, for its liveness reports (data_sources.liveness).
SOURCE_STREAM = {"firms": "fire", "open311": "complaint", "frigate": "camera", "tomtom": "traffic", "here": "traffic"}


@dataclass(frozen=True)
class Rejected:
    """Why one source record produced no event: `reason` is a category (counted), `detail` the specifics."""

    reason: str
    detail: str = ""
    dead_letter: bool = True

    @property
    def line(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


def dropped(reason: str, detail: str = "") -> Rejected:
    """A record outside what we ingest (outside Huế, not an alert): counted as rejected, not dead-lettered.

    These are policy, not data problems: a country-wide FIRMS file would otherwise flood the dead-letter
    stream with fires in other provinces, and Frigate with every passer-by.
    """
    return Rejected(reason, detail, dead_letter=False)


def describe(exc: ValidationError) -> str:
    """One line naming the first contract violations (same shape as the archiver's dead-letter reasons)."""
    parts = []
    for err in exc.errors(include_url=False)[:2]:
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {explain(err)}")  # explained from the value, never echoing it
    return "; ".join(parts)


@dataclass
class Summary:
    """Every record read ends in exactly one of: accepted, duplicate, rejected (by reason)."""

    source: str
    read: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: Counter = field(default_factory=Counter)
    not_dead_lettered: set = field(default_factory=set)
    notes: Counter = field(default_factory=Counter)  # accepted-with-a-caveat counts (e.g. agency unmapped)

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "read": self.read,
            "accepted": self.accepted,
            "duplicate": self.duplicate,
            "rejected": self.rejected_total,
            "rejected_by_reason": dict(self.rejected.most_common()),
            "dropped_reasons": sorted(self.not_dead_lettered),
            "notes": dict(self.notes.most_common()),
        }

    def render(self) -> str:
        lines = [
            f"{self.source}: read {self.read}, accepted {self.accepted}, duplicate {self.duplicate}, "
            f"rejected {self.rejected_total}"
        ]
        for reason, n in self.rejected.most_common():
            where = "dropped, not dead-lettered" if reason in self.not_dead_lettered else "dead-lettered"
            lines.append(f"  rejected {n:>6}  {reason} ({where})")
        for note, n in self.notes.most_common():
            lines.append(f"  note     {n:>6}  {note}")
        return "\n".join(lines)


def fingerprint(event) -> str:
    """What makes a re-sent event a duplicate rather than an update of the same event id.

    A versioned event (camera alerts carry `updated_at`) gets `@<version>` appended: see supersedes().
    """
    if event.kind == "camera_alert":
        # A Frigate update storm changes the score on every message; only a change that matters to the
        # operator (another plate, a face name, a higher severity) republishes the alert.
        body = [event.camera_id, event.alert_type, event.severity, event.plate, event.person_name, event.watchlist]
    elif event.kind == "traffic_reading":
        body = []  # one reading per segment and time: the first one wins
    else:
        body = event.model_dump(mode="json", exclude_none=True)
    digest = hashlib.sha1(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]
    version = event.__dict__.get("updated_at")
    return digest if version is None else f"{digest}@{version.timestamp():.6f}"


def supersedes(new: str, known: str) -> bool:
    """Whether an event with fingerprint `new` must be published after one with `known` (same event id).

    Only a change that matters does; and an older version never follows a newer one, so re-ingesting an
    old capture cannot move the live alert backwards (PostgreSQL keeps the newest version regardless).
    """
    new_digest, _, new_version = new.partition("@")
    known_digest, _, known_version = known.partition("@")
    if new_digest == known_digest:
        return False
    return not (new_version and known_version) or float(new_version) > float(known_version)


class Sink:
    """Collects each record's outcome and, per batch, publishes new events and dead-letters rejected records.

    Duplicates are found by event id: first in this run's memory, then in Redis keys `ingest:seen:…` that
    outlive the run (TTL `ingest_seen_days`), so re-ingesting a file publishes nothing twice. The archiver's
    idempotent insert stays the final guard (a crash between publish and marking seen costs nothing).
    """

    def __init__(
        self,
        *,
        source: str,
        r: redis.Redis | None,
        k: Keys | None = None,
        refs: Refs | None = None,
        batch: int = 500,
        memory: int = 200_000,
    ) -> None:
        self.source = source
        self.summary = Summary(source)
        self.r, self.k = r, k or keys()
        self.refs = refs or Refs.from_files()
        self.batch, self.memory = batch, memory
        self.ttl_s = int(get_settings().ingest_seen_days * 86400)
        self._seen: OrderedDict[str, str] = OrderedDict()  # event_id -> fingerprint, bounded for follow modes
        self._pending: list[tuple[Any, str]] = []
        self._letters: list[tuple[Entry, str]] = []

    def offer(self, position: str, raw: bytes | str, outcome) -> None:
        """Account for one record: an event to publish, or a Rejected."""
        self.summary.read += 1
        if not isinstance(outcome, Rejected):
            try:
                check_refs(outcome, self.refs)
            except InvalidEvent as exc:
                outcome = Rejected("unknown reference id", exc.reason)
        if not isinstance(outcome, Rejected):
            try:  # as the archiver will read it: the wire's rules (a time ahead of the clock) hold here too
                parse_event(KIND_STREAM[outcome.kind], to_json(outcome))
            except InvalidEvent as exc:
                outcome = Rejected("violates the event contract", exc.reason)
        if isinstance(outcome, Rejected):
            self.reject(position, raw, outcome)
        else:
            self._pending.append((outcome, fingerprint(outcome)))
        if len(self._pending) + len(self._letters) >= self.batch:
            self.flush()

    def reject(self, position: str, raw: bytes | str, rejected: Rejected) -> None:
        self.summary.rejected[rejected.reason] += 1
        if not rejected.dead_letter:
            self.summary.not_dead_lettered.add(rejected.reason)
            return
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "replace")
        self._letters.append((Entry(f"ingest:{self.source}", position, data), rejected.line))

    def note(self, what: str) -> None:
        self.summary.notes[what] += 1

    def alive(self, ok: bool, detail: str = "", *, ttl: float) -> None:
        """Report this adapter's own liveness (its source reachable or not), valid `ttl` seconds; apart from data."""
        stream = SOURCE_STREAM.get(self.source)
        if self.r is not None and stream is not None:
            liveness.report(self.r, [stream], producer=self.source, ok=ok, detail=detail, ttl=ttl, k=self.k)

    def flush(self) -> None:
        """Publish what is new, mark it seen and write the dead letters (three round trips per batch)."""
        pending, self._pending = self._pending, []
        letters, self._letters = self._letters, []
        stored = self._stored_fingerprints([e.event_id for e, _ in pending if e.event_id not in self._seen])
        fresh = []
        for event, fp in pending:
            known = self._seen.get(event.event_id, stored.get(event.event_id))
            if known is not None and not supersedes(fp, known):
                self.summary.duplicate += 1
                continue
            self._remember(event.event_id, fp)
            fresh.append((event, fp))
        self.summary.accepted += len(fresh)
        if fresh or letters:
            self._write(fresh, letters)

    def _write(self, fresh: list[tuple[Any, str]], letters: list[tuple[Entry, str]]) -> None:
        if self.r is None:  # dry run: validate and count only
            return
        if fresh:
            publish(self.r, [e for e, _ in fresh], k=self.k)
        # Marked seen only after the XADDs went through: a crash in between re-publishes, which the
        # archiver's idempotent insert absorbs, instead of losing events.
        pipe = self.r.pipeline(transaction=False)
        for event, fp in fresh:
            pipe.set(self._seen_key(event.event_id), fp, ex=self.ttl_s)
        for entry, reason in letters:
            dead_letter(pipe, entry, reason, k=self.k)
        pipe.execute()

    def _stored_fingerprints(self, ids: list[str]) -> dict[str, str]:
        if self.r is None or not ids:
            return {}
        ids = list(dict.fromkeys(ids))
        values = self.r.mget([self._seen_key(i) for i in ids])
        return {i: v.decode() for i, v in zip(ids, values, strict=True) if v is not None}

    def _remember(self, event_id: str, fp: str) -> None:
        self._seen[event_id] = fp
        self._seen.move_to_end(event_id)
        while len(self._seen) > self.memory:
            self._seen.popitem(last=False)

    def _seen_key(self, event_id: str) -> str:
        # Kept here with the only code that uses it; streams.Keys owns the keys shared between processes.
        return f"{self.k.prefix}ingest:seen:{self.source}:{event_id}"


Convert = Callable[[Any], Any]


def run(records: Iterable[tuple[str, bytes | str, Any]], convert: Convert, sink: Sink) -> None:
    """Feed (position, raw, parsed) records through `convert` into the sink; no record can stop the others."""
    for position, raw, parsed in records:
        sink.offer(position, raw, safe_convert(convert, parsed))
    sink.flush()


def safe_convert(convert: Convert, parsed: Any):
    """The converter's outcome, with contract violations and parser bugs turned into rejections."""
    if isinstance(parsed, Rejected):
        return parsed
    try:
        return convert(parsed)
    except ValidationError as exc:
        return Rejected("violates the event contract", describe(exc))
    except Exception as exc:  # a converter bug must cost one record, not the feed; the tests keep this at zero
        log.warning("converter failed on a record: %s: %s", type(exc).__name__, exc)
        return Rejected(UNEXPECTED, f"{type(exc).__name__}: {exc}")
