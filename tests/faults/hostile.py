"""A seeded generator of hostile stream entries, each with the fragment its dead-letter reason must contain."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from pipeline.archiver import NO_DATA
from pipeline.facts import Refs

Hostile = tuple[str, bytes | None, str]  # stream, payload (None: an entry without `data`), reason fragment
SCRIPT = "<script>alert(document.cookie)</script>"
SQL = "x'); DROP TABLE traffic_readings; --"


def _now() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


def templates(refs: Refs, rnd: random.Random, i: int) -> dict[str, dict]:
    """One valid body per stream (fire alternates danger and hotspot); mutations break exactly one thing."""
    base = {"event_id": f"hostile-{i}", "ts": _now()}
    unit = rnd.choice(sorted(refs.units))
    fire = (
        {"kind": "hotspot", "lat": 16.3, "lon": 107.5, "confidence": "high", "source": "viirs"}
        if i % 2
        else {"kind": "fire_danger", "unit_code": unit, "level": 3}
    )
    return {
        "camera": base | {"kind": "camera_alert", "camera_id": rnd.choice(sorted(refs.camera_unit)),
                          "alert_type": "crowding", "severity": "high"},
        "traffic": base | {"kind": "traffic_reading", "segment_id": rnd.choice(sorted(refs.segment_unit)),
                           "speed_kmh": 20.0, "free_flow_kmh": 50.0, "congestion_level": 2},
        "fire": base | fire,
        "complaint": base | {"kind": "complaint", "complaint_id": f"H-{i}", "status": "received",
                             "category": "waste", "unit_code": unit, "lat": 16.46, "lon": 107.59,
                             "channel": "hue_s", "title": "Rác", "received_at": _now()},
    }  # fmt: skip


def _dump(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()  # NaN and Infinity come out as JS literals


def _coordinate(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field = rnd.choice(["lat", "lon"])
    if "lat" not in body:  # camera, traffic, fire danger: a coordinate they do not take is an extra input
        return _dump(body | {field: float("nan")}), field
    return _dump(body | {field: rnd.choice([float("nan"), float("inf"), float("-inf")])}), field


def _time(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field = "received_at" if "received_at" in body and rnd.random() < 0.3 else "ts"
    value = rnd.choice(["2026-11-23T08:00:00", "2026-11-23 08:00", "2026-11-23T08:00:00+25:00",
                        "yesterday", "2026-13-45T99:99:99Z", "", "08:00 ICT"])  # fmt: skip
    return _dump(body | {field: value}), field


def _implausible_time(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    """Times the plausible-time contract refuses (docs/events.md, "Times"), with their reason's words."""
    now = datetime.now(UTC)
    shapes = [
        ("0001-01-01T00:00:00+07:00", "before 2000-01-01"),
        ("1970-01-01T00:00:00Z", "before 2000-01-01"),
        ("9999-12-31T23:59:59-07:00", "ahead of the receiver's clock"),
        ("9999-12-31T23:59:59Z", "ahead of the receiver's clock"),
        ("2099-06-01T00:00:00+07:00", "ahead of the receiver's clock"),
        ((now + timedelta(days=5 * 365)).isoformat(), "ahead of the receiver's clock"),
        ((now + timedelta(minutes=30)).isoformat(), "ahead of the receiver's clock"),
        (int(now.timestamp()), "not a number"),
        (now.timestamp(), "not a number"),
        (int(now.timestamp() * 1000), "not a number"),
        (str(int(now.timestamp())), "must be iso 8601 text"),
        (now.replace(tzinfo=None).isoformat(), "timezone"),
    ]
    fields = [f for f in ("ts", "received_at", "updated_at") if f in body or (f == "updated_at" and
              body["kind"] == "camera_alert")]  # fmt: skip
    value, fragment = rnd.choice(shapes)
    if body["kind"] == "complaint" and rnd.random() < 0.3:  # a deadline out of its horizon
        received = datetime.fromisoformat(body["received_at"])
        value = rnd.choice([received + timedelta(days=800), received - timedelta(days=2)]).isoformat()
        return _dump(body | {"deadline": value}), "is not between received_at"
    return _dump(body | {rnd.choice(fields): value}), fragment


# Text fields each kind has, and characters the contract refuses in them (control, bidi override/isolate).
TEXT_FIELDS = {"camera_alert": ["plate", "person_name", "watchlist", "snapshot_url"], "traffic_reading": ["source"],
               "hotspot": ["source"], "complaint": ["title", "description", "result"]}  # fmt: skip
BAD_CHARS = ["\u202e", "\u202a", "\u202d", "\u2066", "\u2069", "\x00", "\x1b", "\x07", "\x7f", "\x85", "\x9b"]


def _hostile_text(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    if body["kind"] not in TEXT_FIELDS:  # a danger level has no text: its time is what a producer can break
        return _implausible_time(body, rnd)
    field = rnd.choice(TEXT_FIELDS[body["kind"]])
    char = rnd.choice(BAD_CHARS)
    return _dump(body | {field: f"75A{char}-123.45"[:16]}), f"contains U+{ord(char):04X}"


def _wrong_type(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    choices = {
        "camera_alert": [("severity", 5), ("alert_type", ["crowding"]), ("score", "high")],
        "traffic_reading": [("speed_kmh", "fast"), ("congestion_level", "heavy"), ("free_flow_kmh", None)],
        "fire_danger": [("level", "V"), ("unit_code", 19768)],
        "hotspot": [("confidence", 0.9), ("lat", [16.3])],
        "complaint": [("urgent", "maybe"), ("rating", "five stars"), ("title", {"text": "x"})],
    }[body["kind"]]
    field, value = rnd.choice(choices)
    return _dump(body | {field: value}), field


def _huge(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    size = rnd.choices([1_000, 10_000, 100_000], weights=[70, 25, 5])[0]
    field = {"camera_alert": "plate", "traffic_reading": "source", "fire_danger": "event_id",
             "hotspot": "source", "complaint": "title"}[body["kind"]]  # fmt: skip
    if rnd.random() < 0.3:
        field = "event_id"
    return _dump(body | {field: "Ư" * size}), field


def _script(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field = rnd.choice(["event_id", {"camera_alert": "camera_id", "traffic_reading": "segment_id",
                                     "fire_danger": "unit_code", "hotspot": "confidence",
                                     "complaint": "channel"}[body["kind"]]])  # fmt: skip
    return _dump(body | {field: rnd.choice([SCRIPT, '"><img src=x onerror=alert(1)>', "javascript:alert(1)"])}), field


def _sql(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field = {"camera_alert": "severity", "traffic_reading": "segment_id", "fire_danger": "unit_code",
             "hotspot": "source", "complaint": "category"}[body["kind"]]  # fmt: skip
    if body["kind"] == "hotspot":  # source is free text: the payload goes into a pattern-checked id instead
        field = "area_id"
    return _dump(body | {field: rnd.choice([SQL, "1' OR '1'='1", "'; COPY facts TO PROGRAM 'sh'; --"])}), field


def _unknown_kind(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    return _dump(body | {"kind": rnd.choice(["drone_alert", "", "CAMERA_ALERT", "complaint "])}), "kind"


def _wrong_stream(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    # A valid event of another stream's kind (replaced by _mutate's caller with the right stream).
    return _dump(body), "does not belong on stream"


def _unknown_ref(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field = {"camera_alert": "camera_id", "traffic_reading": "segment_id", "fire_danger": "unit_code",
             "hotspot": "area_id", "complaint": "unit_code"}[body["kind"]]  # fmt: skip
    return _dump(body | {field: f"NOPE-{rnd.randint(0, 10**6)}"}), f"unknown {field}"


def _extra(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    return _dump(body | {"is_admin": True}), "is_admin"


def _missing(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field = rnd.choice([k for k in body if k not in ("kind",)])
    return _dump({k: v for k, v in body.items() if k != field}), field


def _out_of_range(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    field, value = {"camera_alert": ("score", 3.5), "traffic_reading": ("congestion_level", 7),
                    "fire_danger": ("level", 9), "hotspot": ("frp", -1),
                    "complaint": ("rating", 0)}[body["kind"]]  # fmt: skip
    if rnd.random() < 0.3:
        field, value = "schema_version", 2
    return _dump(body | {field: value}), field


def _invalid_json(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    raw = _dump(body)
    return rnd.choice([raw[: rnd.randint(1, len(raw) - 1)], raw + b"}", b"{'single': 'quotes'}",
                       b"\xff\xfe\x00garbage", b"", b"[" * 10_000]), "json"  # fmt: skip


def _not_object(body: dict, rnd: random.Random) -> tuple[bytes, str]:
    return rnd.choice([b"[]", b"null", b"42", b'"camera_alert"', b"true"]), "payload"


MUTATIONS: list[Callable[[dict, random.Random], tuple[bytes, str]]] = [
    _coordinate, _time, _wrong_type, _huge, _script, _sql, _unknown_kind, _wrong_stream, _unknown_ref, _extra,
    _missing, _out_of_range, _invalid_json, _not_object, _implausible_time, _hostile_text,
]  # fmt: skip


def hostile_payloads(refs: Refs, n: int, rnd: random.Random) -> list[Hostile]:
    """n hostile entries spread over every stream and every kind of wrong; ~1 % without a `data` field."""
    streams = ["camera", "traffic", "fire", "complaint"]
    out: list[Hostile] = []
    for i in range(n):
        stream = streams[i % 4]
        if rnd.random() < 0.01:
            out.append((stream, None, NO_DATA))
            continue
        bodies = templates(refs, rnd, i)
        mutate = rnd.choice(MUTATIONS)
        # The wrong-stream case takes another stream's valid event; the rest break this stream's own.
        body = bodies[streams[(i + 1) % 4] if mutate is _wrong_stream else stream]
        payload, fragment = mutate(body, rnd)
        out.append((stream, payload, fragment))
    return out
