"""Small builders of valid events for tests (plain data, deterministic ids)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from data_sources import events as ev

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def camera(i: int = 0, *, camera_id: str = "CAM-0001", ts: datetime | None = None, **kw) -> ev.CameraAlert:
    fields = {"alert_type": "plate_watchlist", "severity": "high", "score": 0.91, "plate": "75A-123.45"} | kw
    return ev.CameraAlert(event_id=f"t-cam-{i}", ts=ts or T0 + timedelta(seconds=i), camera_id=camera_id, **fields)


def traffic(i: int = 0, *, segment_id: str = "SEG-0001", ts: datetime | None = None, speed: float = 20.0):
    return ev.TrafficReading(
        event_id=f"t-tr-{i}",
        ts=ts or T0 + timedelta(seconds=i),
        segment_id=segment_id,
        speed_kmh=speed,
        free_flow_kmh=40.0,
        congestion_level=ev.congestion_level(speed, 40.0),
        confidence=0.9,
    )


def danger(i: int = 0, *, unit_code: str, level: int = 2, ts: datetime | None = None) -> ev.FireDanger:
    return ev.FireDanger(event_id=f"t-fd-{i}", ts=ts or T0 + timedelta(seconds=i), unit_code=unit_code, level=level)


def hotspot(i: int = 0, *, ts: datetime | None = None) -> ev.Hotspot:
    return ev.Hotspot(
        event_id=f"t-hs-{i}", ts=ts or T0 + timedelta(seconds=i), lat=16.2, lon=107.3, confidence="high",
        frp=12.5, source="VIIRS_NOAA20",
    )  # fmt: skip


def complaint(
    i: int = 0, *, complaint_id: str = "PA-000001", status: str = "received", unit_code: str, ts=None, **kw
) -> ev.ComplaintEvent:
    fields = {
        "category": "street_lights",
        "lat": 16.46,
        "lon": 107.59,
        "channel": "hue_s",
        "title": "Đèn đường hỏng trên đường Lê Lợi",
        "received_at": T0,
    } | kw
    # Five days after it was received (the contract refuses a deadline before received_at).
    fields.setdefault("deadline", fields["received_at"] + timedelta(days=5))
    return ev.ComplaintEvent(
        event_id=f"t-pa-{i}", ts=ts or T0 + timedelta(minutes=i), complaint_id=complaint_id, status=status,
        unit_code=unit_code, **fields,
    )  # fmt: skip
