"""Reading a source (file, URL or stdin) and the bounded polling loop every HTTP follow mode shares."""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

log = logging.getLogger("pipeline.ingest")

USER_AGENT = "hue-ioc-ingest/1"
# Feeds this size are a bug or an attack, not a day of data; refuse instead of exhausting memory.
MAX_BYTES = 200 * 1024 * 1024


class SourceError(Exception):
    """The source as a whole cannot be read (missing file, HTTP error, not the expected format)."""


@dataclass(frozen=True)
class Document:
    """One fetched source: its bytes, a label for positions, and when it was observed (for feeds without times)."""

    data: bytes
    label: str
    observed_at: datetime


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read_source(source: str, *, timeout: float = 30.0) -> Document:
    """Read a path, an http(s) URL or "-" (stdin); raise SourceError when that is impossible."""
    if source == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise SourceError(f"stdin is larger than {MAX_BYTES} bytes")
        return Document(data, "stdin", datetime.now(UTC).replace(microsecond=0))
    if is_url(source):
        return http_get(source, timeout=timeout)
    path = Path(source)
    try:
        data = path.read_bytes()
        # A file's own time is the observation time of feeds that carry none (TomTom), so re-ingesting the
        # same file yields the same event ids.
        mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(microsecond=0)
    except OSError as exc:
        raise SourceError(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_BYTES:
        raise SourceError(f"{source} is larger than {MAX_BYTES} bytes")
    return Document(data, path.name, mtime)


def http_get(url: str, *, timeout: float = 30.0, headers: dict[str, str] | None = None) -> Document:
    """GET a URL; the server's Date header (else now) is the observation time."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (operator-given URL)
            data = response.read(MAX_BYTES + 1)
            date = response.headers.get("Date")
    except urllib.error.HTTPError as exc:
        raise SourceError(f"{redact(url)}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise SourceError(f"{redact(url)}: {getattr(exc, 'reason', exc)}") from None
    if len(data) > MAX_BYTES:
        raise SourceError(f"{redact(url)}: response larger than {MAX_BYTES} bytes")
    observed = datetime.now(UTC)
    if date:
        with contextlib.suppress(TypeError, ValueError):  # a malformed Date header: our clock will do
            observed = parsedate_to_datetime(date).astimezone(UTC)
    return Document(data, redact(url), observed.replace(microsecond=0))


def redact(url: str) -> str:
    """The URL without API keys, for logs, summaries and dead-letter positions."""
    url = re.sub(r"(?i)((?:key|apikey|api_key|map_key|token)=)[^&]+", r"\1***", url)
    # FIRMS puts its MAP_KEY in the path: /api/area/csv/<MAP_KEY>/...
    return re.sub(r"(/api/area/csv/)[^/]+", r"\1***", url)


def poll(
    step: Callable[[], None],
    *,
    interval_s: float,
    stop: threading.Event,
    max_polls: int | None = None,
    what: str = "poll",
    alive: Callable[..., None] | None = None,
) -> int:
    """Call `step` every interval until stopped; a failing poll is logged and retried with backoff, never fatal.

    A follower is a daemon: a source that is down for an hour must not need a human to restart it.
    After each poll `alive(ok, detail, ttl=...)` reports the source reachable or not (data_sources.liveness),
    valid until two waits after the next poll is due. Returns how many polls succeeded.
    """
    ok = polls = failures = 0
    while not stop.is_set() and (max_polls is None or polls < max_polls):
        polls += 1
        started = time.monotonic()
        try:
            step()
            ok += 1
            if failures:
                log.info("%s recovered after %d failed polls", what, failures)
            failures = 0
            wait = interval_s
            if alive is not None:
                alive(True, f"{what} ok", ttl=2 * wait + 60)
        except SourceError as exc:
            failures += 1
            wait = min(interval_s * 2**failures, max(interval_s, 900.0))
            log.warning("%s failed (%s); next try in %.0f s", what, exc, wait)
            if alive is not None:
                alive(False, f"{what} failed: {exc}", ttl=2 * wait + 60)
        if max_polls is not None and polls >= max_polls:
            break
        stop.wait(max(0.0, wait - (time.monotonic() - started)))
    return ok
