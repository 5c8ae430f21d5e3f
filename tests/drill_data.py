"""Test data for the drill-down pages: two days of the demo model plus the cases a page must show.

Written once per database state: other tests empty the fact tables, so the marker report decides whether to seed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy import Engine, text

from data_sources import reference
from pipeline import facts
from pipeline.demo.backfill import backfill
from tests import factories as f
from tests.auth_helpers import two_commune_agencies

MARKER = "PA-DRILL-LATE-X"
FOREST_UNITS = ("20161", "19975", "20107")  # Khe Tre, Hương Thủy, Phú Lộc: forest communes with fire danger


def cases() -> dict:
    """The ids the browser tests look for (agency X is the test dept_head's, Y the other one's)."""
    x, y = two_commune_agencies()
    cams = reference.load_files()["cameras"]
    return {
        "ux": x["unit_code"],
        "uy": y["unit_code"],
        "ax": x["agency_code"],
        "ay": y["agency_code"],
        "late_x": MARKER,
        "late_y": "PA-DRILL-LATE-Y",
        "soon_x": "PA-DRILL-SOON-X",
        "cam_x": next(
            c["camera_id"] for c in cams if c["unit_code"] == x["unit_code"] and "plate" in c["capabilities"]
        ),
        "cam_y": next(
            c["camera_id"] for c in cams if c["unit_code"] == y["unit_code"] and "plate" in c["capabilities"]
        ),
        "plate_x": "75A-246.81",
        "plate_y": "75B-135.79",
    }


def _report(i: int, cid: str, unit: str, agency: str, received: datetime, deadline: datetime, title: str) -> list:
    base = {"complaint_id": cid, "unit_code": unit, "agency_code": agency, "received_at": received,
            "deadline": deadline, "category": "waste", "title": title}  # fmt: skip
    return [
        f.complaint(900 + i * 10, status="received", ts=received, **base),
        f.complaint(901 + i * 10, status="dispatched", ts=received + timedelta(hours=1), **base),
    ]


def ensure(engine: Engine, rds: redis.Redis) -> dict:
    """Seed (unless already there) and return the case ids."""
    c = cases()
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM complaints WHERE complaint_id = :id"), {"id": MARKER}).first():
            return c
    now = datetime.now(UTC).replace(microsecond=0)
    backfill(engine, rds, days=2, end=now)
    d, h = timedelta(days=1), timedelta(hours=1)
    events = [
        *_report(1, c["late_x"], c["ux"], c["ax"], now - 3 * d, now - d, "Rác thải tồn đọng trên đường Lê Lợi"),
        *_report(2, c["late_y"], c["uy"], c["ay"], now - 3 * d, now - 2 * d, "Rác thải tồn đọng trên đường Ngự Bình"),
        *_report(3, c["soon_x"], c["ux"], c["ax"], now - d, now + 5 * h, "Thùng rác công cộng bị hư hỏng"),
        f.camera(9001, camera_id=c["cam_x"], plate=c["plate_x"], watchlist="Xe báo mất trộm", ts=now - 5 * h),
        f.camera(9002, camera_id=c["cam_y"], plate=c["plate_y"], watchlist="Xe báo mất trộm", ts=now - 4 * h),
        f.camera(9003, camera_id=c["cam_x"], alert_type="camera_offline", severity="low", plate=None, ts=now - 2 * h),
    ]
    for i, unit in enumerate(FOREST_UNITS):
        for k, level in enumerate((4, 5) if i == 0 else (4,)):
            events.append(f.danger(9100 + 10 * i + k, unit_code=unit, level=level, ts=now - (k + 1) * d))
        events.append(
            f.hotspot(9200 + i, ts=now - (i + 1) * 3 * h).model_copy(
                update={"unit_code": unit, "lat": 16.15 + 0.05 * i, "lon": 107.7 + 0.05 * i}
            )
        )
    with engine.begin() as conn:
        facts.write_events(conn, events, facts.Refs.from_files())
    return c
