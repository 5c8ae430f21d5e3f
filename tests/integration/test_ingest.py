"""Ingest on the real servers: streams, dead letters, re-ingest, the archiver, HTTP polling and Frigate over MQTT."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select, text

from data_sources import liveness, schema
from data_sources.core.settings import get_settings
from data_sources.core.streams import publish_raw
from data_sources.state import read_hash, read_hotspots
from pipeline.archiver import Archiver
from pipeline.ingest import module_for
from pipeline.ingest.common import Sink
from pipeline.ingest.fetch import Document

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ingest"
OBSERVED = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
# format, fixture, stream, events it adds
CASES = [
    ("firms", "firms_viirs_noaa20_area.csv", "fire", 6),
    ("firms", "firms_modis_country.csv", "fire", 4),
    ("open311", "open311_requests.json", "complaint", 6),
    ("frigate", "frigate_events.jsonl", "camera", 6),
    ("tomtom", "tomtom_flow.json", "traffic", 4),
    ("here", "here_flow.json", "traffic", 5),
]


def ingest(fmt: str, data: bytes, label: str, rds, rkeys) -> Sink:
    sink = Sink(source=fmt, r=rds, k=rkeys)
    module_for(fmt).ingest(Document(data, label, OBSERVED), sink)
    return sink


def _liveness(rds, rkeys, field: str) -> tuple[str, bool]:
    """(status, says which failed) of an adapter's liveness report (data_sources.liveness)."""
    entry = json.loads(rds.hget(liveness.liveness_key(rkeys), field))
    return entry["status"], "404" in entry["detail"]


def lengths(rds, rkeys) -> dict[str, int]:
    return {n: rds.xlen(rkeys.stream(n)) for n in ("fire", "complaint", "camera", "traffic", "deadletter")}


def test_ing_int001_streams_dead_letters_and_no_duplicates_on_reingest(rds, rkeys):
    first = {}
    for fmt, name, stream, added in CASES:
        before = lengths(rds, rkeys)
        sink = ingest(fmt, (FIXTURES / name).read_bytes(), name, rds, rkeys)
        after = lengths(rds, rkeys)
        s = sink.summary
        dead = sum(n for r, n in s.rejected.items() if r not in s.not_dead_lettered)
        assert after[stream] - before[stream] == added == s.accepted, (name, s.as_dict())
        assert after["deadletter"] - before["deadletter"] == dead
        first[name] = s
    letters = rds.xrange(rkeys.stream("deadletter"))
    assert {f[b"stream"] for _, f in letters} == {f"ingest:{fmt}".encode() for fmt in ("firms", "open311", "frigate",
                                                                                        "tomtom", "here")}  # fmt: skip
    by_position = {f[b"entry_id"].decode(): f for _, f in letters}
    row = by_position["firms_viirs_noaa20_area.csv:11"]
    assert row[b"reason"] == b"acq_time is not HHMM: '2460'" and b",2460,N20," in row[b"data"]
    assert by_position["frigate_events.jsonl:37"][b"reason"] == b"recognized plate is not a valid Vietnamese plate"

    settled = lengths(rds, rkeys)
    for fmt, name, _, _ in CASES:  # the same files again: nothing new on any event stream
        s = ingest(fmt, (FIXTURES / name).read_bytes(), name, rds, rkeys).summary
        assert s.accepted == 0 and s.duplicate == first[name].accepted + first[name].duplicate, s.as_dict()
    again = lengths(rds, rkeys)
    assert {k: v for k, v in again.items() if k != "deadletter"} == {
        k: v for k, v in settled.items() if k != "deadletter"
    }


def test_ing_int002_through_the_archiver_to_postgres_and_current_state(rds, rkeys, engine, clean_facts):
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    viirs = (FIXTURES / "firms_viirs_noaa20_area.csv").read_bytes().replace(b"2026-04-14", yesterday.encode())
    ingest("firms", viirs, "recent.csv", rds, rkeys)  # recent, so the 48 h live hotspot window shows them
    for fmt, name, _, _ in CASES[2:]:
        ingest(fmt, (FIXTURES / name).read_bytes(), name, rds, rkeys)
    Archiver(k=rkeys, block_ms=100).drain()

    with engine.connect() as conn:
        counts = {t: conn.execute(select(func.count()).select_from(schema.FACT_TABLES[k])).scalar_one()
                  for k, t in [("hotspot", "hs"), ("camera_alert", "cam"), ("complaint", "pa"),
                               ("traffic_reading", "tr")]}  # fmt: skip
        hotspots = conn.execute(select(schema.hotspots.c.unit_code, schema.hotspots.c.area_id)).all()
        lamp = conn.execute(
            select(schema.complaints.c.status, schema.complaints.c.agency_code)
            .where(schema.complaints.c.complaint_id == "311-638344")
        ).one()  # fmt: skip
    assert counts == {"hs": 6, "cam": 6, "pa": 6, "tr": 9}  # the Frigate storm is one row
    assert all(unit for unit, _ in hotspots) and sum(1 for _, area in hotspots if area) == 6
    assert tuple(lamp) == ("resolved", "CSCC")
    # The archiver found nothing wrong: every dead letter is one of ours, from the source files.
    assert all(f[b"stream"].startswith(b"ingest:") for _, f in rds.xrange(rkeys.stream("deadletter")))

    cameras = read_hash(rds, "camera", k=rkeys)
    assert cameras["CAM-0113"]["plate"] == "75A-123.45" and cameras["CAM-0591"]["alert_type"] == "fire_smoke"
    assert len(read_hotspots(rds, k=rkeys)) == 6
    open_now = read_hash(rds, "complaints", k=rkeys)
    assert "311-638345" in open_now and "311-638344" not in open_now  # closed in Open311 → resolved
    assert read_hash(rds, "traffic", k=rkeys)["SEG-0207"]["congestion_level"] == 4


def _frigate(oid: str, frame: float, *, plate: str, known: str | None = None, kind: str = "update") -> str:
    after = {"id": oid, "camera": "cau_truong_tien_1", "label": "car", "sub_label": [known, 0.97] if known else None,
             "top_score": 0.8, "score": 0.8, "start_time": T0, "frame_time": frame, "end_time": None,
             "false_positive": False, "has_snapshot": False, "recognized_license_plate": plate,
             "recognized_license_plate_score": 0.9}  # fmt: skip
    return json.dumps({"type": kind, "before": after, "after": after}, ensure_ascii=False)


T0 = 1795424400.0  # 2026-11-23 00:20 UTC


def _alerts(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT xmin::text AS xmin, * FROM camera_alerts")).mappings().all()
    return {r["event_id"]: dict(r) for r in rows}


def test_ing_int008_frigate_updates_land_newest_wins_and_replays_change_nothing(rds, rkeys, engine, clean_facts):
    """new/update of one Frigate object: PostgreSQL holds the newest version; re-ingest and replays move nothing."""
    archiver = Archiver(k=rkeys, block_ms=100)
    x, y = "1795424400.000000-upd001", "1795424400.000000-upd002"
    # 1. A plate read, not (yet) matched to a watch-list: medium.
    first = "\n".join([_frigate(x, T0 + 1, plate="75A12345", kind="new")]).encode()
    assert ingest("frigate", first, "first.jsonl", rds, rkeys).summary.accepted == 1
    archiver.drain()
    row = _alerts(engine)[f"frigate-{x}"]
    assert (row["severity"], row["watchlist"], row["updated_at"]) == (
        "medium",
        None,
        datetime.fromtimestamp(T0 + 1, UTC),
    )
    # 2. In a later batch Frigate matches it to a known plate; another object gets two versions in ONE batch.
    later = "\n".join([
        _frigate(x, T0 + 5, plate="75A12345", known="Xe trộm cắp"),
        _frigate(y, T0 + 2, plate="75B12345", kind="new"),
        _frigate(y, T0 + 3, plate="75B12346"),  # the plate read improved
    ]).encode()  # fmt: skip
    assert ingest("frigate", later, "later.jsonl", rds, rkeys).summary.accepted == 3
    archiver.drain()
    stored = _alerts(engine)
    assert len(stored) == 2
    assert (stored[f"frigate-{x}"]["severity"], stored[f"frigate-{x}"]["watchlist"]) == ("high", "Xe trộm cắp")
    assert stored[f"frigate-{x}"]["updated_at"] == datetime.fromtimestamp(T0 + 5, UTC)
    assert stored[f"frigate-{x}"]["ts"] == datetime.fromtimestamp(T0, UTC)  # still the first sighting
    assert stored[f"frigate-{y}"]["plate"] == "75B-123.46"
    assert read_hash(rds, "camera", k=rkeys)["CAM-0113"]["plate"] == "75B-123.46"

    # 3. Re-ingesting both files publishes nothing; re-delivering every stream entry (a crash before XACK, an
    #    old version arriving late) rewrites no row: same values, same xmin (no new row version at all).
    for data, label in ((first, "first.jsonl"), (later, "later.jsonl")):
        assert ingest("frigate", data, label, rds, rkeys).summary.accepted == 0
    entries = [f[b"data"] for _, f in rds.xrange(rkeys.stream("camera"))]
    assert len(entries) == 4
    publish_raw(rds, "camera", entries, k=rkeys)  # oldest first: each older version meets a newer stored one
    publish_raw(rds, "camera", entries[:1], k=rkeys)  # and the very first version once more, on its own
    archiver.drain()
    assert _alerts(engine) == stored
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.camera_alerts)).scalar_one() == 2


# ---------------------------------------------------------------- follow modes against local servers


class _Feed(BaseHTTPRequestHandler):
    routes: dict[str, bytes] = {}
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).seen.append(self.path)
        body = next((b for prefix, b in self.routes.items() if self.path.startswith(prefix)), None)
        if callable(body):
            body = body(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(body or b"not found")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def feed() -> Iterator[tuple[str, type[_Feed]]]:
    handler = type("Feed", (_Feed,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.fixture
def env(monkeypatch):
    def set_env(**values: str) -> None:
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()


def test_ing_int003_firms_area_api_polling(feed, env, rds, rkeys):
    base, handler = feed
    handler.routes = {
        "/api/area/csv/MAPKEY/VIIRS_NOAA20_NRT/": (FIXTURES / "firms_viirs_noaa20_area.csv").read_bytes(),
        "/api/area/csv/MAPKEY/MODIS_NRT/": (FIXTURES / "firms_modis_country.csv").read_bytes(),
    }
    env(FIRMS_MAP_KEY="MAPKEY", FIRMS_URL=base, FIRMS_SOURCES="VIIRS_NOAA20_NRT,MODIS_NRT,VIIRS_SNPP_NRT",
        FIRMS_POLL_SECONDS="0.05", FIRMS_DAYS="2")  # fmt: skip
    sink = Sink(source="firms", r=rds, k=rkeys)
    module_for("firms").follow(sink, url=None, stop=threading.Event(), max_polls=2)
    assert handler.seen[0] == "/api/area/csv/MAPKEY/VIIRS_NOAA20_NRT/107.057,15.995,108.195,16.743/2"
    assert len(handler.seen) == 6  # 3 sources x 2 polls; the SNPP one answers 404 and is retried, not fatal
    assert (sink.summary.accepted, rds.xlen(rkeys.stream("fire"))) == (10, 10)
    assert sink.summary.duplicate == 1 + 11  # the repeated row of the file, then the whole second poll
    # Its liveness, apart from the data: the SNPP source answered 404, so the poll reports the source down.
    assert _liveness(rds, rkeys, "fire:firms")[:2] == ("down", True)


def test_ing_int004_open311_polling_by_updated_datetime(feed, env, rds, rkeys):
    base, handler = feed
    handler.routes = {"/open311/v2/requests.json": (FIXTURES / "open311_requests.json").read_bytes()}
    # The fixture was recorded on 2026-11-25: the first poll must reach back past it whatever today is.
    env(OPEN311_POLL_SECONDS="0.05", OPEN311_LOOKBACK_HOURS="87600")
    sink = Sink(source="open311", r=rds, k=rkeys)
    url = f"{base}/open311/v2/requests.json?jurisdiction_id=hue.gov.vn"
    module_for("open311").follow(sink, url=url, stop=threading.Event(), max_polls=2)
    first, second = (parse_qs(urlparse(p).query) for p in handler.seen)
    assert first["jurisdiction_id"] == ["hue.gov.vn"] and "updated_after" in first
    # The cursor moved to the newest updated_datetime seen (2026-11-25T03:15Z), less a minute of overlap.
    assert second["updated_after"] == ["2026-11-25T03:14:00Z"]
    assert rds.xlen(rkeys.stream("complaint")) == sink.summary.accepted == 6
    assert _liveness(rds, rkeys, "complaint:open311")[0] == "ok"


def _tomtom_by_point(path: str) -> bytes:
    lat, lon = (float(v) for v in parse_qs(urlparse(path).query)["point"][0].split(","))
    items = json.loads((FIXTURES / "tomtom_flow.json").read_bytes())[:4]  # the four good responses

    def distance(item: dict) -> float:
        c = item["flowSegmentData"]["coordinates"]["coordinate"][0]
        return abs(c["latitude"] - lat) + abs(c["longitude"] - lon)

    return json.dumps(min(items, key=distance)).encode()


def test_ing_int005_tomtom_and_here_polling(feed, env, rds, rkeys):
    base, handler = feed
    handler.routes = {"/traffic/services/4/flowSegmentData/": _tomtom_by_point,
                      "/v7/flow": (FIXTURES / "here_flow.json").read_bytes()}  # fmt: skip
    env(TOMTOM_KEY="TTKEY", TOMTOM_URL=base, TOMTOM_SEGMENTS="SEG-0204,SEG-0238", HERE_KEY="HKEY", HERE_URL=base,
        TRAFFIC_POLL_SECONDS="0.05")  # fmt: skip
    tt = Sink(source="tomtom", r=rds, k=rkeys)
    module_for("tomtom").follow(tt, url=None, stop=threading.Event(), max_polls=1)
    assert len(handler.seen) == 2 and all("key=TTKEY" in p and "unit=KMPH" in p for p in handler.seen)
    assert {json.loads(f[b"data"])["segment_id"] for _, f in rds.xrange(rkeys.stream("traffic"))} == {
        "SEG-0204", "SEG-0238",
    }  # fmt: skip
    hr = Sink(source="here", r=rds, k=rkeys)
    module_for("here").follow(hr, url=None, stop=threading.Event(), max_polls=2)
    query = parse_qs(urlparse(handler.seen[-1]).query)
    assert query["in"] == ["bbox:107.057,15.995,108.195,16.743"] and query["apiKey"] == ["HKEY"]
    assert (hr.summary.accepted, hr.summary.duplicate) == (5, 5)  # same sourceUpdated twice: same readings


def test_ing_int006_unreachable_source_is_retried_not_fatal(env, rds, rkeys):
    env(HERE_KEY="k", HERE_URL="http://127.0.0.1:9", TRAFFIC_POLL_SECONDS="0.01")
    sink = Sink(source="here", r=rds, k=rkeys)
    started = time.monotonic()
    module_for("here").follow(sink, url=None, stop=threading.Event(), max_polls=2)
    assert sink.summary.read == 0 and time.monotonic() - started < 5
    assert _liveness(rds, rkeys, "traffic:here")[0] == "down"  # unreachable: reported down, not silent


def _mqtt_messages(prefix: str) -> list[tuple[str, bytes]]:
    """The fixture's captured lines as they would arrive over MQTT, under a test-only topic prefix."""
    out = []
    for line in (FIXTURES / "frigate_events.jsonl").read_text().splitlines():
        topic, payload = f"{prefix}/events", line
        if line.startswith("frigate/"):
            topic, payload = line.split(" ", 1)
            topic = topic.replace("frigate", prefix, 1)
        elif line.startswith('{"topic"'):
            wrapped = json.loads(line)
            topic, payload = wrapped["topic"].replace("frigate", prefix, 1), json.dumps(wrapped["payload"])
        out.append((topic, payload.encode()))
    return out


def test_ing_int007_frigate_over_mqtt(env, rds, rkeys):
    import paho.mqtt.publish as publish

    prefix = f"test-{uuid.uuid4().hex[:8]}/frigate"
    env(MQTT_URL="mqtt://127.0.0.1:1883", FRIGATE_TOPIC_PREFIX=prefix)
    sink, stop, ready = Sink(source="frigate", r=rds, k=rkeys), threading.Event(), threading.Event()
    follower = threading.Thread(
        target=module_for("frigate").follow, kwargs={"sink": sink, "url": None, "stop": stop, "ready": ready}
    )
    follower.start()
    try:
        assert ready.wait(10), "no MQTT subscription"
        messages = _mqtt_messages(prefix)
        publish.multiple([{"topic": t, "payload": p} for t, p in messages], hostname="127.0.0.1", port=1883)
        deadline = time.monotonic() + 10
        while sink.summary.read < len(messages) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        follower.join(10)
    s = sink.summary
    assert s.read == len(messages) and s.accepted == rds.xlen(rkeys.stream("camera")) == 6, s.as_dict()
    alerts = [json.loads(f[b"data"]) for _, f in rds.xrange(rkeys.stream("camera"))]
    assert sum(1 for a in alerts if a["event_id"] == "frigate-1795424401.000000-trt001") == 1  # the storm
    letters = [f for _, f in rds.xrange(rkeys.stream("deadletter"))]
    assert any(f[b"entry_id"].startswith(f"mqtt {prefix}/events #".encode()) for f in letters)
    assert _liveness(rds, rkeys, "camera:frigate")[0] == "ok"  # subscribed: alive though cameras are quiet
