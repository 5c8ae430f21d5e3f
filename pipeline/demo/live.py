"""Live demo feed: publishes model events to the Redis streams in real time and reports itself alive apart.

It never re-sends an event to look alive: a stream with nothing to say stays silent, and the feed's liveness
goes to data_sources.liveness every few seconds, as a real adapter's does.

Event `ts` is always wall-clock time. `accel` only speeds up the *pattern* clock (rush hours, night,
evening crowds) that shapes what is generated and how often; `rate` multiplies volumes. Complaint
lifecycles stay in real time, so a complaint received live resolves hours or days later, exactly as the
pure model says (which is also how backfilled complaints found open in Redis keep moving).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
import time
from collections import Counter, deque

import numpy as np
import redis

from data_sources import events as ev
from data_sources import liveness
from data_sources.core.streams import publish
from data_sources.state import read_hash
from pipeline.demo import load_world
from pipeline.demo import model as m

log = logging.getLogger("demo.live")

TICK = 0.2  # seconds between generation steps
# The feed says it is alive this often, and each report counts this long: a stopped feed reads down within it.
ALIVE_EVERY, ALIVE_TTL = 5.0, 20.0
# Rangers publish the danger forecast daily: an unchanged level is published again as that day's new bulletin.
BULLETIN_SECONDS = 86_400
_BUFFER = 20_000  # events kept while Redis is down (oldest dropped first)


class LiveFeed:
    """Generation state between ticks: traffic phases, scheduled lifecycle steps, outage buffer, counters."""

    def __init__(self, r: redis.Redis, *, rate: float, accel: float, seed: int, now: float | None = None) -> None:
        self.r, self.rate, self.accel, self.seed = r, rate, accel, seed
        self.world = load_world()
        self.t0 = time.time() if now is None else now
        # Live draws need not repeat across runs (ts is wall clock); only the lifecycle model must.
        self.rng = np.random.default_rng([seed, int(self.t0 * 1000)])
        n = len(self.world.segments)
        self.period = max(60.0 / rate, 1.0)  # per segment; ids carry whole seconds, so at most one a second
        self.next_due = self.t0 + np.arange(n) * self.period / n
        self.seg_cams: dict[int, list[dict]] = {}
        for cam, j in zip(self.world.a["cong_cams"], self.world.a["cong_seg"].tolist(), strict=True):
            self.seg_cams.setdefault(j, []).append(cam)
        self.schedule: list[tuple[float, int, object]] = []
        self.seq = itertools.count()
        self.fire: dict[str, ev.FireDanger] = {}  # unit -> its current danger event
        self.alive_at = -ALIVE_EVERY  # monotonic time of the last liveness report
        self.buffer: deque = deque(maxlen=_BUFFER)
        self.retry_at, self.backoff, self.outage_since = 0.0, 0.0, None
        self.counts: Counter = Counter()
        self.resumed = 0

    def pattern(self, now: float) -> float:
        return self.t0 + (now - self.t0) * self.accel

    # ------------------------------------------------------------ start-up: pick up where the state left off

    def resume(self, stop: threading.Event) -> None:
        """Load current state (retrying while Redis is down), schedule open complaints' remaining steps."""
        delay = 0.5
        while not stop.is_set():
            try:
                complaints, fire, cameras = (read_hash(self.r, name) for name in ("complaints", "fire", "camera"))
                break
            except (redis.ConnectionError, redis.TimeoutError) as exc:
                if delay == 0.5:  # one line per outage, not one per retry
                    log.warning("redis unavailable at start (%s): retrying with backoff", exc)
                stop.wait(delay)
                delay = min(delay * 2, 10.0)
        else:
            return
        for snap in complaints.values():
            self._resume_complaint(snap)
        for unit, raw in fire.items():
            self.fire[unit] = ev.FireDanger.model_validate(raw)
        log.info("resumed %d open complaints, %d fire levels, %d cameras", self.resumed, len(fire), len(cameras))

    def _resume_complaint(self, snap: dict) -> None:
        current = ev.ComplaintEvent.model_validate(snap)
        received = int(current.received_at.timestamp())
        steps = m.complaint_lifecycle(self.world, self.seed, current.complaint_id, received)
        if steps[0].category != current.category or steps[0].unit_code != current.unit_code:
            return  # produced with another seed (or by a real source): not ours to move
        for step in steps:
            if step.ts > current.ts:
                self._later(step)
        self.resumed += 1

    def _later(self, event) -> None:
        heapq.heappush(self.schedule, (event.ts.timestamp(), next(self.seq), event))

    # ------------------------------------------------------------ one tick

    def tick(self, now: float, dt: float) -> list:
        p = self.pattern(now)
        return [*self._due(now), *self._traffic(now, p), *self._poisson(now, p, dt), *self._fire_levels(now, p)]

    def _due(self, now: float) -> list:
        out = []
        while self.schedule and self.schedule[0][0] <= now:
            out.append(heapq.heappop(self.schedule)[2])
        return out

    def _traffic(self, now: float, p: float) -> list:
        due = np.nonzero(self.next_due <= now)[0]
        if not due.size:
            return []
        # After a stall, re-phase instead of bursting every missed reading at once.
        self.next_due[due] = np.maximum(self.next_due[due] + self.period, now)
        speed, level, conf = m.traffic_values(self.world, self.seed, int(now), due, int(p))
        out: list = []
        p_scale = self.rate * self.period / m.STEP  # congestion_p is per 5-minute reading
        hot = self.world.a["hot"]
        for k, j in enumerate(due.tolist()):
            out.append(m.reading(self.world, j, now, float(speed[k]), int(level[k]), float(conf[k])))
            for cam in self.seg_cams.get(j, ()):
                if self.rng.random() < m.congestion_p(level[k], hot[j]) * p_scale:
                    out += self._follow(m.make_alert(self.world, self.seed, self.rng, "congestion", now, cam))
        return out

    def _poisson(self, now: float, p: float, dt: float) -> list:
        w, rng, out = self.world, self.rng, []
        scale = self.rate * dt / 3600
        for kind, lam in m.alert_rates(w, self.seed, np.array([p])).items():
            for _ in range(rng.poisson(float(lam[0]) * scale)):
                out += self._follow(m.make_alert(w, self.seed, rng, kind, now))
        levels = m.danger_at(w, self.seed, p)
        for _ in range(rng.poisson(m.hotspot_rate(w, self.seed, p) * scale)):
            units = list(levels)
            weights = np.array([m.HOTSPOTS_PER_DAY[levels[u]] for u in units])
            unit = units[int(rng.choice(len(units), p=weights / weights.sum()))]
            out += m.hotspots(w, rng, unit, now, str(rng.choice(m.SATELLITES, p=m.SATELLITE_P)))
        for _ in range(rng.poisson(float(m.complaint_rate(np.array([p]))[0]) * scale)):
            t = int(now)
            cid = m.new_complaint_id(self.seed, rng, t, urgent_only=m.is_night(p))
            out += self._follow(m.complaint_lifecycle(w, self.seed, cid, t))
        return out

    def _follow(self, events: list) -> list:
        """Publish the first event now, schedule the rest (back online, later lifecycle steps)."""
        for later in events[1:]:
            self._later(later)
        return events[:1]

    def _fire_levels(self, now: float, p: float) -> list:
        out = []
        for unit, level in m.danger_at(self.world, self.seed, p).items():
            old = self.fire.get(unit)
            if old is None or old.level != level or now - old.ts.timestamp() >= BULLETIN_SECONDS:
                event = ev.FireDanger(event_id=f"fd-{unit}-{int(now)}", ts=m.to_dt(now), unit_code=unit, level=level)
                self.fire[unit] = event
                out.append(event)
        return out

    # ------------------------------------------------------------ publishing through outages

    def publish(self, events: list, now: float, *, force: bool = False) -> None:
        """Send buffered + new events; while Redis is down, keep them and retry with backoff."""
        self.buffer.extend(events)
        if not self.buffer or (now < self.retry_at and not force):
            return
        batch = list(self.buffer)
        try:
            publish(self.r, batch)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if self.outage_since is None:
                self.outage_since = now
                log.warning("redis unavailable (%s): buffering up to %d events, retrying with backoff", exc, _BUFFER)
            self.backoff = min(max(self.backoff * 2, 0.5), 10.0)
            self.retry_at = now + self.backoff
            return
        self.buffer.clear()
        if self.outage_since is not None:
            log.info("redis back after %.0f s: published %d buffered events", now - self.outage_since, len(batch))
            self.outage_since, self.backoff = None, 0.0
        for e in batch:
            self.counts[ev.KIND_STREAM[e.kind]] += 1
            if e.kind == "fire_danger":
                self.fire[e.unit_code] = e

    def report_alive(self, mono: float) -> None:
        """Every ALIVE_EVERY s: the feed is running and can reach Redis, for each stream it feeds."""
        if mono - self.alive_at < ALIVE_EVERY:
            return
        try:
            liveness.report(self.r, ev.STREAMS, producer="demo", ttl=ALIVE_TTL, detail="demo feed running")
        except (redis.ConnectionError, redis.TimeoutError):
            return  # the outage is logged by publish; the reports expire and health says the feed is down
        self.alive_at = mono


def run_live(
    r: redis.Redis, *, rate: float, accel: float, seed: int, stop_event: threading.Event | None = None
) -> dict[str, int]:
    """Publish until `stop_event` is set; returns events published per stream."""
    stop = stop_event or threading.Event()
    feed = LiveFeed(r, rate=rate, accel=accel, seed=seed)
    feed.resume(stop)
    log.info("live feed: rate %.2f, accel %.1f, seed %d, %d segments", rate, accel, seed, len(feed.world.segments))
    last = report = time.time()
    while not stop.is_set():
        now = time.time()
        feed.publish(feed.tick(now, now - last), now)
        feed.report_alive(time.monotonic())
        last = now
        if now - report >= 60:
            total = sum(feed.counts.values())
            log.info("live: %.1f events/s %s", total / (now - feed.t0), dict(feed.counts))
            report = now
        stop.wait(max(0.0, TICK - (time.time() - now)))
    feed.publish([], time.time(), force=True)  # last flush attempt, ignoring backoff
    with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):  # stopped: say so now, not in ALIVE_TTL
        liveness.report(r, ev.STREAMS, producer="demo", ttl=ALIVE_TTL, ok=False, detail="demo feed stopped")
    elapsed = max(time.time() - feed.t0, 1e-9)
    log.info("live feed stopped: %d events in %.0f s %s", sum(feed.counts.values()), elapsed, dict(feed.counts))
    return dict(feed.counts)
