"""TomTom Flow Segment Data and HERE Traffic v7 flow → traffic readings on our nearest road segment."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from data_sources.core.settings import get_settings
from data_sources.events import TrafficReading, congestion_level
from data_sources.reference import load_files
from pipeline.ingest.common import Rejected, Sink, dropped, run
from pipeline.ingest.fetch import Document, SourceError, http_get, poll
from pipeline.ingest.firms import HUE_BBOX
from pipeline.ingest.geo import get_geo

Points = list[tuple[float, float]]  # (lat, lon)


@dataclass(frozen=True)
class Flow:
    """One feed reading in our units, before it is placed on a segment."""

    points: Points
    speed_kmh: float
    free_flow_kmh: float
    level: int
    confidence: float


def _num(d: dict, key: str) -> float | None:
    value = d.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _confidence(d: dict) -> float | Rejected:
    value = d.get("confidence", 1.0)
    number = _num(d, "confidence") if value is not None else 1.0
    if number is None or not 0.0 <= number <= 1.0:
        return Rejected("confidence is not 0–1", repr(value)[:40])
    return number


def _points(raw: object, lat_key: str, lon_key: str) -> Points | Rejected:
    if not isinstance(raw, list) or not raw:
        return Rejected("no coordinates")
    points = []
    for p in raw:
        lat, lon = (_num(p, lat_key), _num(p, lon_key)) if isinstance(p, dict) else (None, None)
        if lat is None or lon is None:
            return Rejected("coordinate is not a number pair", repr(p)[:60])
        points.append((lat, lon))
    return points


def jam_level(jam_factor: float, *, closed: bool) -> int:
    """HERE jamFactor 0–10 → our 0–4 in bands of two; 10 (or traversability closed) is a closed road, level 4."""
    if closed or jam_factor >= 10:
        return 4
    return min(4, int(jam_factor // 2))


def tomtom_flow(item: object) -> Flow | Rejected:
    """flowSegmentData (speeds in km/h, the API's default unit) → Flow; the level comes from the speed ratio."""
    d = item.get("flowSegmentData") if isinstance(item, dict) else None
    if not isinstance(d, dict):
        return Rejected("no flowSegmentData object")
    speed, free = _num(d, "currentSpeed"), _num(d, "freeFlowSpeed")
    if speed is None or free is None or speed < 0 or free <= 0:
        return Rejected("currentSpeed/freeFlowSpeed missing or not positive", f"{d.get('currentSpeed')!r}")
    confidence = _confidence(d)
    coords = d.get("coordinates")
    points = _points(coords.get("coordinate") if isinstance(coords, dict) else None, "latitude", "longitude")
    for found in (confidence, points):
        if isinstance(found, Rejected):
            return found
    closed = d.get("roadClosure") is True
    speed = 0.0 if closed else speed  # a closed road reports its free-flow speed; nothing moves on it
    return Flow(points, speed, free, congestion_level(speed, free, closed=closed), confidence)


def here_flow(result: object) -> Flow | Rejected:
    """results[i] of HERE v7 `/flow` (speeds in m/s) → Flow; the level comes from jamFactor."""
    flow = result.get("currentFlow") if isinstance(result, dict) else None
    if not isinstance(flow, dict):
        return Rejected("no currentFlow object")
    jam, free = _num(flow, "jamFactor"), _num(flow, "freeFlow")
    closed = flow.get("traversability") == "closed" or (jam is not None and jam >= 10)
    speed = 0.0 if closed else _num(flow, "speed")
    if jam is None or not 0 <= jam <= 10:
        return Rejected("jamFactor is not 0–10", repr(flow.get("jamFactor"))[:40])
    if speed is None or free is None or speed < 0 or free <= 0:
        return Rejected("speed/freeFlow missing or not positive", repr(flow.get("speed"))[:40])
    confidence = _confidence(flow)
    location = result.get("location")
    shape = location.get("shape") if isinstance(location, dict) else None
    links = shape.get("links") if isinstance(shape, dict) else None
    raw_points = [p for link in links for p in link.get("points", [])] if _links_ok(links) else None
    points = _points(raw_points, "lat", "lng")
    for found in (confidence, points):
        if isinstance(found, Rejected):
            return found
    return Flow(points, speed * 3.6, free * 3.6, jam_level(jam, closed=closed), confidence)


def _links_ok(links: object) -> bool:
    ok = isinstance(links, list)
    return ok and all(isinstance(link, dict) and isinstance(link.get("points", []), list) for link in links)


class Matcher:
    """Flow → TrafficReading on the nearest segment within `traffic_match_metres`; one reading per segment
    and time, so two feed segments over one of ours do not both count."""

    def __init__(self, *, source: str, ts: datetime) -> None:
        self.source, self.ts = source, ts
        self.max_m = get_settings().traffic_match_metres
        self.taken: set[str] = set()

    def __call__(self, flow: Flow | Rejected) -> TrafficReading | Rejected:
        if isinstance(flow, Rejected):
            return flow
        match = get_geo().nearest_segment(flow.points, max_m=self.max_m)
        if match is None:
            return dropped(f"no road segment within {self.max_m:g} m (unmatched)")
        if match.segment_id in self.taken:
            return dropped("segment already has a reading at this time", match.segment_id)
        self.taken.add(match.segment_id)
        return TrafficReading(
            event_id=f"{self.source}-{match.segment_id}-{self.ts.astimezone(UTC):%Y%m%dT%H%M%S}Z",
            ts=self.ts,
            segment_id=match.segment_id,
            speed_kmh=round(flow.speed_kmh, 2),
            free_flow_kmh=round(flow.free_flow_kmh, 2),
            congestion_level=flow.level,
            confidence=flow.confidence,
            source=self.source,
        )


def _json(doc: Document) -> object:
    try:
        return json.loads(doc.data.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise SourceError(f"{doc.label}: not JSON ({exc})") from None


class TomTom:
    """`tomtom`: one flowSegmentData response, a JSON array of them, or JSON lines (a capture of many polls)."""

    name = "tomtom"

    def records(self, doc: Document) -> Iterator[tuple[str, str, object]]:
        try:
            body = _json(doc)
        except SourceError:
            text = doc.data.decode("utf-8-sig", errors="replace")
            if sum(1 for line in text.splitlines() if line.strip()) < 2:
                raise
            # Not one JSON document but several lines: a capture of many polls, one response per line.
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    yield f"{doc.label}:{number}", line, self._line(line)
            return
        items = body if isinstance(body, list) else [body]
        for i, item in enumerate(items):
            yield f"{doc.label}#{i}", json.dumps(item, ensure_ascii=False)[:4000], tomtom_flow(item)

    @staticmethod
    def _line(line: str) -> Flow | Rejected:
        try:
            return tomtom_flow(json.loads(line))
        except ValueError as exc:
            return Rejected("not JSON", str(exc)[:120])

    def ingest(self, doc: Document, sink: Sink) -> None:
        # TomTom carries no time: the file's mtime, the HTTP Date header, or --at is the observation time.
        run(self.records(doc), Matcher(source=self.name, ts=doc.observed_at), sink)

    def urls(self) -> list[str]:
        s = get_settings()
        if not s.tomtom_key:
            raise SourceError("TOMTOM_KEY is not set (and no URL given)")
        wanted = {x.strip() for x in s.tomtom_segments.split(",")}
        segments = [
            seg for seg in load_files()["road_segments"]
            if "all" in wanted or seg["segment_id"] in wanted or ("hot" in wanted and seg["hot_spot"])
        ]  # fmt: skip
        base = s.tomtom_url.rstrip("/")
        return [
            f"{base}/traffic/services/4/flowSegmentData/absolute/10/json"
            f"?point={seg['lat']:.5f},{seg['lon']:.5f}&unit=KMPH&key={s.tomtom_key}"
            for seg in segments
        ]

    def follow(self, sink: Sink, *, url: str | None, stop: threading.Event, max_polls: int | None = None) -> None:
        """Poll every `traffic_poll_seconds`: the given URL, or one Flow Segment request per configured segment."""
        urls = [url] if url else self.urls()

        def step() -> None:
            failed = []
            for u in urls:
                try:
                    self.ingest(http_get(u), sink)
                except SourceError as exc:
                    failed.append(str(exc))
            if failed:
                raise SourceError(f"{len(failed)} of {len(urls)} requests failed, first: {failed[0]}")

        interval = get_settings().traffic_poll_seconds
        poll(step, interval_s=interval, stop=stop, max_polls=max_polls, what="TomTom", alive=sink.alive)


class Here:
    """`here`: a HERE Traffic v7 `/flow` response (locationReferencing=shape)."""

    name = "here"

    def records(self, doc: Document) -> tuple[datetime, list[tuple[str, str, object]]]:
        body = _json(doc)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise SourceError(f"{doc.label}: not a HERE v7 flow response (no results list)")
        try:
            ts = datetime.fromisoformat(body["sourceUpdated"])
            ts = ts if ts.tzinfo else doc.observed_at
        except (KeyError, TypeError, ValueError):
            ts = doc.observed_at  # the response's own time is best; the fetch time is next
        rows = [
            (f"{doc.label}#results[{i}]", json.dumps(r, ensure_ascii=False)[:4000], here_flow(r))
            for i, r in enumerate(results)
        ]
        return ts, rows

    def ingest(self, doc: Document, sink: Sink) -> None:
        ts, rows = self.records(doc)
        run(rows, Matcher(source=self.name, ts=ts), sink)

    def follow(self, sink: Sink, *, url: str | None, stop: threading.Event, max_polls: int | None = None) -> None:
        """Poll every `traffic_poll_seconds` the flow of Huế's bounding box (one request covers the city)."""
        s = get_settings()
        if not url and not s.here_key:
            raise SourceError("HERE_KEY is not set (and no URL given)")
        box = ",".join(str(v) for v in HUE_BBOX)
        url = url or f"{s.here_url.rstrip('/')}/v7/flow?in=bbox:{box}&locationReferencing=shape&apiKey={s.here_key}"
        poll(lambda: self.ingest(http_get(url), sink), interval_s=s.traffic_poll_seconds, stop=stop,
             max_polls=max_polls, what="HERE", alive=sink.alive)  # fmt: skip


tomtom = TomTom()
here = Here()
