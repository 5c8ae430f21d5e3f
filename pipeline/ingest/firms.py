"""NASA FIRMS active-fire CSV (VIIRS 375 m and MODIS, area or country API) → hotspot events."""

from __future__ import annotations

import csv
import math
import re
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime

from data_sources.core.settings import get_settings
from data_sources.events import Hotspot
from pipeline.ingest.common import Rejected, Sink, dropped, run
from pipeline.ingest.fetch import Document, SourceError, http_get, poll
from pipeline.ingest.geo import get_geo

# Huế's bounding box (DOMAIN.md) as the area API wants it: west,south,east,north.
HUE_BBOX = (107.057, 15.995, 108.195, 16.743)
REQUIRED = ("latitude", "longitude", "acq_date", "acq_time", "satellite", "confidence")

# Satellite codes as FIRMS writes them in NRT, standard-processing and archive files.
VIIRS_SATELLITES = {
    **dict.fromkeys(("N", "NPP", "SNPP", "SUOMI NPP"), "VIIRS_SNPP"),
    **dict.fromkeys(("1", "N20", "NOAA-20", "NOAA20", "J1"), "VIIRS_NOAA20"),
    **dict.fromkeys(("2", "N21", "NOAA-21", "NOAA21", "J2"), "VIIRS_NOAA21"),
}
MODIS_SATELLITES = {"TERRA": "MODIS_TERRA", "T": "MODIS_TERRA", "AQUA": "MODIS_AQUA", "A": "MODIS_AQUA"}
VIIRS_CONFIDENCE = {"l": "low", "n": "nominal", "h": "high", "low": "low", "nominal": "nominal", "high": "high"}
_TIME = re.compile(r"^(\d{1,4}|\d{1,2}:\d{2})$")


def instrument_of(header: list[str]) -> str | None:
    """VIIRS or MODIS from the brightness column the file carries (files without `instrument` exist)."""
    if "bright_ti4" in header:
        return "VIIRS"
    if "brightness" in header:
        return "MODIS"
    return None


def records(doc: Document) -> Iterator[tuple[str, str, dict | Rejected]]:
    """(position, raw line, row dict or Rejected) per data line; SourceError if this is not a FIRMS CSV."""
    text = doc.data.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise SourceError(f"{doc.label}: empty, not a FIRMS CSV")
    header = [h.strip().lower() for h in next(csv.reader([lines[0]]))]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        # FIRMS answers a bad MAP_KEY or an exhausted quota with a one-line message instead of a CSV.
        raise SourceError(f"{doc.label}: not a FIRMS CSV (first line {lines[0][:80]!r}; missing {', '.join(missing)})")
    default_instrument = instrument_of(header)
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        position = f"{doc.label}:{number}"
        try:
            row = next(csv.reader([line]))
        except csv.Error as exc:
            yield position, line, Rejected("unreadable CSV line", str(exc))
            continue
        if len(row) != len(header):
            yield position, line, Rejected("wrong number of fields", f"{len(row)} fields, header has {len(header)}")
            continue
        fields = dict(zip(header, (v.strip() for v in row), strict=True))
        fields.setdefault("instrument", default_instrument or "")
        yield position, line, fields


def convert(row: dict) -> Hotspot | Rejected:
    """One FIRMS row → a hotspot in Huế, or why not."""
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except ValueError:
        return Rejected("latitude/longitude not a number", f"{row['latitude']!r}, {row['longitude']!r}")
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return Rejected("latitude/longitude not a number", f"{lat}, {lon}")
    ts = acquired_at(row["acq_date"], row["acq_time"])
    if isinstance(ts, Rejected):
        return ts
    source = source_of(row["satellite"], row.get("instrument") or "")
    if isinstance(source, Rejected):
        return source
    confidence = confidence_of(row["confidence"], modis=source.startswith("MODIS"))
    if isinstance(confidence, Rejected):
        return confidence
    frp = frp_of(row.get("frp", ""))
    if isinstance(frp, Rejected):
        return frp
    geo = get_geo()
    unit = geo.unit_at(lat, lon)
    if unit is None:
        return dropped("outside Huế")
    return Hotspot(
        event_id=f"firms-{source}-{lat:.5f}-{lon:.5f}-{ts:%Y%m%d%H%M}",
        ts=ts,
        lat=lat,
        lon=lon,
        confidence=confidence,
        frp=frp,
        source=source,
        unit_code=unit,
        area_id=geo.area_at(lat, lon),
    )


def acquired_at(acq_date: str, acq_time: str) -> datetime | Rejected:
    """acq_date + acq_time (UTC HHMM that may have lost its leading zeros: 748 = 07:48)."""
    try:
        day = date.fromisoformat(acq_date)
    except ValueError:
        return Rejected("acq_date is not a date", repr(acq_date[:40]))
    if not _TIME.match(acq_time):
        return Rejected("acq_time is not HHMM", repr(acq_time[:40]))
    hhmm = acq_time.zfill(5).replace(":", "") if ":" in acq_time else acq_time.zfill(4)
    hour, minute = int(hhmm[:2]), int(hhmm[2:])
    if hour > 23 or minute > 59:
        return Rejected("acq_time is not HHMM", repr(acq_time))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def source_of(satellite: str, instrument: str) -> str | Rejected:
    """Our source name (VIIRS_NOAA20, MODIS_AQUA, …) from the satellite code and instrument."""
    sat, inst = satellite.strip().upper(), instrument.strip().upper()
    viirs, modis = VIIRS_SATELLITES.get(sat), MODIS_SATELLITES.get(sat)
    if inst == "VIIRS" and viirs or inst == "MODIS" and modis or not inst and (viirs or modis):
        return viirs or modis  # type: ignore[return-value]
    if viirs or modis:
        return Rejected("satellite does not carry that instrument", f"{satellite!r} / {instrument!r}")
    return Rejected("unknown satellite", repr(satellite[:40]))


def confidence_of(value: str, *, modis: bool) -> str | Rejected:
    """low/nominal/high: VIIRS l/n/h; MODIS 0–100 (<30 low, <80 nominal, else high, as docs/events.md says)."""
    if not modis:
        found = VIIRS_CONFIDENCE.get(value.lower())
        return found or Rejected("confidence is not l/n/h", repr(value[:40]))
    try:
        number = float(value)
    except ValueError:
        return Rejected("MODIS confidence is not 0–100", repr(value[:40]))
    if not 0 <= number <= 100:  # also false for NaN
        return Rejected("MODIS confidence is not 0–100", repr(value[:40]))
    return "low" if number < 30 else "nominal" if number < 80 else "high"


def frp_of(value: str) -> float | None | Rejected:
    """Fire radiative power in MW; FIRMS leaves it empty at times, which is allowed."""
    if not value:
        return None
    try:
        frp = float(value)
    except ValueError:
        return Rejected("frp is not a number", repr(value[:40]))
    if not math.isfinite(frp) or frp < 0:
        return Rejected("frp is not a number ≥ 0", repr(value[:40]))
    return frp


def ingest(doc: Document, sink: Sink) -> None:
    """Ingest one FIRMS CSV document."""
    run(records(doc), convert, sink)


def area_urls(*, key: str, base: str, sources: list[str], days: int) -> list[str]:
    """Area API URLs for Huế's bounding box, one per FIRMS source (VIIRS_NOAA20_NRT, MODIS_NRT, …)."""
    box = ",".join(str(v) for v in HUE_BBOX)
    return [f"{base.rstrip('/')}/api/area/csv/{key}/{src}/{box}/{days}" for src in sources]


def follow(sink: Sink, *, url: str | None, stop: threading.Event, max_polls: int | None = None) -> None:
    """Poll the area API (or one given URL) every `firms_poll_seconds`; overlapping days are duplicates."""
    s = get_settings()
    if url:
        urls = [url]
    elif s.firms_map_key:
        sources = [x.strip() for x in s.firms_sources.split(",") if x.strip()]
        urls = area_urls(key=s.firms_map_key, base=s.firms_url, sources=sources, days=s.firms_days)
    else:
        raise SourceError("FIRMS_MAP_KEY is not set (and no URL given)")

    def step() -> None:
        failed = []
        for u in urls:
            try:
                ingest(http_get(u), sink)
            except SourceError as exc:  # one source down must not starve the others
                failed.append(str(exc))
        if failed:
            raise SourceError("; ".join(failed))

    poll(step, interval_s=s.firms_poll_seconds, stop=stop, max_polls=max_polls, what="FIRMS poll", alive=sink.alive)
