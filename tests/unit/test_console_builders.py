"""Console queue rules and row builders, without a browser or a database."""

from __future__ import annotations

from data_sources import console, reference
from data_sources.viewer import Viewer
from ui import console_detail, console_rows

NOW = 1_800_000_000.0
CAM = next(iter(reference.places()["cameras"]))


def _cam(alert_type: str, severity: str, **extra) -> dict:
    return {"kind": "camera_alert", "event_id": f"e-{alert_type}-{severity}", "ts": NOW - 60, "camera_id": CAM,
            "alert_type": alert_type, "severity": severity, **extra}  # fmt: skip


def _complaint(**extra) -> dict:
    base = {"kind": "complaint", "event_id": "pa-1", "ts": NOW - 60, "complaint_id": "PA-1", "status": "received",
            "unit_code": "19768", "lat": 16.47, "lon": 107.58, "title": "Ngập"}  # fmt: skip
    base["deadline"] = NOW + 3 * 86400
    return {**base, **extra}


def test_console_unit001_which_events_need_a_person():
    assert console.classify(_cam("plate_watchlist", "low"), now=NOW)["severity"] == "low"
    assert console.classify(_cam("crowding", "medium"), now=NOW) is None
    assert console.classify(_cam("crowding", "high"), now=NOW) is not None
    assert console.classify(_cam("camera_online", "critical"), now=NOW) is None
    fire = {"kind": "fire_danger", "event_id": "fd", "ts": NOW, "unit_code": "19768", "level": 3}
    assert console.classify(fire, now=NOW) is None
    assert console.classify({**fire, "level": 5}, now=NOW)["severity"] == "critical"
    assert console.classify(_complaint(), now=NOW) is None
    assert console.classify(_complaint(urgent=True), now=NOW)["type"] == "complaint_urgent"
    assert console.classify(_complaint(deadline=NOW + 3600), now=NOW)["type"] == "complaint_due"
    overdue = console.classify(_complaint(deadline=NOW - 1), now=NOW)
    assert overdue["type"] == "complaint_overdue" and overdue["alert_id"] == "complaint:PA-1"
    assert console.classify(_complaint(urgent=True, status="resolved"), now=NOW) is None


def test_console_unit002_rows_sorted_by_severity_then_time_and_masked():
    items = [
        console.classify(_cam("plate_watchlist", "high", plate="75A-123.45"), now=NOW),
        {**console.classify(_cam("fire_smoke", "critical"), now=NOW), "ts": NOW - 3000},
        {**console.classify(_cam("face_match", "critical", person_name="X"), now=NOW), "alert_id": "late"},
    ]
    viewer = Viewer(role="officer", username="t-masked")
    masked = [{**i, **console.privacy.mask_row(i, viewer)} for i in items]
    rows = console_rows.grid_rows(masked, {}, lang="vi", units=reference.places()["units"])
    assert [r["severity"] for r in rows] == ["critical", "critical", "high"]
    assert rows[0]["alert_id"] == "late"  # newer critical first
    assert rows[2]["ref"].startswith("75A-***.45") and rows[0]["ref"].startswith("***")
    assert rows[0]["state"] == "new" and rows[0]["version"] == 0 and rows[0]["state_label"] == "Mới"


def test_console_unit003_state_update_and_detail_panel():
    item = console.classify(_cam("fire_smoke", "critical"), now=NOW)
    row = console_rows.grid_row(item, None, lang="en", units={})
    done = console_rows.with_state(row, {"state": "acknowledged", "version": 1, "updated_by": "t-a"}, lang="en")
    assert (done["state_label"], done["version"], done["by"]) == ("Acknowledged", 1, "t-a")
    cams = console.nearby_cameras(row["lat"], row["lon"])
    assert any(c["camera_id"] == CAM for c in cams)
    panel = console_detail.detail(done, [], cams, "en")
    assert "No action yet." in str(panel)
    assert "Pick an alert" in str(console_detail.detail(None, [], [], "en"))


def test_console_unit004_every_alert_type_and_state_is_translated():
    from ui.i18n import CATALOG

    types = {"plate_watchlist", "face_match", "fire_smoke", "congestion", "crowding", "camera_offline", "hotspot",
             "fire_level_4", "fire_level_5", "complaint_urgent", "complaint_due", "complaint_overdue"}  # fmt: skip
    states = {"new", "acknowledged", "assigned", "escalated", "resolved", "reopened"}
    keys = {f"console.type.{x}" for x in types} | {f"console.state.{x}" for x in states}
    for key in keys:
        assert CATALOG[key]["vi"] and CATALOG[key]["en"], key


def test_console_unit010_banner_says_down_and_hides_when_up():
    from ui import console_status

    children, cls, state = console_status.banner(redis_ok=False, lang="vi")
    assert state == "down" and "console-banner-down" in cls
    assert "Mất kết nối Redis" in str(children)
    children, cls, state = console_status.banner(redis_ok=False, lang="en")
    assert "Redis unreachable" in str(children)
    assert console_status.banner(redis_ok=True, lang="en") == ([], "console-banner console-banner-up", "up")


def test_console_unit011_fire_danger_needs_a_person_only_when_it_rises_to_iv():
    fire = {"kind": "fire_danger", "event_id": "fd", "ts": NOW, "unit_code": "19768", "level": 4}
    assert console.classify(fire, now=NOW, prev_level=3)["type"] == "fire_level_4"
    assert console.classify(fire, now=NOW, prev_level=None) is not None  # a first reading at IV is a rise
    assert console.classify(fire, now=NOW, prev_level=4) is None  # still IV: already in the queue once
    assert console.classify(fire, now=NOW, prev_level=5) is None  # falling to IV is no new danger
    assert console.classify({**fire, "level": 5}, now=NOW, prev_level=4)["severity"] == "critical"
    assert console.classify({**fire, "level": 3}, now=NOW, prev_level=1) is None


def test_console_unit012_state_patch_carries_only_the_workflow_fields():
    state = {"state": "escalated", "version": 3, "updated_by": "t-b", "assignee": "agency:CA-TP", "comment": "x"}
    patch = console_rows.state_patch("a-1", state, lang="vi")
    assert patch == {"alert_id": "a-1", "state": "escalated", "state_label": "Đã chuyển cấp", "version": 3,
                     "by": "t-b", "assignee": "CA-TP"}  # fmt: skip
    assert console_rows.state_patch("a-2", None, lang="en")["state_label"] == "New"


def test_console_unit013_assignee_picklist_labels():
    police = {"value": "agency:CA-TP", "kind": "agency", "code": "CA-TP", "name": "Công an", "name_en": "City police"}
    people = [police, {"value": "officer:t-a", "kind": "officer", "code": "t-a", "name": "Anh A", "name_en": "Anh A"}]
    assert console_rows.assignee_options(people, "vi") == [
        {"label": "Cơ quan · CA-TP – Công an", "value": "agency:CA-TP"},
        {"label": "Cán bộ · t-a – Anh A", "value": "officer:t-a"},
    ]
    assert console_rows.assignee_options(people, "en")[0]["label"] == "Agency · CA-TP – City police"
    assert console_rows.assignee_label("officer:t-a") == "t-a" and console_rows.assignee_label(None) == ""
