"""Pure builders of the wall: keyed layer changes, Patch operations, ticker rows, URL options, KPI texts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dash import Patch
from plotly.utils import PlotlyJSONEncoder

from ui import wall_builders as wb
from ui import wall_config as wc
from ui import wall_kpis as wk

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC).timestamp()
PLACES = {  # the shape of data_sources.reference.places()
    "cameras": {"CAM-0001": {"name": "Quốc lộ 1A – Phong Dinh #1", "lat": 16.638191, "lon": 107.258523}},
    "units": {
        "19768": {"name": "Phú Xuân", "name_en": "Phu Xuan", "lat": 16.473, "lon": 107.579},
        "20056": {"name": "A Lưới 1", "name_en": "A Luoi 1", "lat": 16.2, "lon": 107.25},
    },
    "areas": {"FOR-001": "Rừng tự nhiên Hồng Vân"},
}


def cam(i: int, **kw) -> dict:
    base = {"kind": "camera_alert", "event_id": f"c{i}", "ts": NOW + i, "camera_id": "CAM-0001",
            "alert_type": "crowding", "severity": "medium"}  # fmt: skip
    return base | kw


def ops(patch: Patch) -> list[dict]:
    return patch.to_plotly_json()["operations"]


def wire(value) -> int:
    return len(json.dumps(value, cls=PlotlyJSONEncoder))


# ---------------------------------------------------------------- layer changes and patches


def test_camera_changes_merge_offline_with_the_latest_alert_and_round_positions():
    changes = wb.layer_changes(
        [cam(1, severity="high"), cam(2, alert_type="camera_offline", severity="low")], PLACES["cameras"]
    )
    assert changes["cameras"] == {"CAM-0001": {"la": 16.63819, "lo": 107.25852, "s": 2, "t": round(NOW + 1), "o": 1}}


def test_an_older_event_for_the_same_key_never_wins_within_a_pull():
    new = {"kind": "traffic_reading", "event_id": "t2", "ts": NOW + 10, "segment_id": "SEG-1", "congestion_level": 4}
    old = {**new, "event_id": "t1", "ts": NOW, "congestion_level": 0}
    assert wb.layer_changes([new, old], {})["traffic"] == {"SEG-1": [4, round(NOW + 10)]}


def test_unknown_cameras_are_ignored_and_closed_complaints_are_deleted():
    complaint = {"kind": "complaint", "event_id": "p1", "ts": NOW, "complaint_id": "PA-1", "status": "resolved",
                 "category": "waste", "unit_code": "19768", "lat": 16.46, "lon": 107.59, "deadline": None,
                 "urgent": False}  # fmt: skip
    changes = wb.layer_changes([cam(1, camera_id="CAM-9999"), complaint], PLACES["cameras"])
    assert changes["cameras"] == {}
    assert changes["complaints"] == {"PA-1": None}
    assert ops(wb.live_patch(changes, [], 30)) == [
        {"operation": "Delete", "location": ["complaints", "PA-1"], "params": {}}
    ]


def test_live_patch_assigns_changed_keys_merges_cameras_and_is_none_when_nothing_changed():
    changes = {"traffic": {"SEG-1": [3, 100]}, "fire": {"10001/FOR-003": [5, 90]}, "cameras": {"CAM-1": {"o": 1}},
               "hotspots": {}, "complaints": {}}  # fmt: skip
    assert ops(wb.live_patch(changes, [], 30)) == [
        {"operation": "Assign", "location": ["traffic", "SEG-1"], "params": {"value": [3, 100]}},
        {"operation": "Assign", "location": ["fire", "10001/FOR-003"], "params": {"value": [5, 90]}},
        {"operation": "Merge", "location": ["cameras", "CAM-1"], "params": {"value": {"o": 1}}},
    ]
    assert wb.live_patch({name: {} for name in wb.KEYED}, [], 30) is None


def test_ticker_rows_go_on_top_newest_first_and_the_list_is_trimmed_to_the_cap():
    operations = ops(wb.live_patch({name: {} for name in wb.KEYED}, [["a"], ["b"], ["c"]], cap=2))
    assert [o["operation"] for o in operations] == ["Prepend", "Prepend", "Delete", "Delete"]
    assert [o["params"].get("value") for o in operations[:2]] == [["b"], ["c"]]  # the oldest beyond the cap: gone
    assert all(o["location"] == ["ticker", 2] for o in operations[2:])


def test_one_changed_item_costs_well_under_two_kilobytes_on_the_wire():
    event = cam(1, severity="critical", alert_type="fire_smoke")
    changes = wb.layer_changes([event], PLACES["cameras"])
    assert wire(wb.live_patch(changes, wb.ticker_rows([event], PLACES, "vi")[0], 30)) < 600


# ---------------------------------------------------------------- ticker rows: alerts only, nothing personal


def test_ticker_rows_carry_the_event_id_and_no_personal_data():
    event = cam(1, alert_type="plate_watchlist", severity="high", plate="75A-123.45", person_name="Nguyễn Văn A")
    row = wb.ticker_row(event, PLACES, "vi")
    # The time goes as epoch seconds (assets/wall.js writes it in Huế time), so a row is a pure function of
    # the event and the language.
    assert row == ["c1", NOW + 1, "high", "Cao", "Biển số cần theo dõi", "Quốc lộ 1A – Phong Dinh #1"]
    assert "75A" not in json.dumps(row) and "Nguyễn" not in json.dumps(row, ensure_ascii=False)


def test_which_events_are_alerts():
    assert wb.ticker_severity(cam(1, alert_type="camera_online", severity="low")) is None
    assert wb.ticker_severity({"kind": "traffic_reading"}) is None
    assert wb.ticker_severity({"kind": "fire_danger", "level": 3}) is None
    assert wb.ticker_severity({"kind": "fire_danger", "level": 5}) == "critical"
    assert wb.ticker_severity({"kind": "complaint", "status": "received", "urgent": True}) == "high"
    assert wb.ticker_severity({"kind": "complaint", "status": "verified", "urgent": True}) is None


def test_hotspot_without_unit_is_named_after_the_nearest_unit():
    hotspot = {"kind": "hotspot", "event_id": "h", "ts": NOW - 30 * 3600, "lat": 16.21, "lon": 107.26,
               "confidence": "high", "source": "VIIRS_NOAA20", "unit_code": None}  # fmt: skip
    assert wb.ticker_text(hotspot, PLACES, "en") == ("Hotspot (VIIRS)", "A Luoi 1")


# ---------------------------------------------------------------- one row per event id


def test_the_same_event_fifty_times_in_a_batch_is_one_row_and_the_others_stay():
    events = [cam(1, severity="high")] * 50 + [cam(2, severity="critical"), cam(3, severity="high")]
    rows, gone = wb.ticker_rows(events, PLACES, "vi")
    assert [r[0] for r in rows] == ["c1", "c2", "c3"] and gone == []
    operations = ops(wb.live_patch({name: {} for name in wb.KEYED}, rows, 30, gone))
    assert [o["operation"] for o in operations].count("Prepend") == 3


def test_a_newer_version_replaces_its_row_in_place_of_a_second_row():
    v1 = cam(1, severity="medium", updated_at=NOW + 1)
    v2 = {**v1, "severity": "critical", "updated_at": NOW + 5, "replaces": json.dumps(v1)}
    rows, gone = wb.ticker_rows([v2], PLACES, "vi")
    assert gone == [wb.ticker_row(v1, PLACES, "vi")] and rows == [wb.ticker_row(v2, PLACES, "vi")]
    operations = ops(wb.live_patch({name: {} for name in wb.KEYED}, rows, 30, gone))
    # Taken out by value first, then the new version on top: the page's list keeps one row for the event.
    assert [o["operation"] for o in operations] == ["Remove", "Prepend", "Delete"]
    assert operations[0]["params"]["value"] == wb.ticker_row(v1, PLACES, "vi")
    # Within one batch both versions: one row, the newer.
    rows, _ = wb.ticker_rows([v1, v2], PLACES, "vi")
    assert rows == [wb.ticker_row(v2, PLACES, "vi")]


def test_present_builds_every_table_from_a_snapshot():
    snap = {
        "camera": [cam(1, severity="critical")],
        "camera_offline": [cam(2, alert_type="camera_offline", severity="low")],
        "traffic": [{"kind": "traffic_reading", "ts": NOW, "segment_id": "S", "congestion_level": 2}],
        "fire": [{"kind": "fire_danger", "ts": NOW, "unit_code": "19768", "area_id": "FOR-001", "level": 4}],
        "hotspots": [{"kind": "hotspot", "event_id": "h", "ts": NOW, "lat": 16.2, "lon": 107.3, "confidence": "low"}],
        "complaints": [{"kind": "complaint", "ts": NOW, "complaint_id": "P", "status": "dispatched", "lat": 16.4,
                        "lon": 107.5, "deadline": NOW + 60, "urgent": True}],
    }  # fmt: skip
    tables = wb.present(snap, PLACES)
    assert tables["cameras"]["CAM-0001"] == {"la": 16.63819, "lo": 107.25852, "s": 3, "t": round(NOW + 1), "o": 1}
    assert tables["fire"] == {"19768/FOR-001": [4, round(NOW)]}
    assert tables["hotspots"]["h"]["c"] == "l" and tables["complaints"]["P"]["u"] == 1


# ---------------------------------------------------------------- URL options


def test_parse_query_defaults_and_clamps():
    cfg = wc.parse_query({}, default_lang="vi", default_minutes=60)
    assert cfg == {"lang": "vi", "layers": list(wc.LAYERS), "views": ["city"], "rotate": 0, "minutes": 60,
                   "ticker": 30, "center": None, "zoom": None}  # fmt: skip
    cfg = wc.parse_query(
        {"lang": "en", "layers": "fire, traffic,bogus,fire", "views": "city,complaints,fire", "rotate": "60",
         "ticker": "9999", "center": "16.46,107.59", "zoom": "30"},
        default_lang="vi", default_minutes=60,
    )  # fmt: skip
    assert cfg["layers"] == ["fire", "traffic"] and cfg["views"] == ["city", "fire"]  # no complaints layer: no view
    assert cfg["rotate"] == 60 and cfg["ticker"] == wc.TICKER_MAX and cfg["zoom"] == 18 and cfg["lang"] == "en"


def test_rotation_needs_two_views_and_a_readable_period():
    assert wc.parse_query({"rotate": "5", "views": "city,fire"}, default_lang="vi", default_minutes=60)["rotate"] == 0
    assert wc.parse_query({"rotate": "60", "views": "fire"}, default_lang="vi", default_minutes=60)["rotate"] == 0
    assert wc.parse_query({"center": "0,0"}, default_lang="vi", default_minutes=60)["center"] is None


def test_root_class_shows_the_view_layers_that_were_selected():
    assert wc.root_class("city", ["fire", "traffic"]) == "wall view-city show-traffic show-fire"
    assert wc.root_class("traffic", ["traffic"]) == "wall view-traffic show-traffic"


# ---------------------------------------------------------------- KPI texts, sparklines, banner


SUMMARY = {"alerts": 5, "alerts_by_kind": {"crowding": 3, "fire_smoke": 2}, "offline": 1, "congestion": 0.234,
           "heavy": 11, "segments_reporting": 47, "fire_high": 2, "units_reporting": 40, "hotspots_24h": 3,
           "open": 12, "overdue": 4, "at": NOW}  # fmt: skip


def test_kpi_texts():
    texts = wk.kpi_texts(SUMMARY, "en")
    assert texts["alerts"] == ("5", "Smoke/fire 2 · Crowding 3 · Offline 1")
    assert texts["congestion"] == ("23 %", "11 of 47 segments heavy or worse")
    assert texts["complaints"] == ("12", "Overdue: 4")
    assert wk.kpi_texts({**SUMMARY, "congestion": None}, "vi")["congestion"][0] == "–"


def test_sparkline_breaks_at_minutes_without_data_and_survives_an_empty_hour():
    line = wk.sparkline([1, 2, None, 4], "x").to_plotly_json()
    polylines = [c for c in line["props"]["children"] if c.to_plotly_json()["type"] == "Polyline"]
    assert len(polylines) == 2
    assert wk.sparkline([None] * 60, "x") is not None and wk.sparkline([0] * 60, "x") is not None


def test_banner_names_sources_down_or_late_never_quiet_ones():
    # The rule changed from "age past one alarm threshold" to the judged states (data_sources.freshness): a quiet
    # source is healthy and never named; down and late ones are, in stream order.
    states = {"camera": "quiet", "traffic": "late", "fire": "down", "complaint": "ok"}
    assert wk.stale_streams(states, "down") == ["fire"] and wk.stale_streams(states, "late") == ["traffic"]
    children, cls = wk.banner(redis_ok=True, states=states, loading=None, lang="en")
    assert cls == "wall-banner banner-stale banner-source-down"
    assert [c.children for c in children] == [
        "Source down: Forest fire.",
        "Data late for its expected cadence: Traffic.",
    ]
    assert wk.banner(redis_ok=False, states={}, loading=None, lang="en")[1] == "wall-banner banner-down"
    quiet = dict.fromkeys(states, "quiet")
    assert wk.banner(redis_ok=True, states=quiet, loading=None, lang="en") == ([], "wall-banner hidden")
    loading = dict.fromkeys(states, "loading")
    children, cls = wk.banner(redis_ok=True, states=loading, loading={"percent": 42.4}, lang="vi")
    assert cls == "wall-banner banner-loading" and "42 %" in children[0].children


def test_ticker_rows_leave_out_events_older_than_the_live_window():
    """The ticker is the newest alerts: an event older than the window's start is on the map, not in the list."""
    old, new = {**cam(1, severity="high"), "ts": NOW - 7200}, {**cam(2, severity="high"), "ts": NOW - 60}
    rows, _ = wb.ticker_rows([old, new], PLACES, "vi", since=NOW - 3600)
    assert [r[0] for r in rows] == ["c2"]
    assert [r[0] for r in wb.ticker_rows([old, new], PLACES, "vi")[0]] == ["c1", "c2"]
