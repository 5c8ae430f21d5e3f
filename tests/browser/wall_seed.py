"""Data the wall's browser tests publish: a busy present of Huế, an hour of history, a fresh event per stream,
and the producers' liveness reports (data_sources.liveness)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from data_sources import events as ev
from data_sources import liveness, reference
from data_sources.core import streams
from data_sources.core.connections import get_engine
from pipeline import facts, state


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def publish(rds, rkeys, batch: list, *, history: bool = False) -> None:
    streams.publish(rds, batch, k=rkeys)
    state.StateWriter(rds, rkeys).apply(batch)
    if history:  # what the archiver would write: the sparklines and the on-time share read it
        with get_engine().begin() as conn:
            facts.write_events(conn, batch, facts.Refs.from_files())


def alive(rds, rkeys, *, ttl: float = 120, producer: str = "test") -> None:
    """Every stream's producer says it can reach its source, valid `ttl` seconds (what a running feed does)."""
    liveness.report(rds, ev.STREAMS, producer=producer, ttl=ttl, k=rkeys)


def heartbeat(now: datetime) -> list:
    """One new event per stream (new ids, time `now`): fresh data on every stream."""
    data = reference.load_files()
    return [
        ev.TrafficReading(event_id=new_id("hb-tr"), ts=now, segment_id=data["road_segments"][0]["segment_id"],
                          speed_kmh=35, free_flow_kmh=40, congestion_level=0),
        ev.CameraAlert(event_id=new_id("hb-cam"), ts=now, camera_id=data["cameras"][0]["camera_id"],
                       alert_type="crowding", severity="low"),
        ev.FireDanger(event_id=new_id("hb-fd"), ts=now, unit_code=data["units"][0]["code"], level=2),
        ev.ComplaintEvent(event_id=new_id("hb-pa"), ts=now, complaint_id=new_id("PA-HB"), status="received",
                          category="waste", unit_code=data["units"][0]["code"], lat=16.46, lon=107.59,
                          channel="web", title="Rác", received_at=now, deadline=now + timedelta(days=3)),
    ]  # fmt: skip


def city(now: datetime) -> list:
    """A busy, plausible present: alerts of every severity, offline cameras, all segments, danger I-V, reports."""
    data = reference.load_files()
    cams, segs, units, areas = data["cameras"], data["road_segments"], data["units"], data["forest_areas"]
    out: list = []
    for i, cam in enumerate(cams[::11]):
        sev = ("low", "medium", "high", "critical")[i % 4]
        kind = ("crowding", "congestion", "plate_watchlist", "fire_smoke")[i % 4]
        out.append(
            ev.CameraAlert(
                event_id=new_id("cam"),
                ts=now - timedelta(minutes=i % 40),
                camera_id=cam["camera_id"],
                alert_type=kind,
                severity=sev,
                plate="75A-123.45" if i % 4 == 2 else None,
            )
        )
    for cam in cams[5::97]:
        out.append(
            ev.CameraAlert(
                event_id=new_id("off"),
                ts=now - timedelta(minutes=3),
                camera_id=cam["camera_id"],
                alert_type="camera_offline",
                severity="low",
            )
        )
    for i, seg in enumerate(segs):
        level = (i * 7) % 5
        speed = seg["free_flow_kmh"] * (0.9, 0.7, 0.5, 0.3, 0.1)[level]
        out.append(
            ev.TrafficReading(
                event_id=new_id("tr"),
                ts=now - timedelta(seconds=i % 50),
                segment_id=seg["segment_id"],
                speed_kmh=speed,
                free_flow_kmh=seg["free_flow_kmh"],
                congestion_level=level,
            )
        )
    for i, unit in enumerate(units):
        out.append(
            ev.FireDanger(
                event_id=new_id("fd"), ts=now - timedelta(hours=2), unit_code=unit["code"], level=1 + (i * 3) % 5
            )
        )
    for area in areas[::4]:
        out.append(
            ev.FireDanger(
                event_id=new_id("fa"),
                ts=now - timedelta(hours=1),
                unit_code=area["unit_code"],
                area_id=area["area_id"],
                level=5,
            )
        )
    for i, (lat, lon, hours) in enumerate(((16.21, 107.31, 1), (16.15, 107.7, 9), (16.19, 107.85, 30))):
        out.append(
            ev.Hotspot(
                event_id=new_id(f"hs{i}"),
                ts=now - timedelta(hours=hours),
                lat=lat,
                lon=lon,
                confidence=("high", "nominal", "low")[i],
                frp=8.0,
                source="VIIRS_NOAA20",
            )
        )
    for i in range(45):
        unit = units[i % len(units)]
        deadline = now + (timedelta(hours=-5), timedelta(hours=10), timedelta(days=4))[i % 3]
        out.append(
            ev.ComplaintEvent(
                event_id=new_id("pa"),
                ts=now - timedelta(minutes=i),
                complaint_id=new_id("PA"),
                status="dispatched",
                category="street_lights",
                unit_code=unit["code"],
                lat=unit["lat"],
                lon=unit["lon"],
                channel="hue_s",
                title="Đèn đường hỏng",
                received_at=now - timedelta(days=2),
                deadline=deadline,
                urgent=i % 9 == 0,
            )
        )
    return out  # fmt: skip


def history(now: datetime) -> list:
    """The last hour as the archiver would have stored it (PostgreSQL only): what the sparklines draw."""
    data = reference.load_files()
    cams, segs, units = data["cameras"], data["road_segments"], data["units"]
    out: list = []
    for m in range(60):
        at = now - timedelta(minutes=60 - m, seconds=-5)
        for j in range(30):
            seg = segs[(m * 30 + j) % len(segs)]
            level = 4 if j < 4 + m // 6 else j % 3
            speed = seg["free_flow_kmh"] * (0.9, 0.7, 0.5, 0.3, 0.1)[level]
            out.append(
                ev.TrafficReading(
                    event_id=new_id("h-tr"),
                    ts=at,
                    segment_id=seg["segment_id"],
                    speed_kmh=speed,
                    free_flow_kmh=seg["free_flow_kmh"],
                    congestion_level=level,
                )
            )
        for k in range((m * 37) % 5 + m // 20):
            camera = cams[(m * 13 + k) % len(cams)]["camera_id"]
            out.append(
                ev.CameraAlert(
                    event_id=new_id("h-cam"), ts=at, camera_id=camera, alert_type="crowding", severity="medium"
                )
            )
        if m % 15 == 7:
            out.append(ev.FireDanger(event_id=new_id("h-fd"), ts=at, unit_code=units[m % 40]["code"], level=4))
        if m % 4 == 0:
            unit = units[m % 40]
            out.append(
                ev.ComplaintEvent(
                    event_id=new_id("h-pa"),
                    ts=at,
                    complaint_id=new_id("PA-H"),
                    status="received",
                    category="waste",
                    unit_code=unit["code"],
                    lat=unit["lat"],
                    lon=unit["lon"],
                    channel="hue_s",
                    title="Rác",
                    received_at=at,
                    deadline=at + timedelta(days=5),
                )
            )
    for i in range(40):  # reports closed over the last 30 days, most of them in time
        unit, received = units[i % 40], now - timedelta(days=1 + (i % 28))
        deadline, closed = received + timedelta(days=5), received + timedelta(days=(3, 4, 6)[i % 3] if i % 5 else 7)
        out.append(
            ev.ComplaintEvent(
                event_id=new_id("h-pc"),
                ts=min(closed, now),
                complaint_id=new_id("PA-C"),
                status="resolved",
                category="waste",
                unit_code=unit["code"],
                lat=unit["lat"],
                lon=unit["lon"],
                channel="web",
                title="Rác",
                received_at=received,
                deadline=deadline,
            )
        )
    return out  # fmt: skip
