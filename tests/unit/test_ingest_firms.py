"""FIRMS CSV → hotspots: the fixture quirks, the mapping rules, and thousands of malformed rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest import firms
from pipeline.ingest.fetch import SourceError
from tests.unit.ingest_support import BATCH, Capture, assert_accounted, doc, fixture, fuzz_text

VIIRS_HEADER = "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_ti5,frp,daynight"  # noqa: E501
MODIS_HEADER = "country_id,latitude,longitude,brightness,scan,track,acq_date,acq_time,satellite,instrument,confidence,version,bright_t31,frp,daynight"  # noqa: E501


def ingest(document) -> Capture:
    sink = Capture("firms")
    firms.ingest(document, sink)
    return sink


def test_ing_firms001_viirs_fixture_quirks():
    sink = ingest(fixture("firms_viirs_noaa20_area.csv"))
    assert_accounted(sink, records=14)
    s = sink.summary
    assert (s.accepted, s.duplicate, s.rejected["outside Huế"]) == (6, 1, 2)
    by_id = {e.event_id: e for e in sink.events}
    first = by_id["firms-VIIRS_NOAA20-16.38593-107.15131-202604140618"]
    assert (first.unit_code, first.area_id, first.confidence, first.frp) == ("20056", "FOR-001", "nominal", 4.21)
    unpadded = by_id["firms-VIIRS_NOAA20-16.40400-107.58825-202604140748"]  # acq_time 748, empty frp
    assert unpadded.ts == datetime(2026, 4, 14, 7, 48, tzinfo=UTC) and unpadded.frp is None
    assert unpadded.confidence == "low" and unpadded.area_id == "FOR-026"  # the pine forest by Khải Định's tomb
    assert by_id["firms-VIIRS_NOAA20-16.42652-107.55367-202604140004"].ts.hour == 0  # acq_time "4", satellite "1"
    assert {e.source for e in sink.events} == {"VIIRS_NOAA20", "VIIRS_NOAA21", "VIIRS_SNPP"}
    # Line numbers are the file's own (header = line 1), so an operator can open the file at the right place.
    assert ("firms_viirs_noaa20_area.csv:11", "acq_time is not HHMM: '2460'") in sink.letters
    assert {"outside Huế"} == s.not_dead_lettered


def test_ing_firms002_modis_country_fixture():
    sink = ingest(fixture("firms_modis_country.csv"))
    assert_accounted(sink, records=8)
    conf = {e.event_id.split("-")[1]: e.confidence for e in sink.events}
    assert sorted(e.source for e in sink.events) == ["MODIS_AQUA", "MODIS_AQUA", "MODIS_TERRA", "MODIS_TERRA"]
    assert sorted(e.confidence for e in sink.events) == ["high", "high", "low", "nominal"]  # 85, 80 | 29 | 55
    assert conf and sink.summary.rejected["outside Huế"] == 2  # Hà Nội and Hồ Chí Minh City
    assert sink.summary.rejected["MODIS confidence is not 0–100"] == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("748", (7, 48)), ("0748", (7, 48)), ("4", (0, 4)), ("0", (0, 0)), ("2359", (23, 59)), ("7:48", (7, 48))],
)
def test_ing_firms003_acq_time_unpadded(raw, expected):
    ts = firms.acquired_at("2026-04-14", raw)
    assert (ts.hour, ts.minute) == expected and ts.tzinfo is UTC


@pytest.mark.parametrize("raw", ["2400", "0760", "12345", "", "7.48", "-748", "ab"])
def test_ing_firms004_acq_time_rejected(raw):
    assert isinstance(firms.acquired_at("2026-04-14", raw), firms.Rejected)


@pytest.mark.parametrize(
    ("sat", "inst", "source"),
    [("N", "VIIRS", "VIIRS_SNPP"), ("1", "VIIRS", "VIIRS_NOAA20"), ("N20", "", "VIIRS_NOAA20"),
     ("N21", "VIIRS", "VIIRS_NOAA21"), ("Terra", "MODIS", "MODIS_TERRA"), ("Aqua", "MODIS", "MODIS_AQUA"),
     ("T", "MODIS", "MODIS_TERRA"), ("A", "", "MODIS_AQUA")],
)  # fmt: skip
def test_ing_firms005_satellites(sat, inst, source):
    assert firms.source_of(sat, inst) == source


@pytest.mark.parametrize(("value", "level"), [("0", "low"), ("29", "low"), ("30", "nominal"), ("79.9", "nominal"),
                                              ("80", "high"), ("100", "high")])  # fmt: skip
def test_ing_firms006_modis_confidence_thresholds(value, level):
    assert firms.confidence_of(value, modis=True) == level


@pytest.mark.parametrize("body", [b"", b"Invalid MAP_KEY.", b"\xff\xfe\x00garbage", b"a,b,c\n1,2,3\n"])
def test_ing_firms007_not_a_firms_file_is_a_source_error(body):
    with pytest.raises(SourceError):
        ingest(doc(body))


def test_ing_firms008_area_url_has_hue_bbox_and_key():
    (url,) = firms.area_urls(key="K", base="https://firms.example/", sources=["VIIRS_NOAA20_NRT"], days=2)
    assert url == "https://firms.example/api/area/csv/K/VIIRS_NOAA20_NRT/107.057,15.995,108.195,16.743/2"


# ---------------------------------------------------------------- hypothesis: thousands of malformed rows


def valid_row(rng: random.Random, header: str) -> dict[str, str]:
    """A plausible row, often inside Huế, with every satellite, confidence and time spelling FIRMS uses."""
    values = {
        "country_id": "VNM",
        "latitude": f"{rng.uniform(15.9, 16.9):.5f}",
        "longitude": f"{rng.uniform(106.9, 108.4):.5f}",
        "acq_date": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        "acq_time": str(rng.randint(0, 2359)),
        "satellite": rng.choice(["N", "1", "N20", "N21", "Terra", "Aqua", "T", "A"]),
        "instrument": "VIIRS" if "bright_ti4" in header else "MODIS",
        "confidence": rng.choice(["l", "n", "h"]) if "bright_ti4" in header else str(rng.randint(0, 100)),
        "frp": rng.choice(["", f"{rng.uniform(0, 80):.2f}"]),
    }
    return {c: values.get(c, f"{rng.uniform(200, 400):.2f}") for c in header.split(",")}


def fuzz_line(rng: random.Random, header: str) -> str:
    cols = header.split(",")
    row = valid_row(rng, header)
    values = [fuzz_text(rng) if rng.random() < 0.15 else row[c] for c in cols]
    if rng.random() < 0.1:  # a ragged row
        values = values[: rng.randint(0, len(values))] + [fuzz_text(rng) for _ in range(rng.randint(0, 3))]
    line = ",".join(v.replace(",", ";") for v in values)
    return "".join(" " if ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else ch for ch in line)


@BATCH
@given(
    header=st.sampled_from([VIIRS_HEADER, MODIS_HEADER]),
    seed=st.integers(0, 2**32),
    extra=st.lists(st.text(max_size=60), max_size=20),
)
def test_ing_firms009_property_malformed_rows_all_accounted(header, seed, extra):
    rng = random.Random(seed)
    lines = [fuzz_line(rng, header) for _ in range(200)]
    # Hypothesis-made lines too (shrinkable), with every kind of line break folded away.
    lines += ["".join(" " if ch in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029" else ch for ch in t) for t in extra]
    rng.shuffle(lines)
    records = sum(1 for line in lines if line.strip())
    sink = ingest(doc(header + "\n" + "\n".join(lines) + "\n"))
    assert_accounted(sink, records=records)
    for event in sink.events:
        assert event.unit_code is not None and event.source.startswith(("VIIRS_", "MODIS_"))
