"""URL state of the drill-down pages: parse, change, serialise, window (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from data_sources.core.huetime import HUE_TZ
from ui.drill_state import (
    MAX_CUSTOM_DAYS,
    DrillState,
    change,
    from_store,
    parse,
    to_search,
    to_store,
    window,
)

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 14, 37, 12, tzinfo=HUE_TZ)
UNITS = {"19768", "19786"}


def _query(search: str) -> dict:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(search.lstrip("?")))


def test_defaults_and_garbage_fall_back_instead_of_failing():
    assert parse({}, today=TODAY) == DrillState()
    bad = {"range": "1y", "unit": "99999", "agency": "NOPE", "lang": "fr", "from": "yesterday"}
    assert parse(bad, today=TODAY, units=UNITS) == DrillState()
    assert parse({"unit": ["19768"]}, today=TODAY, units=UNITS).unit is None  # lists are not codes


@pytest.mark.parametrize(
    "state",
    [
        DrillState(),
        DrillState(range="24h", unit="19768", lang="en"),
        DrillState(range="custom", start=date(2026, 10, 1), end=date(2026, 10, 31), unit="19786"),
        DrillState(range="90d", agency="UB-PHUXUAN"),
    ],
)
def test_the_url_reproduces_the_state(state):
    again = parse(_query(to_search(state)), today=TODAY, units=UNITS, agencies={"UB-PHUXUAN"})
    assert again == state
    assert to_search(again) == to_search(state)  # one view, one URL


def test_custom_ranges_are_ordered_bounded_and_dated():
    assert parse({"range": "custom"}, today=TODAY) == DrillState(range="custom", start=date(2026, 11, 17), end=TODAY)
    swapped = parse({"range": "custom", "from": "2026-11-20", "to": "2026-11-01"}, today=TODAY)
    assert (swapped.start, swapped.end) == (date(2026, 11, 1), date(2026, 11, 20))
    future = parse({"range": "custom", "from": "2026-11-20", "to": "2027-01-01"}, today=TODAY)
    assert future.end == TODAY
    long = parse({"range": "custom", "from": "2000-01-01", "to": "2026-11-23"}, today=TODAY)
    assert (long.end - long.start).days == MAX_CUSTOM_DAYS - 1


def test_change_applies_and_clears():
    state = DrillState(range="custom", start=date(2026, 11, 1), end=date(2026, 11, 5), unit="19768")
    assert change(state, TODAY, range="7d") == DrillState(range="7d", unit="19768")  # dates go with "custom"
    assert change(state, TODAY, unit="").unit is None  # a cleared dropdown clears the filter
    assert change(state, TODAY, start="2026-11-02", end=None).start == date(2026, 11, 2)


def test_windows_are_aligned_and_stable_for_five_minutes():
    w24 = window(DrillState(range="24h"), NOW)
    assert w24.until == datetime(2026, 11, 23, 14, 40, tzinfo=HUE_TZ)  # next 5-minute boundary
    assert w24.since == datetime(2026, 11, 22, 15, 0, tzinfo=HUE_TZ) and w24.grain == "hour"
    assert window(DrillState(range="24h"), NOW + timedelta(minutes=2)) == w24  # same cache key
    assert window(DrillState(range="7d"), NOW).since == datetime(2026, 11, 16, 15, 0, tzinfo=HUE_TZ)
    w30 = window(DrillState(range="30d"), NOW)
    assert (w30.since, w30.grain) == (datetime(2026, 10, 25, tzinfo=HUE_TZ), "day")
    assert window(DrillState(range="90d"), NOW).days == (date(2026, 8, 26), date(2026, 11, 24))
    custom = window(DrillState(range="custom", start=date(2026, 11, 1), end=date(2026, 11, 3)), NOW)
    assert (custom.since, custom.until, custom.grain) == (
        datetime(2026, 11, 1, tzinfo=HUE_TZ),
        datetime(2026, 11, 4, tzinfo=HUE_TZ),
        "hour",
    )
    today = window(DrillState(range="custom", start=TODAY, end=TODAY), NOW)
    assert today.until == w24.until  # never past now


def test_the_store_round_trips_and_refuses_what_the_url_could_not_ask_for():
    state = DrillState(range="custom", start=date(2026, 11, 1), end=date(2026, 11, 3), unit="19768")
    win = window(state, NOW)
    assert from_store(to_store(state, win)) == (state, win)
    assert from_store(None) is None and from_store({"state": "x"}) is None
    huge = to_store(state, win) | {"since": datetime(1990, 1, 1, tzinfo=UTC).isoformat()}
    assert from_store(huge) is None
    assert from_store(to_store(state, win) | {"grain": "week"}) is None
