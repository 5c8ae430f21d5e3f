"""Pure, seeded generators of Huế demo events: traffic, camera alerts, fire danger, hotspots, citizen complaints."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np

from data_sources import events as ev
from data_sources.core.huetime import HUE_TZ

_OFFSET = 7 * 3600
STEP = 300  # backfill traffic grid, seconds
_U64 = np.uint64

# ---------------------------------------------------------------- seeding and counter-based noise


def _key(part: int | str) -> int:
    if isinstance(part, str):
        return int.from_bytes(hashlib.blake2b(part.encode(), digest_size=8).digest(), "little")
    return int(part) & 0xFFFFFFFFFFFFFFFF


def rng_for(seed: int, domain: str, *keys: int | str) -> np.random.Generator:
    """A Generator fixed by (seed, domain, window keys): the same window always draws the same numbers."""
    return np.random.default_rng([_key(seed), _key(domain), *(_key(k) for k in keys)])


def _mix(x: np.ndarray) -> np.ndarray:
    # splitmix64 finaliser; uint64 arithmetic wraps by design.
    with np.errstate(over="ignore"):
        z = x + _U64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> _U64(30))) * _U64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> _U64(27))) * _U64(0x94D049BB133111EB)
        return z ^ (z >> _U64(31))


def unif(seed: int, salt: str, *cols) -> np.ndarray:
    """Uniform [0, 1) that is a pure function of (seed, salt, *cols), element-wise and broadcastable.

    Counter-based rather than a stream: a reading's noise must not depend on how the range was chunked,
    nor on whether backfill (5-minute grid) or the live feed (any second) asks for it.
    """
    h = _mix(np.asarray(_key(seed) ^ _key(salt), dtype=_U64))
    for col in cols:
        h = _mix(h ^ np.asarray(col, dtype=np.int64).astype(_U64))
    return (h >> _U64(11)).astype(np.float64) * (1.0 / 2**53)


def _norm(seed: int, salt: str, *cols) -> np.ndarray:
    u1, u2 = unif(seed, salt + ":a", *cols), unif(seed, salt + ":b", *cols)
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2 * np.pi * u2)


def trap(h, a: float, b: float, c: float, d: float) -> np.ndarray:
    """0 before a, ramps up to 1 at b, stays 1 until c, back to 0 at d."""
    return np.clip(np.minimum((h - a) / (b - a), (d - h) / (d - c)), 0.0, 1.0)


def local_hour(t) -> np.ndarray:
    return ((np.asarray(t) + _OFFSET) % 86400) / 3600.0


def is_weekend(t) -> np.ndarray:
    # 1970-01-01 was a Thursday (Monday = 0).
    return ((((np.asarray(t) + _OFFSET) // 86400) + 3) % 7) >= 5


def to_dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def hours_between(start: datetime, end: datetime) -> range:
    """Hour-aligned epochs whose hour overlaps [start, end): the generation windows of hourly domains."""
    return range(int(start.timestamp()) // 3600 * 3600, int(np.ceil(end.timestamp())), 3600)


# ---------------------------------------------------------------- the world the generators draw from


@dataclass(frozen=True, eq=False)
class World:
    """Reference data shaped for the generators (built once from the committed files, then read-only)."""

    units: tuple[dict, ...]
    segments: tuple[dict, ...]
    cameras: tuple[dict, ...]
    agencies: tuple[dict, ...]
    forest_areas: tuple[dict, ...]  # each with "rings": outer rings as (n, 2) lon/lat arrays
    a: dict = field(default_factory=dict)  # derived arrays and indexes

    @classmethod
    def build(cls, files: dict[str, list[dict]], forest_rings: dict[str, list[np.ndarray]]) -> World:
        """Derive rush depths, camera roles, unit weights and agency routing from reference rows (pure)."""
        units = tuple(sorted(files["units"], key=lambda u: u["code"]))
        segs = tuple(sorted(files["road_segments"], key=lambda s: s["segment_id"]))
        cams = tuple(sorted(files["cameras"], key=lambda c: c["camera_id"]))
        areas = tuple(
            {**f, "rings": forest_rings.get(f["area_id"], [])}
            for f in sorted(files["forest_areas"], key=lambda f: f["area_id"])
        )
        agencies = tuple(
            {**g, "cats": set(re.split(r"[;,|\s]+", g["categories"].strip()))}
            for g in sorted(files["agencies"], key=lambda g: g["agency_code"])
        )
        urban = {u["code"] for u in units if is_urban(u)}
        depth = np.array([rush_depth(s, s["unit_code"] in urban) for s in segs], dtype=np.float64).reshape(-1, 4)
        watched = {c["segment_id"] for c in cams if c.get("segment_id")}
        seg_index = {s["segment_id"]: i for i, s in enumerate(segs)}
        cong = [c for c in cams if camera_has(c, "congestion") and c.get("segment_id") in seg_index]
        a = {
            "ff": np.array([float(s["free_flow_kmh"]) for s in segs]),
            "depth": depth,
            "hot": np.array([bool(s["hot_spot"]) for s in segs]),
            "source": ["camera" if s["segment_id"] in watched else "probe" for s in segs],
            "seg_index": seg_index,
            "roles": {role: [c for c in cams if camera_has(c, role)] for role in CAMERA_ROLES},
            "cong_cams": cong,
            "cong_seg": np.array([seg_index[c["segment_id"]] for c in cong], dtype=np.int64),
            "forest_units": tuple(sorted({f["unit_code"] for f in areas if f["rings"]})),
            "unit_p": _normalised([unit_weight(u, u["code"] in urban) for u in units]),
            "urban": urban,
            "unit_segs": {u["code"]: [s for s in segs if s["unit_code"] == u["code"]] for u in units},
        }
        return cls(units, segs, cams, agencies, areas, a)

    def role(self, name: str) -> list[dict]:
        return self.a["roles"][name]


def _normalised(w: list[float]) -> np.ndarray:
    arr = np.asarray(w, dtype=np.float64)
    return arr / arr.sum()


# ---------------------------------------------------------------- traffic


def traffic_ratio(world: World, seed: int, t, seg, pattern_t=None) -> np.ndarray:
    """Speed / free-flow for segment indices `seg` at epoch seconds `t` (broadcast); rush hours shape it.

    `pattern_t` (default `t`) is the clock the daily pattern follows; noise always follows `t`.
    """
    t = np.asarray(t, dtype=np.int64)
    seg = np.asarray(seg, dtype=np.int64)
    p = t if pattern_t is None else np.asarray(pattern_t, dtype=np.int64)
    hour, weekend = local_hour(p), is_weekend(p)
    am = trap(hour, 6.5, 7.0, 8.0, 8.75) * np.where(weekend, 0.35, 1.0)
    pm = trap(hour, 16.0, 16.5, 19.0, 19.75) * np.where(weekend, 0.7, 1.0)
    noon = trap(hour, 10.75, 11.25, 11.75, 12.25) * np.where(weekend, 0.5, 1.0)
    day = trap(hour, 5.0, 7.5, 20.5, 23.0)
    d = world.a["depth"][seg]
    load = d[..., 0] * am + d[..., 1] * pm + d[..., 2] * noon + d[..., 3] * day
    slow = _norm(seed, "tr-q", seg, t // 900) * (0.03 + 0.07 * (am + pm))  # 15-minute swings
    fast = _norm(seed, "tr-n", seg, t) * 0.035
    incident = np.where(unif(seed, "tr-i", seg, t // 3600) < 0.002, 0.35, 0.0)  # a crash or roadworks
    return np.clip(1.0 - load + slow + fast - incident, 0.04, 1.08)


def levels_of(speed: np.ndarray, ff: np.ndarray) -> np.ndarray:
    """Vectorised twin of events.congestion_level (same thresholds; unit-tested against it)."""
    r = speed / ff
    return np.select([r >= 0.8, r >= 0.6, r >= 0.4, r >= 0.2], [0, 1, 2, 3], 4).astype(np.int64)


def traffic_values(world: World, seed: int, t, seg, pattern_t=None) -> tuple[np.ndarray, ...]:
    """(speed_kmh, congestion_level, confidence) arrays for broadcast `t` x `seg`."""
    ff = world.a["ff"][np.asarray(seg)]
    speed = np.round(ff * traffic_ratio(world, seed, t, seg, pattern_t), 1)
    conf = np.round(0.8 + 0.2 * unif(seed, "tr-c", seg, t), 2)
    return speed, levels_of(speed, ff), conf


def grid_times(start: datetime, end: datetime, step: int = STEP) -> np.ndarray:
    first = -(-int(np.ceil(start.timestamp())) // step) * step
    return np.arange(first, end.timestamp(), step).astype(np.int64)


def reading(world: World, j: int, t: float, speed: float, level: int, conf: float) -> ev.TrafficReading:
    sid = world.segments[j]["segment_id"]
    return ev.TrafficReading(
        event_id=f"tr-{sid}-{int(t)}", ts=to_dt(t), segment_id=sid, speed_kmh=speed,
        free_flow_kmh=float(world.a["ff"][j]), congestion_level=level, confidence=conf,
        source=world.a["source"][j],
    )  # fmt: skip


def traffic_readings(world: World, seed: int, start: datetime, end: datetime) -> list[ev.TrafficReading]:
    """Validated readings for every segment on the 5-minute grid in [start, end) (tests, state seeding)."""
    times = grid_times(start, end)
    seg = np.arange(len(world.segments))
    speed, level, conf = traffic_values(world, seed, times[:, None], seg[None, :])
    return [
        reading(world, j, t, float(speed[i, j]), int(level[i, j]), float(conf[i, j]))
        for i, t in enumerate(times.tolist())
        for j in range(len(world.segments))
    ]


# ---------------------------------------------------------------- fire danger and hotspots

# Mean danger level by month: dry season Apr–Aug high, rainy season Sep–Dec low (DOMAIN.md).
_MONTH_MEAN = (1.6, 2.0, 2.6, 3.2, 3.7, 4.1, 4.2, 3.8, 2.6, 1.7, 1.4, 1.3)
# Satellite hotspots per forest unit and day, by danger level.
HOTSPOTS_PER_DAY = {1: 0.015, 2: 0.05, 3: 0.2, 4: 0.6, 5: 1.3}
DANGER_HOURS = (6, 13)  # morning bulletin, afternoon update


def danger_levels(world: World, seed: int, day: date) -> tuple[np.ndarray, np.ndarray]:
    """(morning, afternoon) levels per forest unit for a local day; weekly weather gives persistence."""
    n, d = len(world.a["forest_units"]), day.toordinal()
    this, nxt = _MONTH_MEAN[day.month - 1], _MONTH_MEAN[day.month % 12]
    mean = this + (nxt - this) * (day.day - 1) / 31
    idx = np.arange(n)
    regional = _norm(seed, "fd-w", d // 7) * 0.45 + _norm(seed, "fd-d", d) * 0.25
    bias = (unif(seed, "fd-b", idx) - 0.45) * 0.7  # drier pine hills vs wetter valleys
    x = mean + regional + bias + _norm(seed, "fd-u", idx, d) * 0.3
    # Rainy season (Sep–Dec): soaked fuel, so at most III whatever the dry spell (DOMAIN.md).
    top = 3 if day.month >= 9 else 5
    morning = np.clip(np.rint(x), 1, top).astype(np.int64)
    u = unif(seed, "fd-c", idx, d)
    dry = 4 <= day.month <= 8
    change = np.where(u < (0.3 if dry else 0.1), 1, 0) - np.where(u > (0.95 if dry else 0.9), 1, 0)
    return morning, np.clip(morning + change, 1, top)


def danger_at(world: World, seed: int, t: float) -> dict[str, int]:
    """Level in force per forest unit at epoch `t`: the latest bulletin (06:00, 13:00 local) already issued."""
    local = to_dt(t).astimezone(HUE_TZ)
    if local.hour < DANGER_HOURS[0]:
        levels = danger_levels(world, seed, local.date() - timedelta(days=1))[1]
    else:
        morning, afternoon = danger_levels(world, seed, local.date())
        levels = afternoon if local.hour >= DANGER_HOURS[1] else morning
    return dict(zip(world.a["forest_units"], levels.tolist(), strict=True))


def fire_events(world: World, seed: int, start: datetime, end: datetime) -> list:
    """Danger bulletins and satellite hotspots of the local days overlapping [start, end), anchored inside it."""
    out: list = []
    lo, hi = start.timestamp(), end.timestamp()
    day = start.astimezone(HUE_TZ).date()
    while datetime.combine(day, time(0), HUE_TZ).timestamp() < hi:
        morning, afternoon = danger_levels(world, seed, day)
        for i, unit in enumerate(world.a["forest_units"]):
            for hour, level in zip(DANGER_HOURS, (morning[i], afternoon[i]), strict=True):
                ts = datetime.combine(day, time(hour), HUE_TZ)
                if (hour == DANGER_HOURS[0] or level != morning[i]) and lo <= ts.timestamp() < hi:
                    eid = f"fd-{unit}-{day:%Y%m%d}-{hour:02d}"
                    out.append(ev.FireDanger(event_id=eid, ts=ts, unit_code=unit, level=int(level)))
        rng = rng_for(seed, "hotspot", day.toordinal())
        for i, unit in enumerate(world.a["forest_units"]):
            for _ in range(rng.poisson(HOTSPOTS_PER_DAY[int(afternoon[i])])):
                source = str(rng.choice(SATELLITES, p=SATELLITE_P))
                t = datetime.combine(day, time(0), HUE_TZ).timestamp() + pass_seconds(rng, source)
                out += [h for h in hotspots(world, rng, unit, t, source) if lo <= h.ts.timestamp() < hi]
        day += timedelta(days=1)
    return out


def hotspots(world: World, rng: np.random.Generator, unit: str, t: float, source: str) -> list[ev.Hotspot]:
    """One fire seen as 1–3 neighbouring pixels inside a forest area of `unit`."""
    areas = [f for f in world.forest_areas if f["unit_code"] == unit and f["rings"]]
    if not areas:
        return []
    area = areas[int(rng.choice(len(areas), p=_normalised([float(f["area_ha"]) for f in areas])))]
    lon, lat = point_in(rng, area["rings"])
    frp = float(np.clip(rng.lognormal(2.0, 0.9), 0.5, 400))
    conf = str(rng.choice(["low", "nominal", "high"], p=[0.15, 0.55, 0.3]))
    pixels = 1 if source in ("MODIS", "camera") else int(rng.integers(1, 4))
    out = []
    for k in range(pixels):
        dlon, dlat = (0.0, 0.0) if k == 0 else rng.normal(0, 0.0035, 2).tolist()
        if k and not inside(area["rings"], lon + dlon, lat + dlat):
            continue
        out.append(
            ev.Hotspot(
                event_id=f"hs-{area['area_id']}-{int(t)}-{k}", ts=to_dt(t), lat=round(lat + dlat, 5),
                lon=round(lon + dlon, 5), confidence=conf, frp=round(frp * (1 - 0.3 * k), 1),
                source=source, unit_code=unit, area_id=area["area_id"],
            )
        )  # fmt: skip
    return out


def hotspot_rate(world: World, seed: int, t: float) -> float:
    """Expected satellite hotspot fires per hour across all forest units (live feed)."""
    return sum(HOTSPOTS_PER_DAY[v] for v in danger_at(world, seed, t).values()) / 24


# ---------------------------------------------------------------- camera alerts

# Thinning bounds: the largest hourly rate each kind can take (alerts per hour, whole city).
ALERT_MAX = {"plate_watchlist": 0.65, "face_match": 0.02, "fire_smoke": 1.2, "crowding": 25.0, "camera_offline": 0.2}
# Chance that a 5-minute congestion level on a watched segment raises an alert, by level (hot spot, other).
_CONGESTION_P = {2: (0.08, 0.0), 3: (0.45, 0.3), 4: (0.7, 0.6)}
_FIRE_SMOKE_PER_DAY = {1: 0.3, 2: 0.8, 3: 2.0, 4: 5.0, 5: 9.0}
_CODE = {"plate_watchlist": "pw", "face_match": "fm", "fire_smoke": "fs", "congestion": "cg", "crowding": "cr"}


def alert_rates(world: World, seed: int, t: np.ndarray) -> dict[str, np.ndarray]:
    """Expected alerts per hour for each Poisson kind at epochs `t` (all inside one local hour)."""
    t = np.asarray(t, dtype=np.float64)
    h, weekend = local_hour(t), is_weekend(t)
    levels = list(danger_at(world, seed, float(t.flat[0])).values()) if t.size else []
    level = int(round(float(np.mean(levels)))) if levels else 1
    afternoon = (0.3 + 1.7 * trap(h, 10, 12, 16, 18)) / 0.725  # mean of the shape over a day is 0.725
    return {
        "plate_watchlist": 0.15 + 0.45 * trap(h, 5.5, 7, 21, 22.5),
        "face_match": np.full(t.shape, 0.02),
        "fire_smoke": _FIRE_SMOKE_PER_DAY[level] / 24 * afternoon * bool(world.role("fire_smoke")),
        "crowding": (1.5 * trap(h, 7, 9, 17, 18) + 14 * trap(h, 17, 18.5, 21.5, 23)) * np.where(weekend, 1.6, 1),
        "camera_offline": np.full(t.shape, 0.2),
    }


def congestion_p(level: np.ndarray, hot: np.ndarray) -> np.ndarray:
    """Per-reading chance (5-minute reading) that a camera on the segment raises a congestion alert."""
    p = np.zeros(np.shape(level))
    for lv, (p_hot, p_other) in _CONGESTION_P.items():
        p = np.where(level == lv, np.where(hot, p_hot, p_other), p)
    return p


def make_alert(world: World, seed: int, rng: np.random.Generator, kind: str, t: float, camera: dict | None = None):
    """One alert of `kind` at epoch `t` (plus its follow-ups: back online, a camera hotspot)."""
    pool = world.role(kind if kind != "camera_offline" else "any")
    if not pool and camera is None:
        return []
    cam = camera or pool[int(rng.integers(len(pool)))]
    cid, ts = cam["camera_id"], to_dt(t)
    if kind == "camera_offline":
        back = t + float(np.clip(rng.lognormal(np.log(40 * 60), 0.9), 300, 8 * 3600))
        return [
            ev.CameraAlert(event_id=f"ca-{cid}-{int(t)}-off", ts=ts, camera_id=cid, alert_type=kind, severity="low"),
            ev.CameraAlert(
                event_id=f"ca-{cid}-{int(back)}-on", ts=to_dt(back), camera_id=cid, alert_type="camera_online",
                severity="low",
            ),
        ]  # fmt: skip
    extra: dict = {}
    score = round(float(rng.uniform(0.62, 0.99)), 2)
    if kind == "plate_watchlist":
        plate, why = plate_watchlist(seed)[int(rng.integers(WATCHLIST_SIZE))]
        extra = {"plate": plate, "watchlist": why}
    elif kind == "face_match":
        name, why = face_watchlist(seed)[int(rng.integers(FACES_SIZE))]
        extra = {"person_name": name, "watchlist": why}
    severity = {"plate_watchlist": "high", "face_match": "critical", "fire_smoke": "critical"}.get(kind, "medium")
    alert = ev.CameraAlert(
        event_id=f"ca-{cid}-{int(t)}-{_CODE[kind]}", ts=ts, camera_id=cid, alert_type=kind, severity=severity,
        score=score, **extra,
    )  # fmt: skip
    if kind == "fire_smoke" and score >= 0.8:  # confirmed smoke also lands on the fire map
        return [alert, *hotspots(world, rng, cam["unit_code"], t + 30, "camera")]
    return [alert]


def camera_events(world: World, seed: int, start: datetime, end: datetime) -> list:
    """Alerts anchored in [start, end), drawn hour by hour so chunking never changes them."""
    lo, hi = start.timestamp(), end.timestamp()
    out: list = []
    hot, cams, seg = world.a["hot"], world.a["cong_cams"], world.a["cong_seg"]
    for h0 in hours_between(start, end):
        rng = rng_for(seed, "camera", h0)
        for kind, cap in ALERT_MAX.items():
            ts = np.sort(h0 + rng.uniform(0, 3600, rng.poisson(cap)))
            keep = rng.random(ts.size) < alert_rates(world, seed, ts)[kind] / cap
            for t in ts[keep].tolist():  # draw every candidate, in or out of the window, to keep rng aligned
                made = make_alert(world, seed, rng, kind, t)
                out += made if lo <= t < hi else []
        if cams:
            slots = h0 + np.arange(0, 3600, STEP)
            level = traffic_values(world, seed, slots[:, None], seg[None, :])[1]
            hit = rng.random(level.shape) < congestion_p(level, hot[seg][None, :])
            offsets = rng.integers(0, STEP, level.shape)
            for i, j in zip(*np.nonzero(hit), strict=True):
                t = int(slots[i] + offsets[i, j])
                out += make_alert(world, seed, rng, "congestion", t, cams[j]) if lo <= t < hi else []
    return out


# ---------------------------------------------------------------- citizen complaints

# Daily arrival shape by local hour (weights; hours 0–6 and 07:00–07:30 take urgent reports only).
_HOURLY = (0.25,) * 7 + (2.5, 6.5, 7.5, 7.5, 6, 3, 3.5, 6.5, 6.5, 5.5, 4, 3, 3, 3, 2.5, 1.5, 0.8)
_WEEKDAY, _WEEKEND = 1.15, 0.92  # ~84 on weekdays, ~68 on weekends: ~80 a day on average
COMPLAINT_MAX = 9.0
P_URGENT = 0.06
NIGHT_END = 7.5  # 00:00–07:30 local: only urgent reports are taken (DOMAIN.md)


def complaint_rate(t) -> np.ndarray:
    """Expected new complaints per hour at epochs `t` (pattern clock)."""
    h = local_hour(t)
    w = np.asarray(_HOURLY)[h.astype(np.int64)]
    w = np.where((h >= 7) & (h < NIGHT_END), _HOURLY[0], w)
    return w * np.where(is_weekend(t), _WEEKEND, _WEEKDAY)


def is_night(t: float) -> bool:
    return float(local_hour(t)) < NIGHT_END


def _life_rng(seed: int, complaint_id: str, received: int) -> np.random.Generator:
    return rng_for(seed, "complaint", complaint_id, received)


def is_urgent(seed: int, complaint_id: str, received: int) -> bool:
    """The urgency the lifecycle model will give this complaint (its first draw)."""
    return bool(_life_rng(seed, complaint_id, received).random() < P_URGENT)


def new_complaint_id(seed: int, rng: np.random.Generator, t: int, *, urgent_only: bool) -> str:
    """An id for a report received at `t`; at night, ids are redrawn until the model makes the report urgent."""
    stamp = to_dt(t).astimezone(HUE_TZ).strftime("%y%m%d-%H%M%S")
    while True:
        cid = f"PA-{stamp}-{int(rng.integers(16**4)):04X}"
        if not urgent_only or is_urgent(seed, cid, t):
            return cid


def complaint_arrivals(seed: int, start: datetime, end: datetime) -> list[tuple[str, int]]:
    """(complaint_id, received epoch) for reports received in [start, end), drawn hour by hour."""
    lo, hi = start.timestamp(), end.timestamp()
    out = []
    for h0 in hours_between(start, end):
        rng = rng_for(seed, "complaints", h0)
        ts = np.sort(h0 + rng.integers(0, 3600, rng.poisson(COMPLAINT_MAX)))
        keep = rng.random(ts.size) < complaint_rate(ts) / COMPLAINT_MAX
        for t in ts[keep].tolist():
            cid = new_complaint_id(seed, rng, t, urgent_only=is_night(t))
            if lo <= t < hi:
                out.append((cid, t))
    return out


def complaint_events(world: World, seed: int, start: datetime, end: datetime) -> list[ev.ComplaintEvent]:
    """Whole lifecycles (future steps included) of the complaints received in [start, end)."""
    return [e for cid, t in complaint_arrivals(seed, start, end) for e in complaint_lifecycle(world, seed, cid, t)]


def _deadline(received: datetime, working_days: int) -> datetime:
    day = received.astimezone(HUE_TZ).date()
    while working_days:
        day += timedelta(days=1)
        working_days -= day.weekday() < 5
    return datetime.combine(day, time(17), HUE_TZ)


def _office(t: float, u: float) -> float:
    """Move a non-urgent step falling between 21:30 and 07:00 local to 07:30–09:00 the next morning."""
    h = float(local_hour(t))
    if 7 <= h < 21.5:
        return t
    midnight = (t + _OFFSET) // 86400 * 86400 - _OFFSET
    return midnight + (86400 if h >= 21.5 else 0) + 7.5 * 3600 + u * 5400


def complaint_lifecycle(world: World, seed: int, complaint_id: str, received: int) -> list[ev.ComplaintEvent]:
    """Every step of one report: a pure function of (seed, complaint_id, received epoch)."""
    rng = _life_rng(seed, complaint_id, received)
    urgent = bool(rng.random() < P_URGENT)  # first draw, as in is_urgent()
    u, z = rng.random(16), rng.normal(size=8)
    weights = _URGENT_CATEGORY if urgent else _CATEGORY
    category = list(weights)[int(np.searchsorted(np.cumsum(list(weights.values())), u[0] * sum(weights.values())))]
    snap = _complaint_place(world, category, urgent, u[1], u[2], u[3], z[0], z[1])
    channel = _CHANNELS[int(np.searchsorted(_CHANNEL_CDF, u[4] * _CHANNEL_CDF[-1]))] if not urgent else "hotline"
    t0 = to_dt(received)
    deadline = t0 + timedelta(days=1) if urgent else _deadline(t0, _WORKING_DAYS[category])
    base = {
        **snap, "complaint_id": complaint_id, "category": category, "channel": channel, "received_at": t0,
        "deadline": deadline, "urgent": urgent,
        "description": f"Người dân phản ánh qua {_CHANNEL_NAMES[channel]}: {snap['title'][0].lower()}"
        f"{snap['title'][1:]}. Đề nghị cơ quan chức năng kiểm tra, xử lý.",
    }  # fmt: skip
    steps: list[tuple[str, float, dict]] = [("received", received, {})]
    scale = 0.25 if urgent else 1.0
    verified = received + float(np.clip(np.exp(np.log(20 * 60 * scale) + 0.8 * z[2]), 60, 6 * 3600))
    verified = verified if urgent else _office(verified, u[5])
    if u[6] < 0.03:  # duplicate or out of scope: rejected at verification
        steps.append(("rejected", verified, {"result": _REJECT[int(u[7] * len(_REJECT))]}))
        return _events(base, steps)
    agency = {"agency_code": _agency_for(world, category, snap["unit_code"], u[8])}
    dispatched = verified + float(np.clip(np.exp(np.log(35 * 60 * scale) + 0.7 * z[3]), 60, 8 * 3600))
    dispatched = dispatched if urgent else _office(dispatched, u[9])
    dl = deadline.timestamp()
    if u[10] < (0.05 if urgent else 0.095):  # late: resolved after the deadline
        resolved = dl + float(np.clip(np.exp(np.log(18 * 3600) + 0.9 * z[4]), 3600, 10 * 86400))
    else:
        resolved = dispatched + max(0.08, u[11] ** 1.4 * 0.9) * (dl - dispatched)
        resolved = min(resolved if urgent else _office(resolved, u[12]), dl - 900)
    resolved = max(resolved, dispatched + 900)
    in_progress = dispatched + min(
        float(np.exp(np.log(2.5 * 3600 * scale) + 0.8 * z[5])), 0.5 * (resolved - dispatched)
    )
    result = {"result": _RESULTS[category]}
    steps += [
        ("verified", verified, {}), ("dispatched", dispatched, agency), ("in_progress", in_progress, agency),
        ("resolved", resolved, {**agency, **result}),
    ]  # fmt: skip
    if u[13] < 0.78:  # most citizens rate the result, a few hours to days later
        late = resolved > dl
        rating = 1 + int(np.searchsorted(np.cumsum(_RATING_LATE if late else _RATING), u[14]))
        rated = resolved + float(np.clip(np.exp(np.log(8 * 3600) + 0.9 * z[6]), 600, 5 * 86400))
        steps.append(("rated", rated, {**agency, **result, "rating": min(rating, 5)}))
    return _events(base, steps)


def _events(base: dict, steps: list[tuple[str, float, dict]]) -> list[ev.ComplaintEvent]:
    return [
        ev.ComplaintEvent(event_id=f"{base['complaint_id']}-{status}", ts=to_dt(t), status=status, **base, **extra)
        for status, t, extra in steps
    ]


def _agency_for(world: World, category: str, unit: str, u: float) -> str | None:
    """The unit's own People's Committee when it handles the category (most of the time), else a city body."""
    handlers = [g for g in world.agencies if category in g["cats"]]
    own = [g for g in handlers if g.get("unit_code") == unit]
    city = [g for g in handlers if not g.get("unit_code")]
    if own and (u < 0.85 or not city):
        return own[0]["agency_code"]
    pool = city or handlers or [g for g in world.agencies if g.get("unit_code") == unit] or list(world.agencies)
    return pool[int(u * 997) % len(pool)]["agency_code"] if pool else None


def _complaint_place(
    world: World, category: str, urgent: bool, u1: float, u2: float, u3: float, z1: float, z2: float
) -> dict:
    """Unit, coordinates and a Vietnamese title for a report of `category`."""
    if category == "heritage":
        site, lat, lon = _HERITAGE[int(u1 * len(_HERITAGE))]
        unit = min(world.units, key=lambda x: (x["lat"] - lat) ** 2 + (x["lon"] - lon) ** 2)
        title = _TITLES[category][int(u3 * len(_TITLES[category]))].format(site=site)
        return {"unit_code": unit["code"], "lat": _clip_lat(lat + z1 * 4e-4), "lon": _clip_lon(lon + z2 * 4e-4),
                "title": title}  # fmt: skip
    unit = world.units[int(np.searchsorted(np.cumsum(world.a["unit_p"]), u1 * 0.999999))]
    segs = world.a["unit_segs"][unit["code"]]
    urban = unit["code"] in world.a["urban"]
    if segs:
        seg = segs[int(u2 * len(segs))]
        road, lat, lon, spread = road_phrase(seg["road_name"]), seg["lat"], seg["lon"], 0.0015
    else:
        road = _FALLBACK_ROADS[urban][int(u2 * len(_FALLBACK_ROADS[urban]))]
        lat, lon, spread = float(unit["lat"]), float(unit["lon"]), 0.006 if urban else 0.02
    bare = re.sub(r"^(Phường|Xã)\s+", "", unit["name"])
    place = f"{'phường' if urban else 'xã'} {bare}"
    titles = _URGENT_TITLES.get(category, _TITLES[category]) if urgent else _TITLES[category]
    title = titles[int(u3 * len(titles))].format(road=road, place=place)
    return {"unit_code": unit["code"], "lat": _clip_lat(lat + z1 * spread), "lon": _clip_lon(lon + z2 * spread),
            "title": title}  # fmt: skip


def _clip_lat(v: float) -> float:
    return round(min(max(v, ev.LAT_RANGE[0] + 0.01), ev.LAT_RANGE[1] - 0.01), 6)


def _clip_lon(v: float) -> float:
    return round(min(max(v, ev.LON_RANGE[0] + 0.01), ev.LON_RANGE[1] - 0.01), 6)


def road_phrase(name: str) -> str:
    """'Lê Lợi' -> 'đường Lê Lợi'; names that already say what they are ('Cầu Trường Tiền', 'Quốc lộ 1A') stay."""
    name = name.strip()
    if re.match(r"^(đường|Đường)\s", name):
        return "đường " + name.split(None, 1)[1]
    if re.match(r"^(Cầu|Quốc lộ|QL|Tỉnh lộ|ĐT|Đại lộ|Hầm|Nút giao|Ngã)", name):
        return name
    return f"đường {name}"


# ---------------------------------------------------------------- vocabulary: reference roles, places, texts

CAMERA_ROLES = ("plate_watchlist", "face_match", "fire_smoke", "congestion", "crowding", "any")
_ROLE_WORDS = {
    "plate_watchlist": ("plate", "lpr", "anpr"),
    "face_match": ("face",),
    "fire_smoke": ("fire", "smoke", "forest"),
    "congestion": ("congestion", "traffic"),
    "crowding": ("crowd",),
}
_CORE_UNITS = ("Phú Xuân", "Thuận Hóa", "Vỹ Dạ", "An Cựu", "Kim Long", "Thủy Xuân")
_WORST = ("Kho Rèn", "Trần Phú")  # Kho Rèn bridge -> Trần Phú–Duy Tân, the worst evening jam (DOMAIN.md)


def camera_has(camera: dict, role: str) -> bool:
    text = f"{camera.get('capabilities', '')} {camera.get('kind', '')}".lower()
    return role == "any" or any(word in text for word in _ROLE_WORDS[role])


def is_urban(unit: dict) -> bool:
    return str(unit.get("kind", "")).lower() in ("phuong", "phường", "ward", "urban") or unit["name"].startswith(
        "Phường"
    )


def unit_weight(unit: dict, urban: bool) -> float:
    """Share of complaints: the old city's wards dominate, rural communes report little."""
    if any(name in unit["name"] for name in _CORE_UNITS):
        return 8.0
    return 3.0 if urban else 1.0


def rush_depth(seg: dict, urban: bool) -> tuple[float, float, float, float]:
    """How much (am rush, pm rush, noon, daytime base) load slows a segment, as a share of free flow."""
    name = f"{seg.get('hot_spot_name') or ''} {seg['road_name']}"
    if seg["hot_spot"]:
        return (0.5, 0.8, 0.2, 0.12) if any(w in name for w in _WORST) else (0.45, 0.6, 0.2, 0.1)
    k = 0.85 + 0.3 * float(unif(0, "seg", _key(seg["segment_id"]) >> 1))  # stable per-road variety
    return (0.2 * k, 0.26 * k, 0.08 * k, 0.08 * k) if urban else (0.07 * k, 0.1 * k, 0.03 * k, 0.04 * k)


SATELLITES = ("VIIRS_NOAA20", "VIIRS_SNPP", "MODIS")
SATELLITE_P = (0.4, 0.35, 0.25)
# Local overpass hours (day, night); MODIS flies on Terra (10:30/22:30) and Aqua (13:30/01:30).
_PASSES = {"VIIRS_NOAA20": (12.67, 0.67), "VIIRS_SNPP": (13.5, 1.5), "Terra": (10.5, 22.5), "Aqua": (13.5, 1.5)}


def pass_seconds(rng: np.random.Generator, source: str) -> float:
    """Seconds after local midnight of an overpass that saw a fire (mostly daytime: fires burn by day)."""
    sat = source if source != "MODIS" else ("Terra", "Aqua")[int(rng.integers(2))]
    hour = _PASSES[sat][0 if rng.random() < 0.85 else 1] + rng.normal(0, 0.35)
    return float(np.clip(hour * 3600, 0, 86399))


def _pip(ring: np.ndarray, x: float, y: float) -> bool:
    xs, ys = ring[:, 0], ring[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = ((ys > y) != (yj > y)) & (x < (xj - xs) * (y - ys) / (yj - ys) + xs)
    return bool(np.count_nonzero(cross) % 2)


def inside(rings: list[np.ndarray], x: float, y: float) -> bool:
    return any(_pip(r, x, y) for r in rings)


def point_in(rng: np.random.Generator, rings: list[np.ndarray]) -> tuple[float, float]:
    """A uniform-ish random (lon, lat) inside the area (rejection sampling in the bounding box)."""
    boxes = [(r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()) for r in rings]
    ring = int(rng.choice(len(rings), p=_normalised([(b[2] - b[0]) * (b[3] - b[1]) + 1e-12 for b in boxes])))
    x0, y0, x1, y1 = boxes[ring]
    for _ in range(200):
        x, y = float(rng.uniform(x0, x1)), float(rng.uniform(y0, y1))
        if _pip(rings[ring], x, y):
            return x, y
    return float(rings[ring][:, 0].mean()), float(rings[ring][:, 1].mean())


WATCHLIST_SIZE, FACES_SIZE = 40, 8
_PROVINCES = (("75", 0.7), ("43", 0.12), ("92", 0.08), ("74", 0.06), ("29", 0.02), ("51", 0.02))  # 75 = Huế
_PLATE_REASONS = (
    "Xe vi phạm giao thông chưa chấp hành quyết định xử phạt", "Xe báo mất trộm",
    "Xe liên quan vụ việc đang điều tra", "Xe quá hạn kiểm định", "Biển số nghi giả",
)  # fmt: skip
_FACE_NAMES = (
    "Lê Văn Khải", "Trần Thị Mận", "Nguyễn Hữu Thạch", "Phan Văn Lộc", "Hồ Thị Sen", "Đặng Quốc Bửu",
    "Võ Văn Tường", "Tôn Nữ Thu Lan", "Ngô Đình Khoa", "Hoàng Thị Nhạn", "Bùi Văn Toản", "Dương Minh Triết",
)  # fmt: skip
_FACE_REASONS = ("Đối tượng truy nã", "Người mất tích", "Đối tượng cần theo dõi")


@lru_cache(maxsize=8)
def plate_watchlist(seed: int) -> tuple[tuple[str, str], ...]:
    """The seed's watchlist of (plate, reason); repeated sightings of the same plate are realistic."""
    rng = rng_for(seed, "watchlist")
    codes, p = zip(*_PROVINCES, strict=True)
    out = []
    for _ in range(WATCHLIST_SIZE):
        series = str(rng.choice(["A", "A", "A", "B", "C", "D", "H", "LD"]))
        n = int(rng.integers(10000, 100000))
        plate = f"{rng.choice(codes, p=p)}{series}-{n // 100:03d}.{n % 100:02d}"
        if rng.random() < 0.15:  # older four-digit plates are still on the road
            plate = f"{plate[: plate.index('-')]}-{n % 10000:04d}"
        out.append((plate, str(rng.choice(_PLATE_REASONS))))
    return tuple(out)


@lru_cache(maxsize=8)
def face_watchlist(seed: int) -> tuple[tuple[str, str], ...]:
    rng = rng_for(seed, "faces")
    names = rng.choice(_FACE_NAMES, FACES_SIZE, replace=False)
    return tuple((str(n), str(rng.choice(_FACE_REASONS, p=[0.5, 0.3, 0.2]))) for n in names)


_CATEGORY = {
    "urban_order": 18, "waste": 16, "infrastructure": 15, "street_lights": 12, "environment": 12, "traffic": 9,
    "trees_parks": 8, "security": 6, "heritage": 4,
}  # fmt: skip
_URGENT_CATEGORY = {"security": 30, "traffic": 20, "infrastructure": 20, "trees_parks": 15, "environment": 10}
_WORKING_DAYS = {
    "street_lights": 3, "waste": 3, "security": 3, "urban_order": 5, "traffic": 5, "trees_parks": 5,
    "environment": 7, "infrastructure": 7, "heritage": 7,
}  # fmt: skip
_CHANNELS = ("hue_s", "hotline", "web", "zalo", "facebook", "email")
_CHANNEL_CDF = np.cumsum([62, 14, 9, 7, 5, 3])
_CHANNEL_NAMES = {
    "hue_s": "ứng dụng Hue-S", "hotline": "đường dây nóng 1900 1075", "web": "cổng thông tin điện tử",
    "zalo": "Zalo", "facebook": "Facebook", "email": "thư điện tử",
}  # fmt: skip
_RATING = (0.02, 0.03, 0.08, 0.30, 0.57)
_RATING_LATE = (0.10, 0.15, 0.25, 0.30, 0.20)
_HERITAGE = (
    ("Đại Nội", 16.4698, 107.5786), ("Lăng Tự Đức", 16.4330, 107.5650), ("Lăng Khải Định", 16.3990, 107.5900),
    ("Lăng Minh Mạng", 16.3870, 107.5700), ("Chùa Thiên Mụ", 16.4533, 107.5447), ("Đàn Nam Giao", 16.4400, 107.5880),
    ("Cầu ngói Thanh Toàn", 16.4795, 107.6583), ("Điện Hòn Chén", 16.4280, 107.5400), ("Hổ Quyền", 16.4440, 107.5540),
)  # fmt: skip
_FALLBACK_ROADS = {
    True: ("đường Lê Lợi", "đường Hùng Vương", "đường Trần Hưng Đạo", "đường Điện Biên Phủ", "đường Bà Triệu",
           "đường Nguyễn Huệ", "đường Mai Thúc Loan", "đường Phạm Văn Đồng", "đường Tố Hữu", "đường Chi Lăng"),
    False: ("Quốc lộ 1A", "Quốc lộ 49", "Tỉnh lộ 4", "đường liên thôn", "đường liên xã"),
}  # fmt: skip
_TITLES = {
    "urban_order": ("Lấn chiếm vỉa hè kinh doanh trên {road}", "Đỗ xe trái phép dưới lòng {road}",
                    "Quảng cáo rao vặt dán sai quy định trên {road}", "Buôn bán hàng rong gây mất mỹ quan tại {place}"),
    "environment": ("Nước thải chảy tràn ra {road}", "Tiếng ồn karaoke kéo dài về đêm tại {place}",
                    "Bụi từ công trình xây dựng trên {road}", "Mùi hôi từ cống thoát nước tại {place}"),
    "waste": ("Rác thải tồn đọng chưa được thu gom trên {road}", "Đổ trộm phế thải xây dựng tại {place}",
              "Thùng rác công cộng bị hư hỏng trên {road}", "Xả rác xuống sông, mương tại {place}"),
    "street_lights": ("Đèn đường hỏng trên {road}", "Đèn chiếu sáng công cộng không hoạt động tại {place}",
                      "Cột đèn nghiêng có nguy cơ đổ trên {road}", "Đèn đường sáng cả ban ngày trên {road}"),
    "infrastructure": ("Mặt đường hư hỏng, nhiều ổ gà trên {road}", "Nắp hố ga bị vỡ trên {road}",
                       "Vỉa hè bong tróc, sụt lún trên {road}", "Cống thoát nước bị tắc tại {place}"),
    "trees_parks": ("Cây xanh gãy cành nguy hiểm trên {road}", "Cây xanh cần cắt tỉa trên {road}",
                    "Công viên xuống cấp, thiếu ghế ngồi tại {place}"),
    "heritage": ("Xả rác tại khu vực {site}", "Hàng rong chèo kéo du khách tại {site}",
                 "Viết vẽ bậy lên tường di tích {site}", "Đỗ xe lộn xộn trước {site}"),
    "security": ("Tụ tập gây mất trật tự ban đêm tại {place}", "Nghi vấn đua xe trái phép trên {road}",
                 "Trộm cắp tài sản tại {place}"),
    "traffic": ("Đèn tín hiệu giao thông không hoạt động trên {road}", "Ùn tắc giao thông kéo dài trên {road}",
                "Biển báo giao thông bị che khuất trên {road}"),
}  # fmt: skip
_URGENT_TITLES = {
    "security": ("Đánh nhau gây mất an ninh trật tự tại {place}", "Nghi vấn trộm cắp đang diễn ra tại {place}"),
    "traffic": ("Tai nạn giao thông trên {road}", "Đèn tín hiệu giao thông mất điện trên {road}"),
    "infrastructure": ("Hố ga mất nắp gây nguy hiểm trên {road}", "Sụt lún mặt đường trên {road}"),
    "trees_parks": ("Cây xanh gãy đổ chắn ngang {road}",),
    "environment": ("Ngập sâu cục bộ trên {road}", "Cháy rác gây khói lớn tại {place}"),
}
_RESULTS = {
    "urban_order": "Đã kiểm tra, nhắc nhở và yêu cầu các hộ kinh doanh trả lại lòng đường, vỉa hè.",
    "environment": "Đã kiểm tra hiện trường, yêu cầu cơ sở khắc phục; tình trạng đã được xử lý.",
    "waste": "Đã phối hợp đơn vị vệ sinh môi trường thu gom, xử lý rác thải.",
    "street_lights": "Đơn vị quản lý chiếu sáng đã thay thế thiết bị, hệ thống hoạt động bình thường.",
    "infrastructure": "Đã sửa chữa mặt đường, thay nắp hố ga, bảo đảm an toàn giao thông.",
    "trees_parks": "Đã cắt tỉa, dọn dẹp cây xanh, bảo đảm an toàn cho người đi đường.",
    "heritage": "Trung tâm Bảo tồn Di tích Cố đô Huế đã chấn chỉnh và tăng cường lực lượng bảo vệ.",
    "security": "Công an địa phương đã xác minh, xử lý và tăng cường tuần tra kiểm soát.",
    "traffic": "Đã phối hợp lực lượng cảnh sát giao thông phân luồng và khắc phục sự cố.",
}
_REJECT = (
    "Phản ánh trùng lặp với phản ánh đã tiếp nhận trước đó.",
    "Nội dung không thuộc phạm vi tiếp nhận của hệ thống phản ánh hiện trường.",
    "Không đủ thông tin để xác minh; đã đề nghị người phản ánh bổ sung.",
)
