"""Open311 GeoReport v2 service requests (`requests.json`) → complaint lifecycle events."""

from __future__ import annotations

import csv
import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlencode

from data_sources.core.settings import get_settings
from data_sources.events import DEADLINE_HORIZON, ComplaintEvent
from data_sources.plausible import clean_text
from data_sources.reference import CSV_DIR, load_files
from pipeline.ingest.common import Rejected, Sink, run
from pipeline.ingest.fetch import Document, SourceError, http_get, poll
from pipeline.ingest.geo import get_geo

# The GeoReport v2 response fields. Only these are ever copied into a dead letter: a feed's extra fields may
# carry the reporter's name, e-mail or phone, and the reporter's identity must never reach this system.
STANDARD_FIELDS = (
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
)  # fmt: skip
# An unmapped service still becomes a complaint (counted in the summary): losing a citizen's report to a
# missing mapping row would be worse than filing it under the most general category.
FALLBACK_CATEGORY = "urban_order"
_ID_CHARS = re.compile(r"[^A-Za-z0-9._\-]")
MULTI_LINE_FIELDS = frozenset({"description", "status_notes"})


def norm(text: str) -> str:
    """Case-, accent- and spacing-insensitive key: "Sở  Xây dựng " and "so xay dung" are the same agency."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def norm_code(code: str) -> str:
    """Service codes compare without leading zeros ("007" = "7") and case."""
    code = code.strip().casefold()
    return (code.lstrip("0") or "0") if code.isdigit() else code


@dataclass(frozen=True)
class Mappings:
    """service_code/service_name → our category; agency_responsible → our agency_code."""

    codes: dict[str, str]
    names: dict[str, str]
    agencies: dict[str, str]


@lru_cache(maxsize=1)
def mappings() -> Mappings:
    """Read the mapping tables in data_sources/reference/ (edit them to connect another Open311 server)."""
    codes, names, agencies = {}, {}, {}
    with (CSV_DIR / "open311_services.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            codes.setdefault(norm_code(row["service_code"]), row["category"])
            names[norm(row["service_name"])] = row["category"]
    for a in load_files()["agencies"]:  # our own codes and names match without an alias row
        for key in (a["agency_code"], a["name"], a["name_en"]):
            agencies[norm(key)] = a["agency_code"]
    with (CSV_DIR / "open311_agencies.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            agencies[norm(row["agency_responsible"])] = row["agency_code"]
    return Mappings(codes, names, agencies)


def records(doc: Document) -> Iterator[tuple[str, str, dict | Rejected]]:
    """(position, PII-free raw, request dict or Rejected) per request; SourceError if not a requests.json."""
    try:
        body = json.loads(doc.data.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise SourceError(f"{doc.label}: not JSON ({exc})") from None
    if isinstance(body, dict):  # some servers wrap the list: {"service_requests": [...]}
        body = body.get("service_requests", body.get("requests"))
    if not isinstance(body, list):
        raise SourceError(f"{doc.label}: not a GeoReport v2 requests list")
    for i, item in enumerate(body):
        position = f"{doc.label}#{i}"
        if not isinstance(item, dict):
            yield position, json.dumps(item)[:2000], Rejected("request is not a JSON object")
            continue
        raw = json.dumps({k: item[k] for k in STANDARD_FIELDS if k in item}, ensure_ascii=False, default=str)
        yield position, raw, item


def escape_id(rid: str) -> str:
    """Our ids allow A–Z a–z 0–9 . _ : - only; other characters become :XX (UTF-8 hex), reversibly.

    Leading zeros of numeric ids are dropped before this, so 000638344 (text) and 638344 (number) are one request.
    """
    return _ID_CHARS.sub(lambda m: "".join(f":{b:02X}" for b in m.group().encode()), rid)


def text(item: dict, key: str) -> str | Rejected:
    """A text field tolerating numbers, null, absence and stray spaces."""
    value = item.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return Rejected(f"{key} is not text")
    # Real feeds carry stray control and bidi characters (copy-paste, old clients): the contract refuses them,
    # so the adapter removes them rather than lose a citizen's report; newlines stay in the free-text fields.
    return clean_text(str(value), multi=key in MULTI_LINE_FIELDS)


def when(item: dict, key: str) -> datetime | None | Rejected:
    """An ISO 8601 time with a zone (a naive one would shift history by seven hours), or None when absent."""
    value = text(item, key)
    if isinstance(value, Rejected) or not value:
        return value or None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return Rejected(f"{key} is not ISO 8601", repr(value[:40]))
    if ts.tzinfo is None:
        return Rejected(f"{key} has no time zone", repr(value[:40]))
    return ts


def coordinate(item: dict, key: str) -> float | None | Rejected:
    value = text(item, key)
    if isinstance(value, Rejected) or not value:
        return value or None
    try:
        number = float(value)  # "016.4698 " included
    except ValueError:
        return Rejected("lat/long is not a number", repr(value[:40]))
    return number if math.isfinite(number) else Rejected("lat/long is not a number", repr(value[:40]))


class Converter:
    """One request → one complaint event; remembers the newest updated_datetime for polling."""

    def __init__(self, sink: Sink) -> None:
        self.sink, self.m = sink, mappings()
        self.newest: datetime | None = None

    def __call__(self, item: dict) -> ComplaintEvent | Rejected:
        values = {k: text(item, k) for k in ("service_request_id", "status", "service_code", "service_name")}
        values |= {k: text(item, k) for k in ("description", "agency_responsible", "status_notes")}
        times = {k: when(item, k) for k in ("requested_datetime", "updated_datetime", "expected_datetime")}
        lat, lon = coordinate(item, "lat"), coordinate(item, "long")
        for found in (*values.values(), *times.values(), lat, lon):
            if isinstance(found, Rejected):
                return found
        rid = values["service_request_id"]
        if not rid:
            return Rejected("missing service_request_id")
        rid = (str(int(rid)) if rid.isascii() and rid.isdigit() else escape_id(rid)) if len(rid) <= 100 else rid
        if len(rid) > 100:  # ids (and event ids built from them) stay within the contract's 128 characters
            return Rejected("service_request_id too long", f"{len(rid)} characters")
        status = values["status"].lower()
        if status not in ("open", "closed"):
            return Rejected("status is not open/closed", repr(values["status"][:40]))
        received = times["requested_datetime"]
        if received is None:
            return Rejected("missing requested_datetime")
        ts = times["updated_datetime"] or received  # never updated: the request itself is the latest step
        if lat is None or lon is None:
            return Rejected("no location (lat/long)")
        unit = get_geo().unit_at(lat, lon)
        if unit is None:
            return Rejected("location outside Huế", f"{lat}, {lon}")
        notes: list[str] = []
        agency = self._agency(values["agency_responsible"], notes)
        description = values["description"]
        if len(description) > 4000:
            notes.append("description cut to 4000 characters")
            description = description[:3999] + "…"
        title = " ".join((values["service_name"] or description or f"Open311 {rid}").split())
        deadline = times["expected_datetime"]
        if deadline is not None and not received <= deadline <= received + DEADLINE_HORIZON:
            # The deadline is optional: one outside the contract's horizon is dropped, the report is kept.
            notes.append("expected_datetime outside requested_datetime + 366 days → no deadline")
            deadline = None
        event = ComplaintEvent(
            event_id=f"o311-{rid}-{ts.astimezone(UTC):%Y%m%dT%H%M%S}Z",
            ts=ts,
            complaint_id=f"311-{rid}",
            status="resolved" if status == "closed" else "dispatched" if agency else "received",
            category=self._category(values["service_code"], values["service_name"], notes),
            unit_code=unit,
            lat=lat,
            lon=lon,
            channel=get_settings().open311_channel,
            title=title if len(title) <= 200 else title[:199] + "…",
            description=description,
            received_at=received,
            agency_code=agency,
            deadline=deadline,
            result=(values["status_notes"][:4000] or None) if status == "closed" else None,
        )
        for note in notes:  # only once the event is valid: notes describe accepted records
            self.sink.note(note)
        if self.newest is None or ts > self.newest:
            self.newest = ts
        return event

    def _category(self, code: str, name: str, notes: list[str]) -> str:
        found = self.m.codes.get(norm_code(code)) if code else None
        found = found or self.m.names.get(norm(name))
        if found is None:
            notes.append(f"service unmapped → {FALLBACK_CATEGORY}")
        return found or FALLBACK_CATEGORY

    def _agency(self, name: str, notes: list[str]) -> str | None:
        if not name:
            return None
        found = self.m.agencies.get(norm(name))
        if found is None:
            notes.append("agency_responsible unmapped → no agency")
        return found


def ingest(doc: Document, sink: Sink, converter: Converter | None = None) -> None:
    """Ingest one requests.json document."""
    run(records(doc), converter or Converter(sink), sink)


def follow(sink: Sink, *, url: str | None, stop: threading.Event, max_polls: int | None = None) -> None:
    """Poll requests.json for requests updated since the newest one seen (`updated_after`, an extension many
    GeoReport servers support); servers that ignore it resend everything, which the duplicate check absorbs."""
    s = get_settings()
    url = url or s.open311_url
    if not url:
        raise SourceError("OPEN311_URL is not set (and no URL given)")
    converter = Converter(sink)
    converter.newest = datetime.now(UTC) - timedelta(hours=s.open311_lookback_hours)

    def step() -> None:
        # A minute of overlap: servers differ on > or >=, and clocks on the two sides drift; repeats are duplicates.
        since = (converter.newest - timedelta(minutes=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = urlencode({"updated_after": since})
        ingest(http_get(f"{url}{'&' if '?' in url else '?'}{query}"), sink, converter)

    poll(step, interval_s=s.open311_poll_seconds, stop=stop, max_polls=max_polls, what="Open311 poll", alive=sink.alive)
