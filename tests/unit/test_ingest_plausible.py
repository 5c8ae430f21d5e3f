"""Ingest under the plausible-time and clean-text contract: refused at the door, or cleaned to keep a report."""

from __future__ import annotations

import json

from pipeline.ingest import open311
from tests.unit.ingest_support import Capture, assert_accounted, doc
from tests.unit.test_ingest_open311 import VALID as OPEN311_VALID

VALID = {**OPEN311_VALID, "service_request_id": "000777"}


def _ingest(*requests: dict) -> Capture:
    sink = Capture("open311")
    open311.ingest(doc(json.dumps(list(requests))), sink)
    assert_accounted(sink, records=len(requests))
    return sink


def test_ing_plaus001_times_outside_the_window_are_refused_with_the_reason():
    sink = _ingest(
        VALID | {"service_request_id": "1", "requested_datetime": "0001-01-01T00:00:00+07:00"},
        VALID | {"service_request_id": "2", "updated_datetime": "2099-01-01T00:00:00Z"},
        VALID | {"service_request_id": "3"},
    )
    assert [e.complaint_id for e in sink.events] == ["311-3"]
    reasons = dict(sink.letters)
    assert len(reasons) == 2, reasons
    assert any("received_at: before 2000-01-01" in r for r in reasons.values()), reasons
    assert any("ts: more than 300 s ahead of the receiver's clock" in r for r in reasons.values()), reasons


def test_ing_plaus002_an_impossible_deadline_is_dropped_and_stray_characters_cleaned_not_the_report_lost():
    sink = _ingest(
        VALID | {"service_request_id": "4", "expected_datetime": "2026-11-20T00:00:00+07:00",
                 "service_name": "Rác\u202e thải", "description": "dòng 1\ndòng 2\x07"},
        VALID | {"service_request_id": "5", "expected_datetime": "2031-01-01T00:00:00+07:00"},
    )  # fmt: skip
    assert [e.deadline for e in sink.events] == [None, None]
    first = sink.events[0]
    assert first.title == "Rác thải" and first.description == "dòng 1\ndòng 2"
    assert sink.summary.notes["expected_datetime outside requested_datetime + 366 days → no deadline"] == 2
