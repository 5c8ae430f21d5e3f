"""Shared harness of the wall benches: a bench database, the app under gunicorn, Chromium and simulated walls."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
import requests  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from data_sources import auth, db, reference  # noqa: E402
from data_sources import events as ev  # noqa: E402
from data_sources.core import streams  # noqa: E402
from data_sources.core.connections import sqlalchemy_url  # noqa: E402
from data_sources.core.streams import Keys  # noqa: E402
from pipeline import state  # noqa: E402

DB_NAME = "ioc_bench_wall"
FILES = reference.load_files()
CAMERAS = [c["camera_id"] for c in FILES["cameras"]]
SEGMENTS = FILES["road_segments"]
UNITS = [u["code"] for u in FILES["units"]]


def server_urls() -> tuple[str, str]:
    env = os.environ.get
    pg = env("TEST_DATABASE_URL") or env("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    rd = env("TEST_REDIS_URL") or env("REDIS_URL") or "redis://127.0.0.1:6379/15"
    return pg, rd


def bench_database(admin_url: str) -> str:
    """A migrated bench database with the reference data (created once, reused)."""
    admin = create_engine(sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}).first():
            conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    url = make_url(sqlalchemy_url(admin_url)).set(database=DB_NAME).render_as_string(hide_password=False)
    db.migrate(url)
    engine = create_engine(sqlalchemy_url(url))
    if not reference.is_loaded(engine):
        reference.load_into(engine)
    engine.dispose()
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """The app served by gunicorn as in production, on a bench database and a private Redis prefix."""

    def __init__(self, *, worker_class: str = "gevent", workers: int = 2, threads: int = 64) -> None:
        pg, self.redis_url = server_urls()
        self.database_url = bench_database(pg)
        self.prefix = f"bench:wall:{uuid.uuid4().hex[:6]}:"
        self.k = Keys(self.prefix)
        self.r = redis.Redis.from_url(self.redis_url)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        engine = create_engine(sqlalchemy_url(self.database_url))
        _, self.token = auth.issue_token(engine, name=f"bench {self.prefix}", created_by="bench")
        engine.dispose()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "REDIS_PREFIX": self.prefix,
            "DEMO_FEED": "false",
            "SECRET_KEY": uuid.uuid4().hex,
        }
        kind = ["-k", "gevent", "--worker-connections", "1000"]
        if worker_class == "gthread":
            kind = ["-k", "gthread", "--threads", str(threads)]
        self.describe = f"gunicorn {' '.join(kind)} -w {workers}"
        cmd = [sys.executable, "-m", "gunicorn", "app:server", *kind, "-w", str(workers), "--no-control-socket",
               "-c", str(ROOT / "bench" / "gunicorn_conf.py"),
               "--graceful-timeout", "2", "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
        deadline = time.time() + 180  # a busy shared machine can take a minute or more to import the app twice
        while time.time() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code in (200, 503):
                    return
            except requests.RequestException:
                time.sleep(0.3)
        self.proc.terminate()  # no orphan server left behind
        raise RuntimeError("gunicorn did not start")

    def publish(self, batch: list) -> float:
        """XADD a batch in one round trip and project it; returns the time just before the XADDs were sent."""
        sent = time.time()
        streams.publish(self.r, batch, k=self.k)
        state.StateWriter(self.r, self.k).apply(batch)
        return sent

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        for key in self.r.scan_iter(match=f"{self.prefix}*", count=1000):
            self.r.delete(key)


# ---------------------------------------------------------------- events


def alert(i: int, *, tag: str, severity: str = "high") -> ev.CameraAlert:
    """A camera alert that becomes a ticker row (data-alert-id = its event id)."""
    return ev.CameraAlert(event_id=f"{tag}-{i}", ts=datetime.now(UTC), camera_id=CAMERAS[i % len(CAMERAS)],
                          alert_type="crowding", severity=severity)  # fmt: skip


def city(now: datetime) -> list:
    """A plausible present to draw before measuring: every segment, danger per unit, a few alerts and reports."""
    out: list = []
    for i, seg in enumerate(SEGMENTS):
        level = (i * 7) % 5
        out.append(ev.TrafficReading(event_id=f"seed-tr-{i}-{uuid.uuid4().hex[:6]}", ts=now,
                                     segment_id=seg["segment_id"],
                                     speed_kmh=seg["free_flow_kmh"] * (0.9, 0.7, 0.5, 0.3, 0.1)[level],
                                     free_flow_kmh=seg["free_flow_kmh"], congestion_level=level))  # fmt: skip
    for i, unit in enumerate(UNITS):
        out.append(ev.FireDanger(event_id=f"seed-fd-{i}-{uuid.uuid4().hex[:6]}", ts=now, unit_code=unit,
                                 level=1 + i % 5))  # fmt: skip
    for i in range(0, len(CAMERAS), 13):
        out.append(
            ev.CameraAlert(
                event_id=f"seed-cam-{i}-{uuid.uuid4().hex[:6]}",
                ts=now,
                camera_id=CAMERAS[i],
                alert_type="crowding",
                severity=("low", "medium", "high", "critical")[i % 4],
            )
        )
    return out


class Mix:
    """A steady live feed: mostly traffic readings, some camera alerts, complaints that open and close, rare fire."""

    def __init__(self, seed: int = 11, open_complaints: int = 300, steady: bool = False) -> None:
        self.rnd = random.Random(seed)
        self.i = 0
        self.open: list[str] = []
        self.limit = open_complaints
        # Steady: once `limit` reports are open, each complaint event closes the oldest or opens a new one in
        # turn, so the number of open reports (and markers on the map) stays flat for a soak.
        self.steady = steady
        self.close_next = False

    def next(self) -> ev.CameraAlert | ev.TrafficReading | ev.ComplaintEvent | ev.FireDanger | ev.Hotspot:
        self.i += 1
        now, rnd, eid = datetime.now(UTC), self.rnd, f"mix-{self.i}-{uuid.uuid4().hex[:6]}"
        roll = rnd.random()
        if roll < 0.80:
            seg = rnd.choice(SEGMENTS)
            level = rnd.choice((0, 0, 1, 1, 2, 3, 4))
            return ev.TrafficReading(event_id=eid, ts=now, segment_id=seg["segment_id"],
                                     speed_kmh=seg["free_flow_kmh"] * (0.9, 0.7, 0.5, 0.3, 0.1)[level],
                                     free_flow_kmh=seg["free_flow_kmh"], congestion_level=level)  # fmt: skip
        if roll < 0.92:
            return ev.CameraAlert(event_id=eid, ts=now, camera_id=rnd.choice(CAMERAS), alert_type="crowding",
                                  severity=rnd.choice(("low", "medium", "high", "critical")))  # fmt: skip
        if roll < 0.995:
            if self.steady and len(self.open) >= self.limit:
                closing = self.close_next = not self.close_next
            elif self.steady:
                closing = False
            else:
                closing = len(self.open) >= self.limit or (self.open and rnd.random() < 0.5)
            cid = self.open.pop(0) if closing else f"PA-BENCH-{eid}"
            if not closing:
                self.open.append(cid)
            unit = FILES["units"][rnd.randrange(len(UNITS))]
            return ev.ComplaintEvent(event_id=eid, ts=now, complaint_id=cid,
                                     status="resolved" if closing else "received", category="waste",
                                     unit_code=unit["code"], lat=unit["lat"], lon=unit["lon"], channel="hue_s",
                                     title="Rác thải", received_at=now - timedelta(hours=1),
                                     deadline=now + timedelta(hours=rnd.choice((-2, 12, 72))))  # fmt: skip
        # Steady: hotspots stay on the map for a day, so new ones only while filling (they would pile up).
        if roll < 0.999 or (self.steady and len(self.open) >= self.limit):
            return ev.FireDanger(event_id=eid, ts=now, unit_code=rnd.choice(UNITS), level=rnd.randint(1, 5))
        return ev.Hotspot(
            event_id=eid,
            ts=now,
            lat=round(rnd.uniform(16.1, 16.5), 4),
            lon=round(rnd.uniform(107.2, 107.9), 4),
            confidence="nominal",
            source="VIIRS_NOAA20",
        )


# ---------------------------------------------------------------- a real wall in headless Chromium

OBSERVER = """
window.__seen = {};
var list = document.getElementById('wall-ticker');
new MutationObserver(function (records) {
  var ids = [];
  records.forEach(function (r) { r.addedNodes.forEach(function (n) {
    if (n.getAttribute && n.getAttribute('data-alert-id')) { ids.push(n.getAttribute('data-alert-id')); } }); });
  if (!ids.length) { return; }
  // Painted in the next frame: that is when the row is visible.
  requestAnimationFrame(function () { var t = Date.now(); ids.forEach(function (id) {
    if (!(id in window.__seen)) { window.__seen[id] = t; } }); });
}).observe(list, {childList: true});
"""


def chromium(*, width: int = 1920, height: int = 1080, perf_log: bool = False):
    """Headless Debian Chromium (same options as the browser tests), viewport set to the wall's pixels."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-extensions", "--no-first-run",
                f"--window-size={width},{height}", "--enable-precise-memory-info"):  # fmt: skip
        options.add_argument(arg)
    if perf_log:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options)
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return driver


def open_wall(driver, stack: Stack, query: str = "") -> None:
    """Sign in with the display token and open /wall; returns once the first pull has filled the ticker list."""
    driver.get(f"{stack.base}/wall?token={stack.token}")
    if query:
        driver.get(f"{stack.base}/wall{query}")
    deadline = time.time() + 30
    while time.time() < deadline:
        if driver.execute_script("return !!(window.iocWall && window.iocWall.es && window.iocWall.linkAt)"):
            return
        time.sleep(0.2)
    raise RuntimeError("the wall did not start")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")
