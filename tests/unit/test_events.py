"""The event contract: valid events round-trip, malformed ones are rejected with a readable reason."""

from __future__ import annotations

import json

import pytest

from data_sources import events as ev
from tests import factories as f


@pytest.mark.parametrize(
    "event",
    [f.camera(), f.traffic(), f.danger(unit_code="U1"), f.hotspot(), f.complaint(unit_code="U1")],
    ids=lambda e: e.kind,
)
def test_event_round_trips_through_its_stream(event):
    raw = ev.to_json(event)
    assert ev.parse_event(ev.KIND_STREAM[event.kind], raw) == event


def test_event_on_wrong_stream_is_rejected():
    with pytest.raises(ev.InvalidEvent, match="does not belong on stream 'traffic'"):
        ev.parse_event("traffic", ev.to_json(f.camera()))


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"ts": "2026-11-23T08:00:00"}, "timezone"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"score": 1.5}, "score"),
        ({"event_id": "x'; DROP TABLE camera_alerts;--"}, "event_id"),
        ({"kind": "unknown_kind"}, "kind"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_malformed_camera_alert_names_the_bad_field(patch, expected):
    payload = json.loads(ev.to_json(f.camera())) | patch
    with pytest.raises(ev.InvalidEvent) as info:
        ev.parse_event("camera", json.dumps(payload))
    assert expected in info.value.reason


def test_nan_coordinates_and_bad_json_are_rejected():
    payload = json.loads(ev.to_json(f.hotspot()))
    payload["lat"] = float("nan")
    with pytest.raises(ev.InvalidEvent, match="lat"):
        ev.parse_event("fire", json.dumps(payload))
    with pytest.raises(ev.InvalidEvent, match="JSON"):
        ev.parse_event("fire", b"{not json")


def test_hotspot_outside_hue_is_rejected():
    payload = json.loads(ev.to_json(f.hotspot())) | {"lat": 21.03, "lon": 105.85}  # Hà Nội
    with pytest.raises(ev.InvalidEvent, match="lat"):
        ev.parse_event("fire", json.dumps(payload))


def test_complaint_text_with_nul_is_rejected_but_script_text_is_kept_verbatim():
    payload = json.loads(ev.to_json(f.complaint(unit_code="U1"))) | {"title": "a\x00b"}
    with pytest.raises(ev.InvalidEvent, match="NUL"):
        ev.parse_event("complaint", json.dumps(payload))
    hostile = "<script>alert(1)</script>"
    parsed = ev.parse_event("complaint", ev.to_json(f.complaint(unit_code="U1", title=hostile)))
    assert parsed.title == hostile  # escaping is the renderer's job; the contract keeps what citizens wrote


def test_complaint_contract_has_no_reporter_identity():
    fields = set(ev.ComplaintEvent.model_fields)
    assert not {"reporter", "reporter_name", "phone", "email"} & fields


def test_sensitive_fields_are_marked_in_the_schema():
    schema = ev.CameraAlert.model_json_schema()["properties"]
    assert schema["plate"].get("sensitive") is True
    assert schema["person_name"].get("sensitive") is True
    assert not schema["camera_id"].get("sensitive")


@pytest.mark.parametrize(
    ("speed", "free", "level"), [(40, 40, 0), (28, 40, 1), (20, 40, 2), (10, 40, 3), (4, 40, 4), (0, 40, 4)]
)
def test_congestion_level_bands(speed, free, level):
    assert ev.congestion_level(speed, free) == level


def test_closed_road_is_level_four():
    assert ev.congestion_level(50, 50, closed=True) == 4


def test_one_fire_scope_keys_a_reading_the_same_as_model_and_as_wire_dict():
    """The projector keys the model, the wall and console key the dict read back: the same key either way."""
    unit = f.danger(unit_code="19768", level=4)
    area = unit.model_copy(update={"area_id": "FOR-001"})
    for reading, key in ((unit, "19768"), (area, "19768/FOR-001")):
        assert ev.fire_scope(reading) == key
        assert ev.fire_scope(json.loads(ev.to_json(reading))) == key
    from data_sources import console, live
    from pipeline import state
    from ui import wall_builders

    assert console.fire_scope is live.fire_scope is state.fire_scope is wall_builders.fire_scope is ev.fire_scope
