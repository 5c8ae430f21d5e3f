"""The wall's history sparklines from change lists (pure; the PostgreSQL reads are in integration/test_wall_live.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data_sources import wall_history


def test_fire_series_steps_with_each_change_and_takes_the_highest_scope_per_unit():
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    before = [{"unit_code": "A", "area_id": None, "level": 4}, {"unit_code": "B", "area_id": None, "level": 2}]
    during = [
        {"unit_code": "B", "area_id": "F1", "level": 5, "ts": start + timedelta(minutes=10, seconds=5)},
        {"unit_code": "A", "area_id": None, "level": 1, "ts": start + timedelta(minutes=30)},
    ]
    series = wall_history.fire_series(before, during, start=start, minutes=40)
    assert series[:10] == [1] * 10 and series[10:30] == [2] * 20 and series[30:] == [1] * 10


def test_open_series_walks_back_from_now():
    # 3 received in minute 2 and 1 closed in minute 1: before them there were 3 fewer, then 1 more.
    assert wall_history.open_series(10, {2: 3}, {1: 1}, minutes=4) == [8, 7, 10, 10]
