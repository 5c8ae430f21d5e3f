"""The ingest CLI without servers (--dry-run): exit codes, summaries, no tracebacks; shared helpers."""

from __future__ import annotations

import io
import json
import sys

import pytest

from pipeline.ingest.__main__ import EXIT_OK, EXIT_SOURCE, main
from pipeline.ingest.common import fingerprint
from pipeline.ingest.fetch import redact
from tests.factories import camera
from tests.unit.ingest_support import FIXTURES

FIXTURE_FORMATS = [
    ("firms", "firms_viirs_noaa20_area.csv"),
    ("firms", "firms_modis_country.csv"),
    ("open311", "open311_requests.json"),
    ("frigate", "frigate_events.jsonl"),
    ("tomtom", "tomtom_flow.json"),
    ("here", "here_flow.json"),
]


@pytest.mark.parametrize(("fmt", "name"), FIXTURE_FORMATS)
def test_ing_cli001_every_fixture_reads_and_accounts(fmt, name, capsys):
    assert main([fmt, str(FIXTURES / name), "--dry-run", "--json"]) == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["read"] == out["accepted"] + out["duplicate"] + out["rejected"] > 0
    assert out["accepted"] > 0 and "unexpected error" not in out["rejected_by_reason"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["firms", "/nonexistent/fires.csv"], "cannot read"),
     (["open311", str(FIXTURES / "firms_modis_country.csv")], "not JSON"),
     (["firms", str(FIXTURES / "open311_requests.json")], "not a FIRMS CSV"),
     (["firms", "http://127.0.0.1:9/api/area/csv/SECRETKEY/VIIRS/1,2,3,4/1"], "***"),
     (["firms", "--follow"], "FIRMS_MAP_KEY is not set"),
     (["frigate", "--follow", "ftp://broker"], "not an MQTT URL")],
)  # fmt: skip
def test_ing_cli002_unreadable_source_exits_1_without_traceback(argv, message, capsys):
    assert main([*argv, "--dry-run"]) == EXIT_SOURCE
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err + captured.out
    assert "SECRETKEY" not in captured.err  # keys never reach logs


def test_ing_cli003_stdin_and_text_summary(monkeypatch, capsys):
    data = (FIXTURES / "firms_viirs_noaa20_area.csv").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["firms", "-", "--dry-run"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("firms -: read 14, accepted 6, duplicate 1, rejected 7")
    assert "outside Huế (dropped, not dead-lettered)" in out


def test_ing_cli004_all_rejected_is_still_exit_0(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("latitude,longitude,acq_date,acq_time,satellite,confidence\nx,y,z,w,v,u\n")
    assert main(["firms", str(bad), "--dry-run"]) == EXIT_OK
    assert "rejected 1" in capsys.readouterr().out


def test_ing_cli005_fingerprint_ignores_score_only_changes():
    a, b = camera(1, score=0.5), camera(1, score=0.99)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(camera(1, plate="75A-999.99"))


def test_ing_cli006_redact_keys():
    assert redact("https://x/flow?in=bbox:1&apiKey=abc&x=1") == "https://x/flow?in=bbox:1&apiKey=***&x=1"
    assert redact("https://x/api/area/csv/abc123/VIIRS/1/1") == "https://x/api/area/csv/***/VIIRS/1/1"
