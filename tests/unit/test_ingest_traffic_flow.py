"""TomTom flowSegmentData and HERE v7 flow → traffic readings on our nearest segment; malformed responses."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest.fetch import SourceError
from pipeline.ingest.traffic_flow import here, jam_level, tomtom
from tests.unit.ingest_support import BATCH, OBSERVED, Capture, assert_accounted, doc, fixture, fuzz_json, mutate


def run(adapter, document) -> Capture:
    sink = Capture(adapter.name)
    adapter.ingest(document, sink)
    return sink


def test_ing_flow001_tomtom_fixture():
    sink = run(tomtom, fixture("tomtom_flow.json"))
    assert_accounted(sink, records=9)
    by_seg = {e.segment_id: e for e in sink.events}
    assert {s: e.congestion_level for s, e in by_seg.items()} == {
        "SEG-0204": 3, "SEG-0238": 0, "SEG-0017": 4, "SEG-0305": 1,
    }  # fmt: skip
    closed = by_seg["SEG-0017"]
    assert closed.speed_kmh == 0 and closed.free_flow_kmh == 74  # roadClosure
    assert all(e.ts == OBSERVED and e.source == "tomtom" for e in sink.events)  # no time in the feed
    assert sink.summary.rejected["no road segment within 100 m (unmatched)"] == 1
    assert sink.summary.rejected["segment already has a reading at this time"] == 1


def test_ing_flow002_here_fixture_jam_factor_ten_is_closed():
    sink = run(here, fixture("here_flow.json"))
    assert_accounted(sink, records=9)
    by_seg = {e.segment_id: e for e in sink.events}
    assert {s: e.congestion_level for s, e in by_seg.items()} == {
        "SEG-0218": 1, "SEG-0219": 3, "SEG-0207": 4, "SEG-0250": 2, "SEG-0226": 4,
    }  # fmt: skip
    assert by_seg["SEG-0207"].speed_kmh == 0  # jamFactor 10, traversability closed, no speed given
    assert by_seg["SEG-0218"].speed_kmh == pytest.approx(9.7 * 3.6, abs=0.01)  # m/s → km/h
    assert {e.ts.isoformat() for e in sink.events} == {"2026-11-23T10:41:00+00:00"}  # sourceUpdated
    assert {"jamFactor is not 0–10", "no currentFlow object"} <= set(sink.summary.rejected)


@pytest.mark.parametrize(
    ("jam", "closed", "level"),
    [(0, False, 0), (1.9, False, 0), (2, False, 1), (4.5, False, 2), (7.99, False, 3), (8, False, 4),
     (9.9, False, 4), (10, False, 4), (0.5, True, 4)],
)  # fmt: skip
def test_ing_flow003_jam_factor_levels(jam, closed, level):
    assert jam_level(jam, closed=closed) == level


def test_ing_flow004_tomtom_json_lines_capture():
    body = fixture("tomtom_flow.json").data
    items = json.loads(body)
    sink = run(tomtom, doc("\n".join(json.dumps(i) for i in items) + "\n{broken\n"))
    assert_accounted(sink, records=len(items) + 1)
    assert sink.summary.rejected["not JSON"] == 1 and sink.summary.accepted == 4


@pytest.mark.parametrize(("adapter", "body"), [(tomtom, b"<html>"), (here, b"{}"), (here, b"[]"), (tomtom, b"")])
def test_ing_flow005_unreadable(adapter, body):
    with pytest.raises(SourceError):
        run(adapter, doc(body))


@BATCH
@given(seed=st.integers(0, 2**32))
def test_ing_flow006_property_malformed_responses_all_accounted(seed):
    rng = random.Random(seed)
    tt = json.loads(fixture("tomtom_flow.json").data)
    hr = json.loads(fixture("here_flow.json").data)
    items = []
    for _ in range(200):
        item = rng.choice(tt)
        if "flowSegmentData" in item and rng.random() < 0.8:
            item = {"flowSegmentData": mutate(rng, item["flowSegmentData"])}
        items.append(fuzz_json(rng) if rng.random() < 0.1 else mutate(rng, item, rate=0.05))
    sink = run(tomtom, doc(json.dumps(items)))
    assert_accounted(sink, records=len(items))
    results = []
    for _ in range(200):
        res = rng.choice(hr["results"])
        res = {**res, "currentFlow": mutate(rng, res.get("currentFlow", {}))} if rng.random() < 0.8 else res
        results.append(fuzz_json(rng) if rng.random() < 0.1 else mutate(rng, res, rate=0.05))
    sink = run(here, doc(json.dumps({"sourceUpdated": rng.choice(["2026-11-23T10:00:00Z", "bad", None]),
                                     "results": results})))  # fmt: skip
    assert_accounted(sink, records=len(results))
