"""Data-layer scoping, masking and audit, through the query functions and through crafted HTTP requests."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import text

from data_sources import camera_query, complaints_query, privacy, reference
from data_sources.viewer import AccessDenied, Viewer
from pipeline import facts
from tests import factories as f
from tests.auth_helpers import PAGE, two_commune_agencies

HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>'
INJECTIONS = ("' OR 1=1 --", "x'; DROP TABLE complaints; --", "%' OR '%'='", "\\", "_%")


@pytest.fixture
def world(engine, clean_facts, accounts):
    """Complaints of agency X (unit X) and agency Y (units Y and X), camera alerts with plates in both units."""
    x, y = two_commune_agencies()
    ux, uy = x["unit_code"], y["unit_code"]
    cams = reference.load_files()["cameras"]
    cam_x = next(c["camera_id"] for c in cams if c["unit_code"] == ux)
    cam_y = next(c["camera_id"] for c in cams if c["unit_code"] == uy)
    events = [
        f.complaint(1, complaint_id="PA-X1", unit_code=ux, agency_code=x["agency_code"], status="dispatched"),
        f.complaint(2, complaint_id="PA-X2", unit_code=ux, agency_code=x["agency_code"], status="in_progress",
                    title=HOSTILE, description="=HYPERLINK(\"http://evil.example\",\"click\")"),
        f.complaint(3, complaint_id="PA-Y1", unit_code=uy, agency_code=y["agency_code"], status="dispatched"),
        # Agency Y working inside unit X: X's head must still not see it (agency AND unit, never OR).
        f.complaint(4, complaint_id="PA-Y2", unit_code=ux, agency_code=y["agency_code"], status="dispatched"),
        f.camera(1, camera_id=cam_x, plate="75A-123.45", ts=f.T0),
        f.camera(2, camera_id=cam_y, plate="75B-678.90", ts=f.T0 + timedelta(seconds=1)),
        f.camera(3, camera_id=cam_y, alert_type="face_match", plate=None, person_name="Nguyễn Văn A",
                 ts=f.T0 + timedelta(seconds=2)),
    ]  # fmt: skip
    with engine.begin() as conn:
        facts.write_events(conn, events, facts.Refs.from_files())
    return {"x": x, "y": y, "ux": ux, "uy": uy}


def _viewer(accounts, key: str) -> Viewer:
    a = accounts[key]
    cleared = a["role"] in ("officer", "admin") and a.get("personal_data", True)
    return Viewer(
        role=a["role"],
        username=a["username"],
        agency_code=a.get("agency_code"),
        unit_codes=tuple(a.get("unit_codes", ())),
        cleared_for_personal_data=cleared,
    )


def _ids(rows, key="complaint_id") -> set[str]:
    return {r[key] for r in rows}


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.text)))


# ---------------------------------------------------------------- scoping in the data layer


def test_dept_head_sees_only_their_agency_in_their_units(world, accounts, engine):
    head_x = _viewer(accounts, "dept_head")
    assert _ids(complaints_query.list_complaints(viewer=head_x, engine=engine)) == {"PA-X1", "PA-X2"}
    # Y's head is limited to unit Y: Y's own complaint inside unit X is outside that scope too.
    assert _ids(complaints_query.list_complaints(viewer=_viewer(accounts, "dept_head_y"))) == {"PA-Y1"}
    assert _ids(complaints_query.list_complaints(viewer=_viewer(accounts, "officer"))) == {
        "PA-X1", "PA-X2", "PA-Y1", "PA-Y2",
    }  # fmt: skip


def test_filters_can_only_narrow_a_dept_heads_scope(world, accounts):
    head_x = _viewer(accounts, "dept_head")
    assert complaints_query.list_complaints(viewer=head_x, agency_code=world["y"]["agency_code"]) == []
    assert complaints_query.list_complaints(viewer=head_x, unit_codes=[world["uy"]]) == []
    assert complaints_query.list_complaints(viewer=head_x, unit_codes=[world["ux"], world["uy"]], limit=10**9)
    counts = complaints_query.count_complaints(viewer=head_x, by="status")
    assert sum(counts.values()) == 2


def test_sql_injection_in_filters_matches_nothing_and_breaks_nothing(world, accounts, engine):
    officer = _viewer(accounts, "officer")
    for attack in INJECTIONS:
        assert complaints_query.list_complaints(viewer=officer, search=attack) == [], attack
        assert complaints_query.list_complaints(viewer=officer, statuses=[attack]) == [], attack
        assert complaints_query.list_complaints(viewer=officer, agency_code=attack) == [], attack
        assert camera_query.list_camera_alerts(viewer=officer, camera_id=attack) == [], attack
    with pytest.raises(ValueError):
        complaints_query.count_complaints(viewer=officer, by="unit_code; DROP TABLE complaints")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM complaints")).scalar_one() == 4


def test_wall_displays_get_aggregates_never_rows(world, accounts):
    wall = Viewer(role="wall", username="test wall")
    with pytest.raises(AccessDenied):
        complaints_query.list_complaints(viewer=wall)
    with pytest.raises(AccessDenied):
        camera_query.list_camera_alerts(viewer=wall)
    assert sum(complaints_query.count_complaints(viewer=wall).values()) == 4
    assert camera_query.count_camera_alerts(viewer=wall) == {"plate_watchlist": 2, "face_match": 1}


# ---------------------------------------------------------------- masking and audit


def test_masking_per_role_and_audit_of_unmasked_views(world, accounts, engine):
    # Other tests in the session audit views by the same test accounts: look only at rows written here.
    before = max((r["audit_id"] for r in privacy.recent_audit(engine, limit=1)), default=0)
    rows = {key: camera_query.list_camera_alerts(viewer=_viewer(accounts, key)) for key in accounts if key != "wall"}
    plates = {key: {r["plate"] for r in rs if r["plate"]} for key, rs in rows.items()}
    names = {key: {r["person_name"] for r in rs if r["person_name"]} for key, rs in rows.items()}
    assert plates["officer"] == plates["admin"] == {"75A-123.45", "75B-678.90"}
    assert names["officer"] == {"Nguyễn Văn A"}
    assert plates["officer_masked"] == {"75A-***.45", "75B-***.90"} and names["officer_masked"] == {"***"}
    # The dept_head of X sees only unit X's camera, masked.
    assert plates["dept_head"] == {"75A-***.45"} and names["dept_head"] == set()
    audited = [
        r for r in privacy.recent_audit(engine, actions=["view_personal_data"], limit=20) if r["audit_id"] > before
    ]
    by_actor = {row["actor"]: row for row in reversed(audited)}  # newest row per actor wins
    assert set(by_actor) >= {accounts["officer"]["username"], accounts["admin"]["username"]}
    for masked in ("officer_masked", "dept_head", "dept_head_y"):
        assert accounts[masked]["username"] not in by_actor
    detail = by_actor[accounts["officer"]["username"]]["detail"]
    assert detail["count"] == 3 and set(detail["ids"]) == {"t-cam-1", "t-cam-2", "t-cam-3"}
    assert by_actor[accounts["officer"]["username"]]["subject"] == "camera_alerts"


def test_the_reporter_of_a_complaint_exists_nowhere(engine):
    """No column, no contract field: there is nothing that could leak."""
    from data_sources import events

    assert not any("report" in name for name in events.ComplaintEvent.model_fields if name != "reported_at")
    with engine.connect() as conn:
        columns = conn.execute(
            text("SELECT column_name FROM information_schema.columns WHERE table_name = 'complaints'")
        ).scalars()
        assert not [c for c in columns if "reporter" in c or "phone" in c or "citizen" in c]


# ---------------------------------------------------------------- the same through crafted HTTP requests


def test_crafted_export_requests_cannot_reach_another_agency(world, auth_client):
    client = auth_client("dept_head")
    y = world["y"]["agency_code"]
    base = "/export/complaints.csv"
    assert _ids(_csv(client.get(base))) == {"PA-X1", "PA-X2"}
    for query in (f"?agency={y}", f"?unit={world['uy']}", f"?agency={y}&unit={world['ux']}", "?limit=999999"):
        rows = _csv(client.get(base + query))
        assert all(r["agency_code"] == world["x"]["agency_code"] for r in rows), query
    for attack in INJECTIONS:
        for name in ("q", "status", "agency", "unit", "since", "limit"):
            response = client.get(base, query_string={name: attack})
            if response.status_code == 400:  # refused at the export boundary (not a date, controls): nothing leaked
                assert b"PA-Y" not in response.data
                continue
            assert not {"PA-Y1", "PA-Y2"} & _ids(_csv(response)), (name, attack)
    wall = auth_client("wall")
    assert wall.get(base, headers={"Accept": "text/csv"}).status_code == 403
    assert wall.get(base, headers=PAGE).location == "/wall"


def test_exports_mask_and_audit_like_the_pages(world, auth_client, engine, accounts):
    officer = _csv(auth_client("officer").get("/export/camera_alerts.csv"))
    assert {r["plate"] for r in officer if r["plate"]} == {"75A-123.45", "75B-678.90"}
    row = privacy.recent_audit(engine, actor=accounts["officer"]["username"], actions=["view_personal_data"])[0]
    assert row["remote_addr"] == "127.0.0.1"
    head = _csv(auth_client("dept_head").get("/export/camera_alerts.csv"))
    assert [r["plate"] for r in head] == ["75A-***.45"]


def test_exported_text_is_text_not_a_formula_or_markup(world, auth_client):
    response = auth_client("officer").get("/export/complaints.csv")
    rows = {r["complaint_id"]: r for r in _csv(response)}
    assert rows["PA-X2"]["description"].startswith("'=HYPERLINK")
    assert rows["PA-X2"]["title"] == HOSTILE  # literal text in a text/csv download that browsers do not sniff
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
