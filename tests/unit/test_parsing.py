"""Batch parsing for the archiver: rejects by position, COPY bodies and complaint snapshots (plain data)."""

from __future__ import annotations

import pickle
from datetime import timedelta

from data_sources.core.streams import DATA_FIELD
from data_sources.events import to_json
from pipeline import facts
from pipeline.facts import Refs
from pipeline.parsing import NO_DATA, CopyBatch, parse_payloads, payloads_of, prepare_copy
from tests import factories as f

REFS = Refs.from_files()
UNIT = sorted(REFS.units)[0]


def _json(event) -> bytes:
    return to_json(event).encode()


def test_parse_payloads_reports_each_reject_by_stream_and_index():
    early, late = f.traffic(1), f.traffic(2, ts=f.T0 - timedelta(minutes=5))
    payloads = {
        "traffic": [_json(early), None, b'{"event_id": "broken", "ts": ', _json(f.camera(3)), _json(late)],
        "camera": [_json(f.camera(4))],
    }
    parsed = parse_payloads(payloads, REFS, where=True)

    assert [e.event_id for e in parsed.events] == ["t-tr-1", "t-tr-2", "t-cam-4"]
    assert parsed.where == [("traffic", 0), ("traffic", 4), ("camera", 0)]
    assert [(s, i) for s, i, _ in parsed.rejected] == [("traffic", 1), ("traffic", 2), ("traffic", 3)]
    reasons = [reason for _, _, reason in parsed.rejected]
    assert reasons[0] == NO_DATA
    assert "json" in reasons[1].lower()
    assert "does not belong on stream 'traffic'" in reasons[2]
    assert parsed.traffic_since == late.ts  # the earliest reading, not the first one read


def test_parse_payloads_without_where_keeps_no_positions():
    assert parse_payloads({"traffic": [_json(f.traffic())]}, REFS).where == []


def test_payloads_of_reads_the_data_field_wherever_it_is():
    batch = {
        "traffic": [
            [b"1-0", [DATA_FIELD, b"a"]],
            [b"2-0", [b"other", b"x", DATA_FIELD, b"b"]],
            [b"3-0", [b"payload", b"c"]],
            [b"4-0", None],  # trimmed before it was read
        ]
    }
    assert payloads_of(batch) == {"traffic": [b"a", b"b", None, None]}


def test_prepare_copy_builds_one_body_per_table_and_the_complaint_snapshots():
    cam = f.camera(7, plate=None)
    newer = cam.model_copy(update={"updated_at": cam.ts + timedelta(seconds=5), "watchlist": "stolen"})
    steps = [f.complaint(1, unit_code=UNIT, status="received"), f.complaint(2, unit_code=UNIT, status="verified")]
    payloads = {
        "traffic": [_json(f.traffic(1)), _json(f.traffic(2))],
        "camera": [_json(cam), _json(newer)],
        "complaint": [_json(e) for e in steps],
        "fire": [b"{}"],
    }
    batch = prepare_copy(payloads, REFS)

    assert batch.events == 6 and [(s, i) for s, i, _ in batch.rejected] == [("fire", 0)]
    assert set(batch.bodies) == {"traffic_readings", "camera_alerts", "complaint_events"}
    # Two versions of one alert in a batch: only the newer is COPYed (one COPY must not repeat an id).
    assert batch.bodies["camera_alerts"] == facts.copy_body("camera_alerts", [facts.fact_row(newer, REFS)[1]])
    rows = [facts.fact_row(e, REFS)[1] for e in (f.traffic(1), f.traffic(2))]
    assert batch.bodies["traffic_readings"] == facts.copy_body("traffic_readings", rows)
    assert [(c["complaint_id"], c["status"], c["updated_at"]) for c in batch.complaints] == [
        (e.complaint_id, e.status, e.ts) for e in steps
    ]
    assert batch.complaints[0]["closed_at"] is None and batch.complaints[0]["title"] == steps[0].title
    assert batch.cpu_s >= 0


def test_copy_batch_crosses_a_process_boundary_unchanged():
    batch = prepare_copy({"complaint": [_json(f.complaint(unit_code=UNIT))], "traffic": [None]}, REFS)
    again = pickle.loads(pickle.dumps(batch))
    assert isinstance(again, CopyBatch) and again == batch


def test_copy_body_is_empty_for_no_rows_and_grows_per_row():
    one = facts.copy_body("traffic_readings", [facts.fact_row(f.traffic(1), REFS)[1]])
    two = facts.copy_body("traffic_readings", [facts.fact_row(e, REFS)[1] for e in (f.traffic(1), f.traffic(2))])
    assert facts.copy_body("traffic_readings", []) == b""
    assert one and two.startswith(one) and len(two) > len(one)
    assert not one.startswith(facts.COPY_SIGNATURE) and not one.endswith(facts.COPY_TRAILER)
