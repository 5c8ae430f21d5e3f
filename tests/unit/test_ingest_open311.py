"""Open311 GeoReport v2 → complaint lifecycle events: quirks, mappings, privacy, and malformed requests."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest import open311
from pipeline.ingest.fetch import SourceError
from tests.unit.ingest_support import BATCH, Capture, assert_accounted, doc, fixture, mutate

VALID = {
    "service_request_id": "000123",
    "status": "open",
    "service_code": "003",
    "service_name": "Rác thải",
    "description": "Rác tồn đọng",
    "agency_responsible": "HEPCO",
    "requested_datetime": "2026-11-23T08:00:00+07:00",
    "updated_datetime": "2026-11-23T09:00:00+07:00",
    "expected_datetime": "2026-11-30T17:00:00+07:00",
    "lat": "16.4545",
    "long": "107.5925",
}


def ingest(document) -> Capture:
    sink = Capture("open311")
    open311.ingest(document, sink)
    return sink


def test_ing_o311001_fixture_lifecycle_and_quirks():
    sink = ingest(fixture("open311_requests.json"))
    assert_accounted(sink, records=12)
    s = sink.summary
    assert (s.accepted, s.duplicate) == (6, 1)  # 638344 as a number repeats "000638344 " with the same update
    steps = [e for e in sink.events if e.complaint_id == "311-638344"]
    assert [e.status for e in steps] == ["dispatched", "resolved"]
    opened, closed = steps
    assert opened.agency_code == "CSCC" and opened.category == "street_lights" and opened.unit_code == "19768"
    assert opened.deadline == datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    assert opened.lat == 16.4698 and opened.title == "Đèn đường hỏng"  # "016.46980" and trailing spaces
    assert closed.result == "Đã thay bóng đèn, hoạt động bình thường."
    assert {e.event_id for e in steps} == {"o311-638344-20261123T013000Z", "o311-638344-20261125T031500Z"}
    noise = next(e for e in sink.events if e.complaint_id == "311-638346")
    assert noise.category == "urban_order" and noise.agency_code is None and noise.ts == noise.received_at
    assert s.notes == {"agency_responsible unmapped → no agency": 1, "service unmapped → urban_order": 1}
    slash = next(e for e in sink.events if e.complaint_id.startswith("311-HUE"))
    assert slash.complaint_id == "311-HUE-2026:2F77"  # escaped, not rejected
    reasons = {reason.split(":")[0] for _, reason in sink.letters}
    assert reasons == {"requested_datetime has no time zone", "no location (lat/long)", "location outside Huế",
                       "status is not open/closed", "request is not a JSON object"}  # fmt: skip


def test_ing_o311002_reporter_identity_never_kept():
    sink = ingest(fixture("open311_requests.json"))
    published = " ".join(e.model_dump_json() for e in sink.events)
    letters = " ".join(reason for _, reason in sink.letters)
    for secret in ("nguoi.phan.anh@example.vn", "0905 000 000", "khong.luu@example.vn", "Trần Văn B"):
        assert secret not in published and secret not in letters
    raw = next(r for p, r, _ in open311.records(fixture("open311_requests.json")) if "pending" in r)
    assert "khong.luu" not in raw and "Trần Văn B" not in raw  # the dead-letter payload keeps standard fields only


@pytest.mark.parametrize(
    ("change", "field", "value"),
    [({"status": "closed"}, "status", "resolved"),
     ({"agency_responsible": None}, "status", "received"),
     ({"service_code": "3"}, "category", "waste"),
     ({"service_code": "", "service_name": "  GARBAGE "}, "category", "waste"),
     ({"agency_responsible": "so xay dung"}, "agency_code", "SXD"),
     ({"service_request_id": 123}, "complaint_id", "311-123"),
     ({"updated_datetime": None}, "ts", datetime(2026, 11, 23, 1, 0, tzinfo=UTC))],
)  # fmt: skip
def test_ing_o311003_mapping(change, field, value):
    sink = ingest(doc(json.dumps([VALID | change])))
    assert getattr(sink.events[0], field) == value


@pytest.mark.parametrize("body", [b"", b"<xml/>", b'{"error": "bad key"}', b"[1, 2"])
def test_ing_o311004_unreadable_document(body):
    with pytest.raises(SourceError):
        ingest(doc(body))


def test_ing_o311005_long_description_cut_not_rejected():
    sink = ingest(doc(json.dumps([VALID | {"description": "x" * 5000, "service_name": None}])))
    assert len(sink.events[0].description) == 4000 and len(sink.events[0].title) == 200
    assert sink.summary.notes["description cut to 4000 characters"] == 1


@BATCH
@given(seed=st.integers(0, 2**32), extra=st.lists(st.dictionaries(st.text(max_size=20), st.text()), max_size=10))
def test_ing_o311006_property_malformed_requests_all_accounted(seed, extra):
    rng = random.Random(seed)
    items = [mutate(rng, VALID | {"service_request_id": str(i)}) for i in range(200)] + extra
    sink = ingest(doc(json.dumps(items, ensure_ascii=rng.random() < 0.5)))
    assert_accounted(sink, records=len(items))
