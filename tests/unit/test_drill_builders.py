"""Figure, grid and map builders of the drill-down pages: data in, figures and rows out (no browser, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from data_sources.history.common import Window
from ui import drill_cameras, drill_complaints, drill_fire, drill_map, drill_traffic
from ui.drill_complaint import timeline
from ui.drill_labels import number

T = datetime(2026, 11, 23, 8, tzinfo=UTC)
WIN = Window(T - timedelta(days=2), T, "hour")


@pytest.mark.parametrize("lang, text", [("vi", "1.234,5"), ("en", "1,234.5")])
def test_numbers_follow_the_language(lang, text):
    assert number(1234.5, lang, 1) == text
    assert number(None, lang) == "–" and number(float("nan"), lang) == "–"


def test_bins_colour_low_dim_and_high_red():
    assert drill_map.bin_colour(0.0, (1, 2, 3, 4)) == drill_map.SEQUENTIAL[0]
    assert drill_map.bin_colour(99, (1, 2, 3, 4)) == drill_map.SEQUENTIAL[-1]
    assert drill_map.bin_colour(None, (1, 2, 3, 4)) == drill_map.NO_DATA


def test_unit_choropleth_has_every_unit_with_style_and_tooltip():
    geo = drill_map.units_choropleth({"19768": 12.0}, lambda v: "#123456", lambda code, v: f"{code}={v}")
    assert len(geo["features"]) == 40
    phu_xuan = next(f for f in geo["features"] if f["properties"]["code"] == "19768")
    assert phu_xuan["properties"]["style"]["fillColor"] == "#123456"
    assert phu_xuan["properties"]["tooltip"] == "19768=12.0"
    assert drill_map.unit_bounds("19768")[0][0] > drill_map.unit_bounds(None)[0][0]  # a unit is inside the city


def test_traffic_heatmap_is_seven_days_by_24_hours_with_gaps():
    how = pd.DataFrame(
        {"dow": [1, 7], "hour": [8, 23], "heavy_pct": [12.345, 3.0], "avg_level": [1, 1], "avg_speed": [30, 40]}
    )
    fig = drill_traffic.heatmap(how, "vi")
    z = fig.data[0].z
    assert len(z) == 7 and all(len(row) == 24 for row in z)
    assert z[0][8] == 12.3 and z[6][23] == 3.0 and z[3][3] is None
    assert fig.data[0].y[0] == "Thứ Hai"
    assert drill_traffic.heatmap(how.iloc[0:0], "en").layout.annotations[0].text == "No data in this period"


def test_unit_bars_click_through_to_the_unit_and_mark_the_selection():
    units = pd.DataFrame(
        {"unit_code": ["19768", "19786"], "heavy_pct": [1.0, 5.0], "avg_level": [0, 1], "avg_speed": [40, 30]}
    )
    fig = drill_traffic.unit_bars(units, "vi", "19768")
    assert list(fig.data[0].customdata) == ["19786", "19768"]  # worst first
    assert fig.data[0].marker.color[1] == "#ffffff"


def test_due_rows_split_days_late_and_hours_left():
    due = pd.DataFrame(
        {
            "complaint_id": ["A", "B"], "title": ["t1", "t2"], "category": ["waste", "security"],
            "unit_code": ["19768", "19786"], "agency_code": ["UB-PHUXUAN", None], "status": ["dispatched", "received"],
            "urgent": [False, True], "received_at": [T, T], "deadline": [T, T + timedelta(hours=5)],
            "late_hours": [60.0, -5.0],
        }
    )  # fmt: skip
    rows = drill_complaints.due_rows(due, "vi")
    assert rows[0]["days_late"] == 2.5 and rows[0]["hours_left"] is None and rows[0]["category"] == "Rác thải"
    assert rows[1]["days_late"] is None and rows[1]["hours_left"] == 5.0 and rows[1]["agency"] == "Chưa phân công"


def test_backlog_fills_missing_buckets_with_zero():
    df = pd.DataFrame({"bucket_end": [T - timedelta(hours=3)], "open": [4], "overdue": [1]})
    fig = drill_complaints.backlog_figure(df, WIN, "en")
    opened = list(fig.data[0].y)
    assert len(opened) == 48 and opened.count(4) == 1 and sum(opened) == 4


def test_complaint_clusters_carry_counts_mix_and_lone_report_ids():
    df = pd.DataFrame(
        {"n": [5, 1, 1], "late": [2, 1, 0], "open": [1, 0, 0], "lat": [16.46, 16.47, 16.48],
         "lon": [107.59, 107.6, 107.61], "id": [None, "PA-1", "PA-2"]}
    )  # fmt: skip
    geo = drill_complaints.clusters_geojson(df, "en")
    first, lone_late, lone_done = (f["properties"] for f in geo["features"])
    assert first["cluster"] is True and first["n"] == 5 and "id" not in first and "k" not in first
    assert first["tooltip"] == "5 reports: 2 late, 1 open, 2 done"
    assert lone_late == {**lone_late, "id": "PA-1", "k": 0} and "cluster" not in lone_late
    assert lone_done["k"] == 2 and geo["features"][2]["geometry"]["coordinates"] == [107.61, 16.48]
    assert drill_complaints.POINT_STYLES[0]["color"] == "#D55E00"  # class 0 is late


def test_cluster_view_pads_and_snaps_the_viewport_to_whole_cells():
    from data_sources.history.complaints import cell_span

    zoom, span = drill_complaints.cluster_view(12.0, [[16.40, 107.50], [16.50, 107.65]])
    visible = cell_span(12, 16.40, 107.50, 16.50, 107.65)
    assert zoom == 12 and span[0] <= visible[0] and span[1] >= visible[1] and span[2] <= visible[2]
    assert span[3] >= visible[3] and span[0] % 8 == 0 and (span[1] + 1) % 8 == 0
    # A short pan stays inside the same padded, snapped span: the same cache entry serves it.
    assert drill_complaints.cluster_view(12, [[16.401, 107.502], [16.501, 107.652]])[1] == span
    assert drill_complaints.cluster_view(None, None) is None
    assert drill_complaints.cluster_view(12, [[16.5, 107.6], [16.4, 107.5]]) is None


def test_timeline_orders_steps_and_places_the_deadline():
    detail = {
        "deadline": T + timedelta(hours=30),
        "steps": [
            {"ts": T, "status": "received", "agency_code": None},
            {"ts": T + timedelta(hours=2), "status": "dispatched", "agency_code": "UB-PHUXUAN"},
            {"ts": T + timedelta(hours=50), "status": "resolved", "agency_code": "UB-PHUXUAN"},
        ],
    }
    items = timeline(detail, "vi", T + timedelta(days=5)).children
    assert [li.children[1].children for li in items] == ["Đã tiếp nhận", "Đã chuyển xử lý", "Hạn xử lý", "Đã xử lý"]
    assert items[-1].className == "late"  # resolved after the deadline
    assert items[2].className == "deadline late"  # passed before anything was resolved


def test_camera_charts_keep_one_colour_per_kind():
    hours = pd.DataFrame(
        {"hour_of_day": [7, 18, 18], "alert_type": ["congestion", "congestion", "crowding"], "n": [3, 9, 4]}
    )
    fig = drill_cameras.by_hour(hours, "en")
    assert [t.name for t in fig.data] == ["Congestion", "Crowding"]
    assert fig.data[0].marker.color == drill_cameras.KIND_COLOURS["congestion"]
    assert list(fig.data[0].y)[18] == 9


def test_uptime_rows_and_camera_states():
    up = pd.DataFrame({"camera_id": ["CAM-1"], "name": ["Lê Lợi"], "unit_code": ["19768"], "lat": [16.4],
                       "lon": [107.5], "kind": ["traffic"], "offline_s": [7200.0], "outages": [1],
                       "offline_now": [True], "uptime_pct": [98.8]})  # fmt: skip
    assert drill_cameras.uptime_rows(up, "vi")[0] | {} == {
        "camera_id": "CAM-1", "name": "Lê Lợi", "unit": "Phú Xuân", "uptime_pct": 98.8, "outages": 1, "offline_h": 2.0,
        "offline_now": "Có",
    }  # fmt: skip
    geo = drill_cameras.cameras_geojson(up, "vi")
    assert geo["features"][0]["properties"]["k"] == 0  # offline at the end


def test_fire_levels_heatmap_and_season_bars():
    daily = pd.DataFrame({"unit_code": ["20161", "20161", "19975"], "day": [date(2026, 11, 21), date(2026, 11, 22),
                          date(2026, 11, 22)], "level": [2, 5, 3]})  # fmt: skip
    fig = drill_fire.levels_heatmap(daily, "vi")
    assert list(fig.data[0].x) == ["21/11", "22/11"]
    assert list(fig.data[0].z[0]) == [2, 5]  # the unit with the highest level comes first
    season = pd.DataFrame({"unit_code": ["20161", "19975"], "days": [4, 0], "max_level": [5, 3]})
    bars = drill_fire.season_bars(season, "vi", None)
    assert list(bars.data[0].customdata) == ["20161"]  # units with no dangerous day are left out
