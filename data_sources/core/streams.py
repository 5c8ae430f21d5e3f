"""Redis Streams access: key names, publishing, cursor reads and the dead-letter stream."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import redis

from data_sources.core.settings import get_settings
from data_sources.events import DEAD_LETTER, KIND_STREAM, STREAMS, to_json

# Entries carry the event as JSON in this one field (docs/events.md).
DATA_FIELD = b"data"


@dataclass(frozen=True)
class Keys:
    """Every Redis key the app uses, under one prefix so deployments and test sessions never collide."""

    prefix: str

    def stream(self, name: str) -> str:
        return f"{self.prefix}stream:{name}"

    def state(self, name: str) -> str:
        return f"{self.prefix}now:{name}"

    def state_ts(self, name: str) -> str:
        # Parallel hash of event times, so an older event never overwrites a newer current state.
        return f"{self.prefix}now:{name}:ts"

    def state_version(self, name: str) -> str:
        # Which event id (and version) each current-state field holds, for the one-row-per-event rule.
        return f"{self.prefix}now:{name}:ver"

    def seen(self, event_id: str) -> str:
        # The stream entry that first carried an event id, and its newest version (data_sources/once.py).
        return f"{self.prefix}seen:{event_id}"

    @property
    def incident_changes(self) -> str:
        # One entry (field incident_id) per committed change of an incident, by fusion or by a person; pages that
        # show incidents follow it. Not an event stream: never archived, never a source of liveness.
        return f"{self.prefix}incidents:changes"

    @property
    def implausible_counts(self) -> str:
        # Rows readers skipped because a writer stored what the contract refuses (data_sources/plausible.py).
        return f"{self.prefix}implausible:counts"

    @property
    def dead_letter_counts(self) -> str:
        return f"{self.prefix}deadletter:counts"

    def pattern(self) -> str:
        return f"{self.prefix}*"


def keys() -> Keys:
    """Keys for the configured prefix."""
    return Keys(get_settings().redis_prefix)


@dataclass(frozen=True)
class Entry:
    """One stream entry as read back: Redis id, raw JSON payload."""

    stream: str
    entry_id: str
    data: bytes | None


def publish(r: redis.Redis, events: Iterable, *, k: Keys | None = None, maxlen: int | None = None) -> list[str]:
    """XADD validated events to their streams in one pipeline round trip; returns the entry ids."""
    k = k or keys()
    maxlen = maxlen or get_settings().stream_maxlen
    pipe = r.pipeline(transaction=False)
    n = 0
    for event in events:
        pipe.xadd(k.stream(KIND_STREAM[event.kind]), {DATA_FIELD: to_json(event)}, maxlen=maxlen, approximate=True)
        n += 1
    if not n:
        return []
    return [i.decode() if isinstance(i, bytes) else i for i in pipe.execute()]


def publish_raw(r: redis.Redis, stream: str, payloads: Sequence[bytes | str], *, k: Keys | None = None) -> list[str]:
    """XADD payloads as an outside producer would, unvalidated (ingest adapters and hostile-input tests)."""
    k = k or keys()
    maxlen = get_settings().stream_maxlen
    pipe = r.pipeline(transaction=False)
    for payload in payloads:
        pipe.xadd(k.stream(stream), {DATA_FIELD: payload}, maxlen=maxlen, approximate=True)
    return [i.decode() for i in pipe.execute()]


def dead_letter(r: redis.Redis | redis.client.Pipeline, entry: Entry, reason: str, *, k: Keys | None = None) -> None:
    """Keep a rejected entry whole, with where it came from and why, and count it per stream."""
    k = k or keys()
    r.xadd(
        k.stream(DEAD_LETTER),
        {
            b"stream": entry.stream,
            b"entry_id": entry.entry_id,
            b"reason": reason[:1000],
            DATA_FIELD: entry.data if entry.data is not None else b"",
            b"at": f"{time.time():.3f}",
        },
        maxlen=get_settings().stream_maxlen,
        approximate=True,
    )
    r.hincrby(k.dead_letter_counts, entry.stream, 1)


def entry_from(stream: str, entry_id: bytes | str, fields: dict) -> Entry:
    """Build an Entry from a raw XREAD/XRANGE row (fields may lack `data` in a malformed entry)."""
    eid = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return Entry(stream, eid, fields.get(DATA_FIELD))


def read_after(
    r: redis.Redis, stream: str, cursor: str, *, count: int = 500, k: Keys | None = None
) -> tuple[list[Entry], str]:
    """Entries strictly after `cursor` ("0" for the beginning, "$"-like cursors are not accepted)."""
    k = k or keys()
    rows = r.xrange(k.stream(stream), min=f"({cursor}" if cursor != "0" else "-", count=count)
    entries = [entry_from(stream, eid, fields) for eid, fields in rows]
    return entries, (entries[-1].entry_id if entries else cursor)


def latest(r: redis.Redis, stream: str, *, count: int = 50, k: Keys | None = None) -> list[Entry]:
    """Newest entries first."""
    k = k or keys()
    return [entry_from(stream, eid, fields) for eid, fields in r.xrevrange(k.stream(stream), count=count)]


def last_id(r: redis.Redis, stream: str, *, k: Keys | None = None) -> str:
    """Id of the newest entry, or "0" when the stream is empty: a starting cursor for live views."""
    k = k or keys()
    rows = r.xrevrange(k.stream(stream), count=1)
    return rows[0][0].decode() if rows else "0"


# A stream entry id as Redis writes it ("<ms>-<seq>"), or "0" for "from the start": what a page's cursor may hold.
_ENTRY_ID = re.compile(r"\d{1,20}(-\d{1,20})?")


def cursor_ok(ids: Mapping[str, str]) -> bool:
    """Whether a cursor a page sent back (stream name -> entry id) holds only entry ids; XRANGE refuses others."""
    return len(ids) <= 16 and all(isinstance(v, str) and _ENTRY_ID.fullmatch(v) for v in ids.values())


def entry_age_seconds(entry_id: str, now: float | None = None) -> float:
    """Age of an entry from the millisecond clock Redis put in its id."""
    now = time.time() if now is None else now
    return max(0.0, now - int(entry_id.split("-", 1)[0]) / 1000.0)


def stream_stats(r: redis.Redis, *, k: Keys | None = None) -> dict[str, dict]:
    """Per stream: length and newest-entry age in seconds (None when empty), in one round trip."""
    k = k or keys()
    names = [*STREAMS, DEAD_LETTER]
    pipe = r.pipeline(transaction=False)
    for name in names:
        pipe.xlen(k.stream(name))
        pipe.xrevrange(k.stream(name), count=1)
    results = pipe.execute()
    now = time.time()
    stats = {}
    for i, name in enumerate(names):
        length, newest = results[2 * i], results[2 * i + 1]
        newest_id = newest[0][0].decode() if newest else None
        stats[name] = {
            "length": length,
            "newest_id": newest_id,
            "age_seconds": round(entry_age_seconds(newest_id, now), 3) if newest_id else None,
        }
    return stats
