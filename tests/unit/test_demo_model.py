"""The demo model: deterministic per seed and window, chunk-independent, and shaped like Huế's operations."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from data_sources import events as ev
from data_sources.core.huetime import HUE_TZ
from pipeline import facts
from pipeline.demo import load_world
from pipeline.demo import model as m
from pipeline.demo.backfill import traffic_rows

SEED = 20251123
# A Monday in late November (rainy season), 00:00 local.
MON = datetime(2026, 11, 23, tzinfo=HUE_TZ)
MONTH = (MON - timedelta(days=30), MON)


@pytest.fixture(scope="module")
def world() -> m.World:
    return load_world()


@pytest.fixture(scope="module")
def month_complaints(world) -> list[ev.ComplaintEvent]:
    return m.complaint_events(world, SEED, *MONTH)


def _window_events(world, seed, start, end, *, readings: bool = True) -> list:
    return [
        *m.camera_events(world, seed, start, end),
        *m.fire_events(world, seed, start, end),
        *m.complaint_events(world, seed, start, end),
        *(m.traffic_readings(world, seed, start, end) if readings else []),
    ]


def test_same_seed_and_window_give_identical_events_and_other_seeds_differ(world):
    start, end = MON + timedelta(hours=5), MON + timedelta(hours=9)
    first = _window_events(world, SEED, start, end)
    assert first == _window_events(world, SEED, start, end)
    other = _window_events(world, SEED + 1, start, end)
    assert {e.event_id for e in first} != {e.event_id for e in other}
    assert [e.speed_kmh for e in first if e.kind == "traffic_reading"] != [
        e.speed_kmh for e in other if e.kind == "traffic_reading"
    ]


def test_chunking_a_range_does_not_change_its_events(world):
    start, cut, end = MON + timedelta(hours=3), MON + timedelta(hours=13, minutes=17), MON + timedelta(days=1)
    whole = _window_events(world, SEED, start, end, readings=False)
    parts = _window_events(world, SEED, start, cut, readings=False) + _window_events(
        world, SEED, cut, end, readings=False
    )
    assert sorted(e.event_id for e in whole) == sorted(e.event_id for e in parts)
    assert {e.event_id: e for e in whole} == {e.event_id: e for e in parts}
    rows = traffic_rows(world, SEED, start, cut) + traffic_rows(world, SEED, cut, end)
    assert sorted(rows) == sorted(traffic_rows(world, SEED, start, end))


def test_every_event_validates_and_names_known_reference_ids(world):
    refs = facts.Refs.from_files()
    events = _window_events(world, SEED, MON - timedelta(days=1), MON, readings=False)
    events += m.traffic_readings(world, SEED, MON + timedelta(hours=16), MON + timedelta(hours=18))
    events += m.fire_events(world, SEED, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 8, tzinfo=UTC))
    assert {e.kind for e in events} == {"camera_alert", "traffic_reading", "fire_danger", "hotspot", "complaint"}
    for e in events:
        parsed = ev.parse_event(ev.KIND_STREAM[e.kind], ev.to_json(e))
        assert parsed == e
        facts.check_refs(parsed, refs)
    assert len({e.event_id for e in events}) == len(events)


def test_bulk_traffic_rows_equal_the_validated_readings(world):
    start, end = MON + timedelta(hours=17), MON + timedelta(hours=18)
    refs = facts.Refs.from_files()
    expected = sorted(facts.fact_row(e, refs)[1] for e in m.traffic_readings(world, SEED, start, end))
    assert sorted(traffic_rows(world, SEED, start, end)) == expected


def test_vectorised_levels_match_the_contract():
    rng = np.random.default_rng(1)
    ff = rng.uniform(20, 90, 5000)
    speed = np.round(ff * rng.uniform(0, 1.1, 5000), 1)
    assert m.levels_of(speed, ff).tolist() == [ev.congestion_level(s, f) for s, f in zip(speed, ff, strict=True)]


def _mean_ratio(world, local_hour: float, segments: np.ndarray, day: datetime = MON) -> float:
    t = int((day + timedelta(hours=local_hour)).timestamp())
    times = t + np.arange(0, 1800, 300)
    return float(m.traffic_ratio(world, SEED, times[:, None], segments[None, :]).mean())


def test_rush_hours_slow_the_hot_spots_most_and_kho_ren_worst_in_the_evening(world):
    hot = np.nonzero(world.a["hot"])[0]
    other = np.nonzero(~world.a["hot"])[0]
    kho_ren = np.array([i for i in hot if "Kho Rèn" in (world.segments[i]["hot_spot_name"] or "")])
    night, morning, evening = (_mean_ratio(world, h, hot) for h in (3, 7.25, 17.5))
    assert night > 0.9 and morning < 0.7 and evening < 0.5
    assert _mean_ratio(world, 17.5, other) > evening + 0.25  # elsewhere milder
    assert _mean_ratio(world, 17.5, kho_ren) < _mean_ratio(world, 17.5, np.setdiff1d(hot, kho_ren))
    saturday = MON + timedelta(days=5)
    assert _mean_ratio(world, 7.25, hot, saturday) > morning + 0.1  # weekends lighter


def test_about_eighty_complaints_a_day(month_complaints):
    received = [e for e in month_complaints if e.status == "received"]
    assert 60 <= len(received) / 30 <= 100


def test_only_urgent_complaints_arrive_between_midnight_and_half_past_seven(month_complaints):
    night = [
        e for e in month_complaints
        if e.status == "received" and e.received_at.astimezone(HUE_TZ).hour * 60
        + e.received_at.astimezone(HUE_TZ).minute < 450
    ]  # fmt: skip
    assert night and all(e.urgent for e in night)
    day = [e for e in month_complaints if e.status == "received" and e not in night]
    assert 0.02 < sum(e.urgent for e in day) / len(day) < 0.12


def test_overdue_share_of_resolved_complaints_is_between_5_and_15_percent(month_complaints):
    resolved = [e for e in month_complaints if e.status == "resolved"]
    late = sum(e.ts > e.deadline for e in resolved)
    assert 0.05 <= late / len(resolved) <= 0.15


def test_complaint_lifecycles_are_ordered_and_carry_the_right_snapshot(world, month_complaints):
    by_id: dict[str, list[ev.ComplaintEvent]] = {}
    for e in month_complaints:
        by_id.setdefault(e.complaint_id, []).append(e)
    statuses = Counter()
    for steps in by_id.values():
        assert steps[0].status == "received" and steps[0].ts == steps[0].received_at
        assert all(a.ts < b.ts for a, b in zip(steps, steps[1:], strict=False))
        assert all(s.deadline > s.received_at for s in steps)
        for s in steps:
            statuses[s.status] += 1
            assert (s.agency_code is not None) == (s.status in ("dispatched", "in_progress", "resolved", "rated"))
            assert (s.rating is not None) == (s.status == "rated")
            assert (s.result is not None) == (s.status in ("resolved", "rejected", "rated"))
    assert 0.01 < statuses["rejected"] / statuses["received"] < 0.06
    assert 0.6 < statuses["rated"] / statuses["resolved"] < 0.9
    channels = Counter(s.channel for s in month_complaints if s.status == "received")
    assert channels.most_common(1)[0][0] == "hue_s"
    ratings = [s.rating for s in month_complaints if s.status == "rated"]
    assert sum(r >= 4 for r in ratings) / len(ratings) > 0.7


def test_complaints_prefer_the_units_own_committee_and_urban_units(world, month_complaints):
    agencies = {a["agency_code"]: a for a in world.agencies}
    dispatched = [e for e in month_complaints if e.status == "dispatched"]
    for e in dispatched:
        assert e.category in agencies[e.agency_code]["cats"]
    own = [e for e in dispatched if agencies[e.agency_code].get("unit_code") == e.unit_code]
    assert len(own) / len(dispatched) > 0.4
    urban = sum(e.unit_code in world.a["urban"] for e in dispatched)
    assert urban / len(dispatched) > 0.75
    assert any(e.title.startswith("Đèn đường hỏng trên đường ") for e in month_complaints)


def test_lifecycle_is_a_pure_function_of_seed_id_and_received_time(world, month_complaints):
    first = month_complaints[0]
    again = m.complaint_lifecycle(world, SEED, first.complaint_id, int(first.received_at.timestamp()))
    assert again == [e for e in month_complaints if e.complaint_id == first.complaint_id]


def test_camera_alert_mix_and_plate_shapes(world):
    alerts = [e for e in m.camera_events(world, SEED, MON - timedelta(days=7), MON) if e.kind == "camera_alert"]
    per_day = len(alerts) / 7
    assert 200 <= per_day <= 1500
    kinds = Counter(a.alert_type for a in alerts)
    assert kinds["congestion"] > kinds["crowding"] > kinds["plate_watchlist"] > kinds["face_match"]
    assert kinds["camera_offline"] == kinds["camera_online"] > 0
    plate = re.compile(r"^(75|43|92|74|29|51)(A|B|C|D|H|LD)-(\d{3}\.\d{2}|\d{4})$")
    assert all(plate.match(a.plate) for a in alerts if a.alert_type == "plate_watchlist")
    severity = {a.alert_type: a.severity for a in alerts}
    assert severity["plate_watchlist"] == "high" and severity["face_match"] == "critical"
    assert severity["congestion"] == "medium" and severity["camera_offline"] == "low"


def test_fire_danger_follows_the_seasons_and_hotspots_land_in_forest(world):
    nov = [e for e in m.fire_events(world, SEED, *MONTH) if e.kind == "fire_danger"]
    levels = Counter(e.level for e in nov)
    assert (levels[1] + levels[2]) / len(nov) > 0.75 and levels[5] == 0
    assert {e.unit_code for e in nov} == set(world.a["forest_units"])
    june = m.fire_events(world, SEED, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))
    june_levels = [e.level for e in june if e.kind == "fire_danger"]
    assert np.mean(june_levels) >= 3.5
    spots = [e for e in june if e.kind == "hotspot"]
    assert len(spots) > 5 * sum(e.kind == "hotspot" for e in m.fire_events(world, SEED, *MONTH))
    areas = {a["area_id"]: a for a in world.forest_areas}
    assert all(m.inside(areas[h.area_id]["rings"], h.lon, h.lat) for h in spots)
    assert {h.source for h in spots} <= {"VIIRS_NOAA20", "VIIRS_SNPP", "MODIS"}
