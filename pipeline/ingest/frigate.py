"""Frigate NVR MQTT messages (`frigate/events`, `frigate/tracked_object_update`) → one camera alert per object."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from data_sources.core.settings import get_settings
from data_sources.events import CameraAlert
from data_sources.plausible import clean_text
from data_sources.reference import CSV_DIR
from pipeline.ingest.common import Rejected, Sink, dropped, run
from pipeline.ingest.fetch import Document
from pipeline.ingest.plates import normalise_plate

FIRE_LABELS = frozenset({"fire", "smoke"})
VEHICLE_LABELS = frozenset({"car", "motorcycle", "bus", "truck", "bicycle", "license_plate", "vehicle"})
EVENT_TYPES = frozenset({"new", "update", "end"})
_ID = re.compile(r"^[A-Za-z0-9._\-]{1,100}$")
# 2001-09-09 .. 2286-11-20 in epoch seconds: anything else is a unit mistake (ms) or garbage.
_EPOCH = (1e9, 1e10)


@lru_cache(maxsize=1)
def camera_table() -> dict[str, str]:
    """Frigate camera name → our camera_id (data_sources/reference/frigate_cameras.csv)."""
    with (CSV_DIR / "frigate_cameras.csv").open(encoding="utf-8", newline="") as fh:
        return {row["frigate_camera"].strip(): row["camera_id"].strip() for row in csv.DictReader(fh)}


Message = tuple[str, dict]  # ("events" | "tracked", payload)


def classify(topic: str | None, payload: object) -> Message | Rejected:
    """Which Frigate topic a payload belongs to, from the topic when known, else from its shape."""
    if not isinstance(payload, dict):
        return Rejected("message is not a JSON object")
    if topic is not None and topic.endswith("/events") or topic is None and "after" in payload:
        return "events", payload
    if topic is not None and topic.endswith("/tracked_object_update") or topic is None and "id" in payload:
        return "tracked", payload
    return dropped("not a Frigate events or tracked_object_update message")


def parse_line(line: str) -> Message | Rejected:
    """One captured message: bare JSON, {"topic", "payload"}, or `mosquitto_sub -v` output ("topic {json}")."""
    topic = None
    text = line.strip()
    if not text.startswith("{") and " " in text:
        topic, text = text.split(" ", 1)
    try:
        payload = json.loads(text)
    except ValueError as exc:
        return Rejected("not JSON", str(exc)[:120])
    if isinstance(payload, dict) and set(payload) == {"topic", "payload"} and isinstance(payload["topic"], str):
        topic, payload = payload["topic"], payload["payload"]
    return classify(topic, payload)


def records(doc: Document) -> Iterator[tuple[str, str, Message | Rejected]]:
    """(position, raw line, message) per non-empty line of a captured JSON-lines file."""
    for number, line in enumerate(doc.data.decode("utf-8", errors="replace").splitlines(), start=1):
        if line.strip():
            yield f"{doc.label}:{number}", line, parse_line(line)


@dataclass
class Tracked:
    """What we know of one Frigate object so far, merged over its event and tracked_object_update messages."""

    camera_id: str
    label: str = ""
    first_seen: float | None = None
    updated: float | None = None  # time of the newest message merged in: the alert's version
    emitted: tuple[tuple, float] | None = None  # what the last alert said, and its version
    score: float | None = None
    face: tuple[str, float | None] | None = None
    plate: tuple[str, float | None] | None = None
    known_plate: str | None = None
    has_snapshot: bool = False

    def seen_at(self, stamp: float) -> None:
        # Messages can arrive out of order (two topics): the version only moves forward.
        self.updated = stamp if self.updated is None else max(self.updated, stamp)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _epoch(value: object) -> float | None:
    number = _number(value)
    return number if number is not None and _EPOCH[0] <= number <= _EPOCH[1] else None


def _score(value: object) -> float | None:
    # A broken score must not cost the alert: it is optional in the contract.
    number = _number(value)
    return number if number is not None and 0.0 <= number <= 1.0 else None


def _sub_label(value: object) -> tuple[str, float | None] | None:
    """Frigate writes sub_label as [name, score] (0.13+) or a bare name (older versions)."""
    # Names are cleaned of control and bidi characters, which the contract refuses.
    if isinstance(value, str) and clean_text(value):
        return clean_text(value), None
    if isinstance(value, list) and value and isinstance(value[0], str) and clean_text(value[0]):
        return clean_text(value[0]), _score(value[1]) if len(value) > 1 else None
    return None


class Collapser:
    """Turns Frigate's message storm into one alert per object id, republished only when it changes.

    The event id is `frigate-<Frigate id>` for every message of an object and `updated_at` the newest
    message's time, so the archiver keeps one row, replaced by each newer version, and the projector the
    latest state; the sink's fingerprint (no score, no time) turns a storm of score-only updates into duplicates.
    """

    def __init__(self, *, memory: int = 20_000) -> None:
        self.objects: OrderedDict[str, Tracked] = OrderedDict()
        self.memory = memory
        self.cameras = camera_table()
        self.frigate_url = get_settings().frigate_url.rstrip("/")

    def __call__(self, message: Message) -> CameraAlert | Rejected:
        topic, payload = message
        return self._event(payload) if topic == "events" else self._tracked(payload)

    def _object(self, oid: object, camera: object) -> Tracked | Rejected:
        if not isinstance(oid, str) or not _ID.match(oid):
            return Rejected("id is not a Frigate id", repr(oid)[:60])
        if not isinstance(camera, str) or not camera:
            return Rejected("camera missing")
        camera_id = self.cameras.get(camera)
        if camera_id is None:
            return Rejected("unmapped Frigate camera", camera[:60])
        obj = self.objects.get(oid) or Tracked(camera_id)
        self.objects[oid] = obj
        self.objects.move_to_end(oid)
        while len(self.objects) > self.memory:
            self.objects.popitem(last=False)
        return obj

    def _event(self, payload: dict) -> CameraAlert | Rejected:
        if not isinstance(payload.get("type"), str) or payload["type"] not in EVENT_TYPES:
            return Rejected("type is not new/update/end", repr(payload.get("type"))[:40])
        after = payload.get("after")
        if not isinstance(after, dict):
            return Rejected("`after` is not an object")
        start = _number(after.get("start_time"))
        if start is None or not _EPOCH[0] <= start <= _EPOCH[1]:
            return Rejected("start_time is not epoch seconds", repr(after.get("start_time"))[:40])
        if not isinstance(after.get("label"), str):
            return Rejected("label missing")
        if after.get("false_positive") is True:
            return dropped("false positive")
        obj = self._object(after.get("id"), after.get("camera"))
        if isinstance(obj, Rejected):
            return obj
        obj.label, obj.has_snapshot = after["label"], after.get("has_snapshot") is True
        obj.first_seen = start if obj.first_seen is None else obj.first_seen
        obj.seen_at(max(_epoch(after.get("frame_time")) or start, _epoch(after.get("end_time")) or start))
        obj.score = _score(after.get("top_score")) or _score(after.get("score")) or obj.score
        sub = _sub_label(after.get("sub_label"))
        plate = after.get("recognized_license_plate")
        if isinstance(plate, str) and plate.strip():
            obj.plate = plate.strip(), _score(after.get("recognized_license_plate_score"))
            obj.known_plate = sub[0] if sub else obj.known_plate  # with a plate, sub_label names the known plate
        elif sub and obj.label in VEHICLE_LABELS:
            # Plate-recognizer add-ons (before Frigate's own LPR) put the plate itself into sub_label.
            obj.plate = (sub[0], sub[1]) if normalise_plate(sub[0]) else obj.plate
            obj.known_plate = None if normalise_plate(sub[0]) else sub[0]
        elif sub and obj.label == "person":
            obj.face = sub
        return self._alert(after["id"], obj)

    def _tracked(self, payload: dict) -> CameraAlert | Rejected:
        kind = payload.get("type")
        if kind not in ("face", "lpr"):
            return dropped("tracked_object_update without face or plate")
        stamp = _number(payload.get("timestamp"))
        if stamp is None or not _EPOCH[0] <= stamp <= _EPOCH[1]:
            return Rejected("timestamp is not epoch seconds", repr(payload.get("timestamp"))[:40])
        obj = self._object(payload.get("id"), payload.get("camera"))
        if isinstance(obj, Rejected):
            return obj
        obj.first_seen = stamp if obj.first_seen is None else obj.first_seen
        obj.seen_at(stamp)
        name = payload.get("name")
        name = name.strip() if isinstance(name, str) and name.strip() else None
        if kind == "face":
            obj.label = obj.label or "person"
            if name is None or name.casefold() == "unknown":
                return dropped("face not recognised")
            obj.face = name, _score(payload.get("score"))
        else:
            obj.label = obj.label or "license_plate"
            plate = payload.get("plate")
            if not isinstance(plate, str) or not plate.strip():
                return Rejected("lpr update without a plate")
            obj.plate, obj.known_plate = (plate.strip(), _score(payload.get("score"))), name or obj.known_plate
        return self._alert(payload["id"], obj)

    def _alert(self, oid: str, obj: Tracked) -> CameraAlert | Rejected:
        if obj.label in FIRE_LABELS:
            what = {"alert_type": "fire_smoke", "severity": "critical", "score": obj.score}
        elif obj.face is not None:
            name, score = obj.face
            what = {"alert_type": "face_match", "severity": "high", "score": score, "person_name": name[:120]}
        elif obj.plate is not None:
            plate = normalise_plate(obj.plate[0])
            if plate is None:
                return Rejected("recognized plate is not a valid Vietnamese plate")
            known = obj.known_plate[:60] if obj.known_plate else None
            what = {"alert_type": "plate_watchlist", "severity": "high" if known else "medium",
                    "score": obj.plate[1], "plate": plate, "watchlist": known}  # fmt: skip
        else:
            return dropped("not an alert (no fire, face or plate)")
        key = tuple(what.get(f) for f in ("alert_type", "severity", "plate", "person_name", "watchlist"))
        version = obj.updated or obj.first_seen
        if obj.emitted is not None and key != obj.emitted[0] and version <= obj.emitted[1]:
            # A change within the same frame time (two topics, one moment) must still be a newer version.
            version = obj.emitted[1] + 0.001
        alert = CameraAlert(
            event_id=f"frigate-{oid}",
            # The object's first sighting, fixed for its whole life, so every update sorts as the same alert.
            ts=datetime.fromtimestamp(obj.first_seen, UTC),
            # The version: a republished alert (new plate, watch-list match) replaces the stored one.
            updated_at=datetime.fromtimestamp(version, UTC),
            camera_id=obj.camera_id,
            snapshot_url=f"{self.frigate_url}/api/events/{oid}/snapshot.jpg"
            if self.frigate_url and obj.has_snapshot
            else None,
            **what,
        )
        obj.emitted = key, version
        return alert


def ingest(doc: Document, sink: Sink) -> None:
    """Ingest a captured JSON-lines file of Frigate messages (one object's updates collapse into one alert)."""
    run(records(doc), Collapser(), sink)


def follow(sink: Sink, *, url: str | None, stop, max_polls: int | None = None, **kw) -> None:
    """Subscribe to Frigate's MQTT topics (see frigate_mqtt; paho is imported only when following)."""
    from pipeline.ingest.frigate_mqtt import follow as follow_mqtt

    follow_mqtt(sink, url=url, stop=stop, max_polls=max_polls, **kw)
