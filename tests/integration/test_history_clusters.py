"""Server-side clusters of the complaints map on real PostgreSQL: counts add up, zooming in splits, scope holds."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from flask import Flask

from data_sources.core.cache import cache
from data_sources.history import complaints
from data_sources.history.common import Window
from data_sources.viewer import Viewer
from pipeline import facts
from tests import factories as f
from tests.auth_helpers import two_commune_agencies

T0 = f.T0
WEEK = Window(T0 - timedelta(days=7), T0, "hour")
OFFICER = Viewer(role="officer", username="t-officer")
N_X, N_Y = 160, 40
# Every third report has a 12 h deadline: late at the window's end T0 when received more than 12 h before it.
LATE = sum(1 for i in range(N_X + N_Y) if i % 3 == 0 and 1 + i % 100 > 12)


@pytest.fixture
def spread(engine, clean_facts, live_env):
    """200 reports scattered over ~20 km around the citadel (160 of agency X, 40 of agency Y), a third late."""
    app = Flask(__name__)
    cache.init_app(app)
    x, y = two_commune_agencies()
    rng = random.Random(6)
    events = []
    for i in range(N_X + N_Y):
        who = x if i < N_X else y
        received = T0 - timedelta(hours=1 + i % 100)
        deadline = received + timedelta(hours=12 if i % 3 == 0 else 400)  # every third one already late
        events.append(
            f.complaint(
                i, complaint_id=f"PA-S{i:03d}", unit_code=who["unit_code"], agency_code=who["agency_code"],
                lat=16.36 + rng.random() * 0.2, lon=107.48 + rng.random() * 0.2, received_at=received,
                deadline=deadline, ts=received,
            )
        )  # fmt: skip
    with engine.begin() as conn:
        facts.write_events(conn, events, facts.Refs.from_files())
    with app.app_context():
        cache.clear()
        head = Viewer(role="dept_head", username="t-head", agency_code=x["agency_code"], unit_codes=(x["unit_code"],))
        yield {"head": head}


def _cells(zoom: int, lat: float, lon: float) -> tuple[int, int]:
    x0, _, y0, _ = complaints.cell_span(zoom, lat, lon, lat, lon)
    return x0, y0


def test_history_clusters_add_up_at_every_zoom_and_split_when_zooming_in(spread):
    for zoom in (9, 11, 13, 15, complaints.SINGLE_ZOOM):
        df = complaints.clusters(viewer=OFFICER, window=WEEK, zoom=zoom)
        assert df.n.sum() == N_X + N_Y, zoom
        assert df.late.sum() == LATE, zoom
        assert (df.late + df.open <= df.n).all()
        lone = df[df.n == 1]
        assert lone.id.map(lambda v: isinstance(v, str) and v.startswith("PA-S")).all()
    coarse = complaints.clusters(viewer=OFFICER, window=WEEK, zoom=9)
    assert len(coarse) <= 6 and coarse.n.max() > 30  # a region view: a few big clusters
    # Zoom in two levels (what a click does) on the biggest: its reports split into smaller ones, same total.
    big = coarse.sort_values("n").iloc[-1]
    fine = complaints.clusters(viewer=OFFICER, window=WEEK, zoom=11)
    parent = _cells(9, big.lat, big.lon)
    inside = fine[[_cells(9, r.lat, r.lon) == parent for r in fine.itertuples()]]
    assert len(inside) >= 2 and inside.n.sum() == big.n and inside.n.max() < big.n
    assert inside.late.sum() == big.late and inside.open.sum() == big.open


def test_history_clusters_limit_to_the_span_and_to_the_heads_scope(spread):
    everything = complaints.clusters(viewer=OFFICER, window=WEEK, zoom=13)
    # A span of whole cells: exactly the clusters whose cell lies inside it, complete.
    x0, x1, y0, y1 = complaints.cell_span(13, 16.40, 107.50, 16.48, 107.60)
    part = complaints.clusters(viewer=OFFICER, window=WEEK, zoom=13, span=(x0, x1, y0, y1))
    expected = [r.n for r in everything.itertuples() if x0 <= _cells(13, r.lat, r.lon)[0] <= x1
                and y0 <= _cells(13, r.lat, r.lon)[1] <= y1]  # fmt: skip
    assert 0 < part.n.sum() == sum(expected) < N_X + N_Y
    # A department head's clusters hold their agency's reports only, in SQL.
    assert complaints.clusters(viewer=spread["head"], window=WEEK, zoom=11).n.sum() == N_X
    ids = complaints.clusters(viewer=spread["head"], window=WEEK, zoom=complaints.SINGLE_ZOOM).id
    assert len(ids) == N_X and all(int(i[4:]) < N_X for i in ids)
