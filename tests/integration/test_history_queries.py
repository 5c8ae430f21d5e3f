"""History queries on crafted data: the numbers are right, and a department head's scope is enforced in SQL."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy import text

from data_sources import reference
from data_sources.core.cache import cache
from data_sources.history import cameras, complaints, fire, traffic
from data_sources.history.common import Window
from data_sources.viewer import Viewer
from pipeline import facts
from tests import factories as f
from tests.auth_helpers import two_commune_agencies

T0 = f.T0
WEEK = Window(T0 - timedelta(days=7), T0, "hour")
OFFICER = Viewer(role="officer", username="t-officer", cleared_for_personal_data=True)
MASKED = Viewer(role="officer", username="t-officer-masked")


@pytest.fixture
def ctx(live_env):
    """An application context for flask-caching, with an empty cache."""
    app = Flask(__name__)
    cache.init_app(app)
    with app.app_context():
        cache.clear()
        yield


def _complaint(i, cid, unit, agency, received, deadline, steps):
    """Lifecycle events of one report: steps is [(status, ts, extra)]."""
    base = {"complaint_id": cid, "unit_code": unit, "agency_code": agency, "received_at": received,
            "deadline": deadline}  # fmt: skip
    return [f.complaint(i * 10 + k, status=s, ts=ts, **base, **extra) for k, (s, ts, extra) in enumerate(steps)]


@pytest.fixture
def world(engine, clean_facts, ctx):
    x, y = two_commune_agencies()
    ux, uy, ax, ay = x["unit_code"], y["unit_code"], x["agency_code"], y["agency_code"]
    cams = reference.load_files()["cameras"]
    cam_x = next(c["camera_id"] for c in cams if c["unit_code"] == ux)
    cam_y = next(c["camera_id"] for c in cams if c["unit_code"] == uy)
    seg_x = next(s["segment_id"] for s in reference.load_files()["road_segments"] if s["unit_code"] == ux)
    seg_y = next(s["segment_id"] for s in reference.load_files()["road_segments"] if s["unit_code"] == uy)
    d, h = timedelta(days=1), timedelta(hours=1)
    events = [
        *_complaint(1, "PA-C1", ux, ax, T0 - 3 * d, T0 - d,
                    [("received", T0 - 3 * d, {}), ("resolved", T0 - 2 * d, {}), ("rated", T0 - d, {"rating": 5})]),
        *_complaint(2, "PA-C2", ux, ax, T0 - 3 * d, T0 - 2 * d,
                    [("received", T0 - 3 * d, {}), ("resolved", T0 - d, {})]),
        *_complaint(3, "PA-C3", ux, ax, T0 - 2 * d, T0 - d, [("received", T0 - 2 * d, {})]),
        *_complaint(4, "PA-C4", ux, ax, T0 - h, T0 + 5 * d, [("received", T0 - h, {})]),
        *_complaint(5, "PA-C5", uy, ay, T0 - 2 * d, T0 + 2 * h, [("received", T0 - 2 * d, {})]),
        *_complaint(6, "PA-C6", ux, ay, T0 - 2 * d, T0 - d, [("received", T0 - 2 * d, {})]),
        # Camera X: an outage that began before the window (1 h of it inside), one of 2 h, one still open (1 h).
        f.camera(1, camera_id=cam_x, alert_type="camera_offline", severity="low", plate=None, ts=T0 - 8 * d),
        f.camera(2, camera_id=cam_x, alert_type="camera_online", severity="low", plate=None, ts=T0 - 7 * d + h),
        f.camera(3, camera_id=cam_x, alert_type="camera_offline", severity="low", plate=None, ts=T0 - 2 * d),
        f.camera(4, camera_id=cam_x, alert_type="camera_online", severity="low", plate=None, ts=T0 - 2 * d + 2 * h),
        f.camera(5, camera_id=cam_x, alert_type="camera_offline", severity="low", plate=None, ts=T0 - h),
        f.camera(6, camera_id=cam_x, plate="75A-123.45", ts=T0 - 3 * h),
        f.camera(7, camera_id=cam_y, plate="75B-678.90", ts=T0 - 3 * h),
        f.traffic(1, segment_id=seg_x, speed=5.0, ts=T0 - 3 * h),
        f.traffic(2, segment_id=seg_y, speed=35.0, ts=T0 - 3 * h),
        f.danger(1, unit_code=ux, level=4, ts=T0 - 3 * d),
        f.danger(2, unit_code=ux, level=5, ts=T0 - 2 * d),
        f.danger(3, unit_code=ux, level=4, ts=T0 - 2 * d + h),  # same local day: counts once
        f.danger(4, unit_code=uy, level=4, ts=T0 - d),
    ]  # fmt: skip
    with engine.begin() as conn:
        facts.write_events(conn, events, facts.Refs.from_files())
        facts.refresh_traffic_rollup(conn, T0 - d)
    head = Viewer(role="dept_head", username="t-head", agency_code=ax, unit_codes=(ux,))
    return {"ux": ux, "uy": uy, "ax": ax, "ay": ay, "cam_x": cam_x, "cam_y": cam_y, "seg_x": seg_x, "seg_y": seg_y,
            "head": head}  # fmt: skip


def test_history010_complaint_figures(world):
    head = world["head"]
    row = complaints.breakdown(viewer=head, window=WEEK).iloc[0]
    assert (row.received, row.handled, row.open, row.overdue, row.due, row.on_time) == (4, 2, 2, 1, 3, 1)
    assert row.on_time_pct == pytest.approx(100 / 3)
    assert row.median_hours == pytest.approx(36.0)  # 24 h (first resolution, not the rating) and 48 h
    assert complaints.breakdown(viewer=OFFICER, window=WEEK).iloc[0].received == 6
    by_agency = complaints.breakdown(viewer=OFFICER, window=WEEK, by="agency").set_index("key")
    assert set(by_agency.index) == {world["ax"], world["ay"]}
    assert complaints.ratings(viewer=head, window=WEEK).to_dict("records") == [{"rating": 5, "n": 1}]
    # The page reads the same figures from one GROUPING SETS scan.
    parts = complaints.summary(viewer=OFFICER, window=WEEK)
    for by in ("all", "agency", "category", "channel"):
        expected = complaints.breakdown(viewer=OFFICER, window=WEEK, by=by)
        pd.testing.assert_frame_equal(parts[by], expected, check_dtype=False)
    assert complaints.summary(viewer=head, window=WEEK, unit=world["uy"])["all"].iloc[0].received == 0


def test_history011_due_list_and_backlog(world):
    head = world["head"]
    due = complaints.due(viewer=head, now=T0)
    assert list(due.complaint_id) == ["PA-C3"] and due.late_hours.iloc[0] == pytest.approx(24.0)
    everyone = complaints.due(viewer=OFFICER, now=T0).set_index("complaint_id")
    assert set(everyone.index) == {"PA-C3", "PA-C5", "PA-C6"}
    assert everyone.loc["PA-C5", "late_hours"] == pytest.approx(-2.0)  # due in two hours
    backlog = complaints.backlog(viewer=head, window=WEEK).set_index("bucket_end")
    assert backlog.loc[T0, "open"] == 2 and backlog.loc[T0, "overdue"] == 1
    assert backlog.loc[T0 - 2 * timedelta(days=1) - timedelta(hours=1), "open"] == 2  # C1 and C2, before C3


def test_history012_a_department_head_sees_only_their_scope(world):
    head, ux = world["head"], world["ux"]
    assert set(traffic.segments(viewer=head, window=WEEK).unit_code) == {ux}
    assert set(traffic.units(viewer=head, window=WEEK).unit_code) == {ux}
    assert set(cameras.by_unit_kind(viewer=head, window=WEEK).unit_code) == {ux}
    assert set(cameras.uptime(viewer=head, window=WEEK).unit_code) == {ux}
    assert set(fire.daily_levels(viewer=head, window=WEEK).unit_code) == {ux}
    # All four of the head's reports sit at the factory's default position: one group at any zoom.
    spot = complaints.clusters(viewer=head, window=WEEK, zoom=complaints.SINGLE_ZOOM).iloc[0]
    assert (spot.n, spot.late, spot.open) == (4, 2, 1)  # C2 and C3 late, C4 open, C1 done on time
    assert spot.id == "PA-C4"  # the newest there opens on a click
    assert complaints.clusters(viewer=OFFICER, window=WEEK, zoom=10).n.sum() > 4
    # Asking for another unit through the filter only narrows the scope: nothing comes back.
    assert traffic.segments(viewer=head, window=WEEK, unit=world["uy"]).empty
    assert complaints.breakdown(viewer=head, window=WEEK, unit=world["uy"]).iloc[0].received == 0
    # Items outside the scope are indistinguishable from items that do not exist.
    assert traffic.segment(viewer=head, segment_id=world["seg_y"]) is None
    assert cameras.camera(viewer=head, camera_id=world["cam_y"]) is None
    assert complaints.detail(viewer=head, complaint_id="PA-C6") is None
    detail = complaints.detail(viewer=head, complaint_id="PA-C1")
    assert [s["status"] for s in detail["steps"]] == ["received", "resolved", "rated"]


def test_history013_uptime_counts_outages_across_the_window_edges(world):
    up = cameras.uptime(viewer=OFFICER, window=WEEK, camera_id=world["cam_x"]).iloc[0]
    assert up.offline_s == pytest.approx(4 * 3600)  # 1 h carried in + 2 h + 1 h still open at the end
    assert up.outages == 2 and bool(up.offline_now)
    assert up.uptime_pct == pytest.approx(100 - 4 / (7 * 24) * 100)
    others = cameras.uptime(viewer=OFFICER, window=WEEK)
    assert (others.set_index("camera_id").drop(world["cam_x"]).uptime_pct == 100).all()
    # The item page's one round trip: the same uptime row as a dict, the series as a frame; none out of scope.
    series, row = cameras.camera_page(viewer=OFFICER, window=WEEK, camera_id=world["cam_x"])
    assert row["offline_s"] == pytest.approx(4 * 3600) and row["outages"] == 2 and row["offline_now"] is True
    assert row["uptime_pct"] == pytest.approx(up.uptime_pct)
    assert isinstance(series, pd.DataFrame)
    assert cameras.camera_page(viewer=world["head"], window=WEEK, camera_id=world["cam_y"])[1] is None


def test_history014_plate_hits_are_masked_by_role_and_audited(world, engine):
    def audits() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'view_personal_data'")).scalar()

    before = audits()
    head_rows = cameras.plate_hits(viewer=world["head"], window=WEEK)
    assert [r["plate"] for r in head_rows] == ["75A-***.45"]  # own unit only, masked
    assert {r["plate"] for r in cameras.plate_hits(viewer=MASKED, window=WEEK)} == {"75A-***.45", "75B-***.90"}
    assert audits() == before  # masked views are not personal-data views
    assert {r["plate"] for r in cameras.plate_hits(viewer=OFFICER, window=WEEK)} == {"75A-123.45", "75B-678.90"}
    assert audits() == before + 1
    cameras.plate_hits(viewer=OFFICER, window=WEEK)  # never cached: a second look is audited too
    assert audits() == before + 2


def test_history019_the_audit_write_commits_on_its_own_and_a_failed_one_shows_no_rows(world, engine, monkeypatch):
    from sqlalchemy import exc as sa_exc

    from data_sources import privacy
    from data_sources.core.connections import get_engine
    from data_sources.history.common import write_async_commit

    write_async_commit(privacy.audit_insert(actor="t-async", role="officer", action="view_personal_data"))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log WHERE actor = 't-async'")).scalar() == 1
    # The pooled connection is back with no transaction left open (SET LOCAL ended with it).
    with get_engine().connect() as conn:
        raw = conn.connection.driver_connection
        assert raw.info.transaction_status.name == "IDLE"
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"

    # An audit row that cannot be written: the call fails and the viewer gets no unmasked rows.
    broken = privacy.audit_insert(actor=None, role="officer", action="view_personal_data")  # actor is NOT NULL
    monkeypatch.setattr(privacy, "view_audit", lambda *a, **k: broken)
    with pytest.raises(sa_exc.DBAPIError):
        cameras.plate_hits(viewer=OFFICER, window=WEEK)
    monkeypatch.undo()
    assert [r["plate"] for r in cameras.plate_hits(viewer=world["head"], window=WEEK)] == ["75A-***.45"]


def test_history015_fire_levels_and_season_days(world):
    daily = fire.daily_levels(viewer=OFFICER, window=WEEK)
    assert daily["level"].max() == 5
    season = fire.season_days(viewer=OFFICER, until=T0).set_index("unit_code")
    assert season.loc[world["ux"], "days"] == 2 and season.loc[world["uy"], "days"] == 1


def test_history016_traffic_congestion_by_segment_and_week_on_week(world):
    segs = traffic.segments(viewer=OFFICER, window=WEEK).set_index("segment_id")
    assert segs.loc[world["seg_x"], "heavy_pct"] == 100.0 and segs.loc[world["seg_y"], "heavy_pct"] == 0.0
    assert list(segs.index[:1]) == [world["seg_x"]]  # worst first
    compare = traffic.compare(viewer=OFFICER, window=WEEK)
    assert set(compare.period) == {"this"}  # nothing a week earlier
    history = traffic.segment_history(viewer=OFFICER, window=WEEK, segment_id=world["seg_x"])
    assert history.avg_speed.tolist() == [5.0]
