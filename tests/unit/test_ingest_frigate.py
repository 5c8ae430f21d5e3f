"""Frigate MQTT messages → camera alerts: storms collapse, faces, plates (Vietnamese only), fire, junk."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest import frigate
from pipeline.ingest.plates import normalise_plate
from tests.unit.ingest_support import BATCH, Capture, assert_accounted, doc, fixture, fuzz_json, fuzz_text, mutate

T0 = 1795424400.0


def ingest(document) -> Capture:
    sink = Capture("frigate")
    frigate.ingest(document, sink)
    return sink


def event(oid: str, *, kind: str = "update", camera: str = "cau_truong_tien_1", label: str = "car", **after) -> dict:
    body = {"id": oid, "camera": camera, "label": label, "sub_label": None, "score": 0.8, "top_score": 0.8,
            "start_time": T0, "end_time": None, "false_positive": False, "has_snapshot": True} | after  # fmt: skip
    return {"type": kind, "before": body, "after": body}


def lines(*messages) -> str:
    return "\n".join(json.dumps(m, ensure_ascii=False) for m in messages) + "\n"


def test_ing_frig001_fixture_one_alert_per_object():
    sink = ingest(fixture("frigate_events.jsonl"))
    assert_accounted(sink, records=46)
    alerts = {e.event_id: e for e in sink.events}
    assert len(alerts) == len(sink.events) == 6  # the 32-message storm made one alert
    storm = alerts["frigate-1795424401.000000-trt001"]
    assert (storm.alert_type, storm.plate, storm.camera_id, storm.severity) == (
        "plate_watchlist", "75A-123.45", "CAM-0113", "medium",
    )  # fmt: skip
    known = alerts["frigate-1795424460.000000-trt002"]
    assert (known.plate, known.watchlist, known.severity) == ("75B1-234.56", "Xe trộm cắp", "high")
    face = alerts["frigate-1795424520.000000-pxa001"]
    assert (face.alert_type, face.person_name, face.score) == ("face_match", "Nguyễn Văn An", 0.91)
    assert alerts["frigate-1795424580.000000-alu001"].alert_type == "fire_smoke"
    assert alerts["frigate-1795424760.000000-pxa002"].person_name == "Trần Thị Bình"  # tracked_object_update face
    assert alerts["frigate-1795424820.000000-qlp001"].plate == "75C-678.90"  # lpr update + event, one alert
    assert sink.summary.duplicate == 29
    reasons = {reason.split(":")[0] for _, reason in sink.letters}
    assert {"recognized plate is not a valid Vietnamese plate", "unmapped Frigate camera"} <= reasons


def test_ing_frig002_changed_plate_republishes_same_event_id():
    sink = ingest(doc(lines(event("a.1-x", recognized_license_plate="75A12345"),
                            event("a.1-x", recognized_license_plate="75A12345", score=0.95),
                            event("a.1-x", recognized_license_plate="75A-123.46"))))  # fmt: skip
    assert [e.plate for e in sink.events] == ["75A-123.45", "75A-123.46"]
    assert {e.event_id for e in sink.events} == {"frigate-a.1-x"} and sink.summary.duplicate == 1
    assert len({e.ts for e in sink.events}) == 1
    # Same frame time (these messages carry none), yet the changed alert is a strictly newer version.
    assert sink.events[1].updated_at > sink.events[0].updated_at >= sink.events[0].ts


@pytest.mark.parametrize(
    ("message", "reason"),
    [(event("b.1-x", camera="nope", recognized_license_plate="75A12345"), "unmapped Frigate camera"),
     (event("b.2-x", recognized_license_plate="ABC-123"), "recognized plate is not a valid Vietnamese plate"),
     (event("b.3-x", start_time=T0 * 1000), "start_time is not epoch seconds"),
     (event("b.4/x"), "id is not a Frigate id"),
     ({"type": "new", "after": None}, "`after` is not an object"),
     ({"type": "lpr", "id": "b.5-x", "camera": "cau_truong_tien_1", "timestamp": T0, "plate": ""},
      "lpr update without a plate")],
)  # fmt: skip
def test_ing_frig003_rejections(message, reason):
    sink = ingest(doc(lines(message)))
    assert list(sink.summary.rejected) == [reason]


def test_ing_frig004_snapshot_link_when_frigate_url_set(monkeypatch):
    from data_sources.core.settings import get_settings

    monkeypatch.setenv("FRIGATE_URL", "http://frigate.local:5000/")
    get_settings.cache_clear()
    try:
        sink = ingest(doc(lines(event("c.1-x", label="fire"))))
    finally:
        monkeypatch.delenv("FRIGATE_URL")
        get_settings.cache_clear()
    assert sink.events[0].snapshot_url == "http://frigate.local:5000/api/events/c.1-x/snapshot.jpg"


@pytest.mark.parametrize(
    ("raw", "plate"),
    [("75A-123.45", "75A-123.45"), ("75a12345", "75A-123.45"), ("75-B1 234.56", "75B1-234.56"),
     ("75B1-1234", "75B1-1234"), ("29MĐ1-123.45", "29MĐ1-123.45"), ("75LD 012.34", "75LD-012.34"),
     ("75A-000.00", None), ("75O-123.45", None), ("05A-12345", None), ("75A-123456", None), ("", None),
     ("ABC-123", None), (None, None), ("75A-12", None)],
)  # fmt: skip
def test_ing_frig005_vietnamese_plates(raw, plate):
    assert normalise_plate(raw) == plate


@BATCH
@given(st.text(max_size=30))
def test_ing_frig006_plate_normalisation_is_a_fixed_point(raw):
    plate = normalise_plate(raw)
    assert plate is None or (normalise_plate(plate) == plate and len(plate) <= 16)


def fuzz_message(rng: random.Random) -> str:
    oid = f"{T0 + rng.randint(0, 20):.6f}-{rng.choice('abc')}"  # few ids, so storms and merges happen
    roll = rng.random()
    if roll < 0.05:
        return fuzz_text(rng, 80)
    if roll < 0.3:
        msg = {"type": rng.choice(["face", "lpr", "description"]), "id": oid, "name": rng.choice([None, "An"]),
               "plate": rng.choice(["75A12345", "xx", None]), "score": rng.random(),
               "camera": rng.choice(["an_ninh_phu_xuan_1", "cau_truong_tien_1", "nope"]), "timestamp": T0}  # fmt: skip
        msg = mutate(rng, msg)
    else:
        label = rng.choice(["car", "person", "fire", "smoke", "dog"])
        msg = event(oid, kind=rng.choice(["new", "update", "end"]), label=label,
                    sub_label=rng.choice([None, ["Bình", 0.9], "75A-111.22"]),
                    recognized_license_plate=rng.choice([None, "75A12345", "75O1", fuzz_text(rng)]))  # fmt: skip
        msg["after"] = mutate(rng, msg["after"], rate=0.15)
        msg = mutate(rng, msg, rate=0.05)
    text = json.dumps(msg if rng.random() > 0.05 else fuzz_json(rng), ensure_ascii=False)
    if rng.random() < 0.1:
        text = f"frigate/{rng.choice(['events', 'tracked_object_update', 'stats'])} {text}"
    return text.replace("\n", " ")


@BATCH
@given(seed=st.integers(0, 2**32))
def test_ing_frig007_property_message_storms_all_accounted(seed):
    rng = random.Random(seed)
    messages = [fuzz_message(rng) for _ in range(200)]
    records = sum(1 for m in messages for line in m.splitlines() if line.strip())
    sink = ingest(doc("\n".join(messages) + "\n"))
    assert_accounted(sink, records=records)
    for alert in sink.events:
        assert alert.plate is None or normalise_plate(alert.plate) == alert.plate


def test_ing_frig008_versions_only_move_forward():
    from pipeline.facts import newest_versions
    from pipeline.ingest.common import supersedes

    assert supersedes("aaaa@2.000000", "bbbb@1.000000")  # changed and newer: published
    assert not supersedes("aaaa@1.000000", "bbbb@2.000000")  # changed but older (an old capture): not
    assert not supersedes("aaaa@3.000000", "aaaa@1.000000")  # newer but nothing changed (score only): not
    assert supersedes("aaaa", "bbbb") and not supersedes("aaaa", "aaaa")  # unversioned events: by content
    # In one batch, per event id: the first row unless a later one is strictly newer; no version never wins.
    rows = [("a", 1), ("b", None), ("a", 3), ("a", 2), ("b", 5), ("b", None), ("c", None), ("c", None)]
    assert sorted(newest_versions(rows, 1), key=str) == [("a", 3), ("b", 5), ("c", None)]
