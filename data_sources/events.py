"""The event contract: one pydantic model per event kind, grouped into four Redis streams."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from data_sources.plausible import DueTime, EventTime, SingleLine, Text, explain

# Fields that identify a person: masked for roles not cleared for them, never logged in the clear.
SENSITIVE = {"sensitive": True}

STREAMS = ("camera", "traffic", "fire", "complaint")
DEAD_LETTER = "deadletter"

CameraAlertType = Literal[
    "plate_watchlist", "face_match", "fire_smoke", "congestion", "crowding", "camera_offline", "camera_online"
]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
ComplaintStatus = Literal["received", "verified", "dispatched", "in_progress", "resolved", "rejected", "rated"]
# A complaint stays in the "open" current-state set until one of these.
CLOSED_STATUSES = frozenset({"resolved", "rejected", "rated"})
Channel = Literal["hue_s", "web", "hotline", "facebook", "zalo", "email"]
ComplaintCategory = Literal[
    "urban_order",
    "environment",
    "waste",
    "street_lights",
    "infrastructure",
    "trees_parks",
    "heritage",
    "security",
    "traffic",
]
HotspotConfidence = Literal["low", "nominal", "high"]

# How far after received_at a complaint's deadline may lie (docs/events.md, "Times").
DEADLINE_HORIZON = timedelta(days=366)

# Huế bounding box (DOMAIN.md) with a small margin, used to reject impossible coordinates.
LAT_RANGE = (15.9, 16.85)
LON_RANGE = (106.95, 108.3)

Id = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:\-]+$")]
Lat = Annotated[float, Field(ge=LAT_RANGE[0], le=LAT_RANGE[1], allow_inf_nan=False)]
Lon = Annotated[float, Field(ge=LON_RANGE[0], le=LON_RANGE[1], allow_inf_nan=False)]
Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class _Event(BaseModel):
    """Fields every event carries; `event_id` is the producer's idempotency key."""

    # Unknown fields are rejected so a producer's typo is dead-lettered, not silently dropped.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    event_id: Id
    ts: EventTime
    schema_version: Literal[1] = 1


class CameraAlert(_Event):
    """An AI camera detection that may need a human (stream `camera`)."""

    kind: Literal["camera_alert"] = "camera_alert"
    camera_id: Id
    alert_type: CameraAlertType
    severity: Severity
    score: Score | None = None
    plate: Annotated[SingleLine | None, Field(max_length=16, json_schema_extra=SENSITIVE)] = None
    person_name: Annotated[SingleLine | None, Field(max_length=120, json_schema_extra=SENSITIVE)] = None
    watchlist: Annotated[SingleLine | None, Field(max_length=60)] = None
    snapshot_url: Annotated[SingleLine | None, Field(max_length=500)] = None
    # When this version of the alert was produced. The same event_id with a later updated_at replaces the
    # stored alert (a camera AI refining its detection); without it the first version stored stays.
    updated_at: EventTime | None = None


class TrafficReading(_Event):
    """Speed on one road segment (stream `traffic`)."""

    kind: Literal["traffic_reading"] = "traffic_reading"
    segment_id: Id
    speed_kmh: Annotated[float, Field(ge=0, le=200, allow_inf_nan=False)]
    free_flow_kmh: Annotated[float, Field(gt=0, le=200, allow_inf_nan=False)]
    congestion_level: Annotated[int, Field(ge=0, le=4)]
    confidence: Score = 1.0
    source: Annotated[SingleLine, Field(max_length=40)] = "sensor"


class FireDanger(_Event):
    """Forest-fire danger level I–V (1–5) for a unit, optionally narrowed to one forest area (stream `fire`)."""

    kind: Literal["fire_danger"] = "fire_danger"
    unit_code: Id
    area_id: Id | None = None
    level: Annotated[int, Field(ge=1, le=5)]


class Hotspot(_Event):
    """An active-fire detection from a satellite or a camera (stream `fire`)."""

    kind: Literal["hotspot"] = "hotspot"
    lat: Lat
    lon: Lon
    confidence: HotspotConfidence
    frp: Annotated[float | None, Field(ge=0, le=100_000, allow_inf_nan=False)] = None
    source: Annotated[SingleLine, Field(min_length=1, max_length=40)]
    unit_code: Id | None = None
    area_id: Id | None = None


class ComplaintEvent(_Event):
    """One step of a citizen report's lifecycle, carrying the complaint's current snapshot (stream `complaint`).

    The reporter's identity is deliberately not part of the contract: it never reaches this system.
    """

    kind: Literal["complaint"] = "complaint"
    complaint_id: Id
    status: ComplaintStatus
    category: ComplaintCategory
    unit_code: Id
    lat: Lat
    lon: Lon
    channel: Channel
    title: Annotated[SingleLine, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=4000)] = ""
    received_at: EventTime
    agency_code: Id | None = None
    deadline: DueTime | None = None
    urgent: bool = False
    result: Annotated[Text | None, Field(max_length=4000)] = None
    rating: Annotated[int | None, Field(ge=1, le=5)] = None

    @model_validator(mode="after")
    def _deadline_in_horizon(self) -> ComplaintEvent:
        # A deadline before the report arrived, or years after it, is a producer's bug (or an attack that would
        # pin the "due" views); real deadlines are days to weeks after Ngày gửi (DOMAIN.md: 7 working days seen).
        deadline = self.deadline
        if deadline is not None and not (self.received_at <= deadline <= self.received_at + DEADLINE_HORIZON):
            raise PydanticCustomError(
                "deadline_horizon",
                "deadline {deadline} is not between received_at and {days} days after it",
                {"deadline": deadline.isoformat(), "days": DEADLINE_HORIZON.days},
            )
        return self


Event = Annotated[
    Union[CameraAlert, TrafficReading, FireDanger, Hotspot, ComplaintEvent],
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

# Which kinds each stream accepts: an event on the wrong stream is dead-lettered.
STREAM_KINDS = {
    "camera": {"camera_alert"},
    "traffic": {"traffic_reading"},
    "fire": {"fire_danger", "hotspot"},
    "complaint": {"complaint"},
}
KIND_STREAM = {kind: stream for stream, kinds in STREAM_KINDS.items() for kind in kinds}


class InvalidEvent(ValueError):
    """A stream entry that does not satisfy the contract; `reason` is short and human-readable."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_event(stream: str, raw: bytes | str) -> Event:
    """Validate one JSON payload read from `stream`; raise InvalidEvent with a readable reason."""
    try:
        event = EVENT_ADAPTER.validate_json(raw)
    except ValidationError as exc:
        raise InvalidEvent(_describe(exc)) from None
    if event.kind not in STREAM_KINDS.get(stream, ()):
        raise InvalidEvent(f"kind {event.kind!r} does not belong on stream {stream!r}")
    return event


def _describe(exc: ValidationError) -> str:
    """Condense a pydantic error into one line (first three problems) for the dead-letter stream.

    Only a rejected entry gets here, so this may take its time: time and text errors are explained from
    the offending value (data_sources.plausible.explain), never by echoing it.
    """
    parts = []
    for err in exc.errors(include_url=False)[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {explain(err)}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def congestion_level(speed_kmh: float, free_flow_kmh: float, *, closed: bool = False) -> int:
    """Map a speed ratio to our congestion level: 0 free flow, 1 light, 2 moderate, 3 heavy, 4 standstill or closed."""
    if closed:
        return 4
    if free_flow_kmh <= 0 or math.isnan(speed_kmh):
        return 0
    ratio = speed_kmh / free_flow_kmh
    if ratio >= 0.8:
        return 0
    if ratio >= 0.6:
        return 1
    if ratio >= 0.4:
        return 2
    if ratio >= 0.2:
        return 3
    return 4


def fire_scope(event: Mapping | FireDanger) -> str:
    """The current-state key of a fire danger reading: its unit, or 'unit/area' for a forest area.

    One definition for the projector that writes the key and every reader (wall, console) that matches on it.
    """
    if isinstance(event, Mapping):
        unit, area = event["unit_code"], event.get("area_id")
    else:
        unit, area = event.unit_code, event.area_id
    return f"{unit}/{area}" if area else unit


def to_json(event: _Event) -> str:
    """Serialise an event exactly as producers should put it in the `data` field."""
    return event.model_dump_json(exclude_none=True)
