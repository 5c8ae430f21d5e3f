"""Load bench: browser-like viewers of /wall and /console (locust) against the Procfile's processes, feed at ~50 ev/s.

Starts `web` (gunicorn.conf.py: gevent, WEB_CONCURRENCY workers), `archiver` and `feed` from the Procfile on one
PostgreSQL database and one Redis prefix of its own, drives the viewers (bench/_viewers.py) and prints errors,
callback latency, push latency (stream entry id = publish time -> the viewer reads the message), the feed's
measured rate and the server CPU per viewer (gunicorn workers' CPU time / wall-clock / viewers).

    .venv/bin/python bench/load.py --viewers 200 --minutes 10          # the figures in the README
    .venv/bin/python bench/load.py --viewers 20 --seconds 60 --json x  # the CI smoke (test_load_smoke.py)
"""

from gevent import monkey

# Before anything opens a socket or imports psycopg (which picks a cooperative wait only if select is patched).
monkey.patch_all()

import argparse  # noqa: E402
import contextlib  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import urllib3.util  # noqa: E402
import urllib3.util.ssl_  # noqa: E402

# dash[testing] pins selenium 4.2, which holds urllib3 at 1.26; locust imports this name from where urllib3 2
# keeps it, for its requests-based HttpUser only (the viewers here use FastHttpUser).
if not hasattr(urllib3.util, "create_urllib3_context"):
    urllib3.util.create_urllib3_context = urllib3.util.ssl_.create_urllib3_context

import gevent  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import redis  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from gevent.pool import Pool  # noqa: E402
from locust import events  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.stats import print_percentile_stats, print_stats  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._dashpage import Run  # noqa: E402
from bench._push import EntryIndex  # noqa: E402
from bench._viewers import ConsoleViewer, WallViewer  # noqa: E402
from bench.deploy import Deployment, fresh_database  # noqa: E402
from data_sources import auth  # noqa: E402
from data_sources import events as ev  # noqa: E402
from data_sources.core.connections import sqlalchemy_url  # noqa: E402
from data_sources.core.streams import Keys, publish  # noqa: E402
from data_sources.events import STREAMS  # noqa: E402

DB_NAME = "ioc_bench_load"
URL_RE = re.compile(r"URL \S+")


def pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def raw_push_ms(r: redis.Redis, k: Keys, n: int = 200) -> float:
    """The floor for push latency, in the same run: XADD -> a blocked XREAD on another connection returns."""
    key, reader = k.stream("loadbench-raw"), redis.Redis(connection_pool=r.connection_pool)
    samples = []
    for _ in range(n):
        last = (r.xrevrange(key, count=1) or [(b"0-0", None)])[0][0]
        got = gevent.spawn(reader.xread, {key: last}, block=2000)
        gevent.sleep(0.002)
        t0 = time.perf_counter()
        r.xadd(key, {"x": "1"}, maxlen=100)
        got.get(timeout=5)
        samples.append((time.perf_counter() - t0) * 1000)
    r.delete(key)
    return float(np.median(samples))


T0 = time.monotonic()


def say(text: str) -> None:
    print(f"[load {time.monotonic() - T0:5.1f} s] {text}", file=sys.stderr, flush=True)


def cpu_seconds(procs: list[psutil.Process]) -> dict[int, float]:
    out = {}
    for p in procs:
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return out


def accounts(database_url: str, prefix: str, officers: int) -> tuple[str, list[tuple[str, str]]]:
    """A display token and one officer per console of this run (the database may be a test session's).

    One account per console, as in a control room: the sign-in limit (SIGNIN_ATTEMPTS_PER_MINUTE per user and
    address) counts sign-ins in flight, and a hundred at once under one name would be throttled, rightly.
    """
    engine = create_engine(sqlalchemy_url(database_url))
    _, token = auth.issue_token(engine, name=f"load {prefix}", created_by="bench")
    run = uuid.uuid4().hex[:6]
    out = [(f"load-{run}-{i}", secrets.token_urlsafe(18)) for i in range(max(officers, 1))]
    # argon2 releases the GIL: hashing in gevent's thread pool uses every core (a hundred hashes take seconds).
    hash_ = PasswordHasher.hash
    PasswordHasher.hash = lambda self, *a, **kw: gevent.get_hub().threadpool.apply(hash_, (self, *a), kw)
    try:
        Pool(8).map(
            lambda who: auth.create_user(engine, username=who[0], password=who[1], role="officer", display_name=who[0]),
            out,
        )
    finally:
        PasswordHasher.hash = hash_
    engine.dispose()
    return token, out


def publish_alerts(r: redis.Redis, k: Keys, per_s: float) -> None:
    """A busy shift's camera alerts on top of the feed: the demo sends them only as often as a real city would (a
    few a minute at most), so without these the consoles would have no queue work to pull during a short run."""
    with (ROOT / "data_sources" / "reference" / "cameras.csv").open(encoding="utf-8") as f:
        cameras = [row["camera_id"] for row in csv.DictReader(f)]
    rng = np.random.default_rng()
    n = 0
    while True:
        n += 1
        alert = ev.CameraAlert(
            event_id=f"load-{uuid.uuid4().hex[:12]}", ts=datetime.now(UTC), camera_id=str(rng.choice(cameras)),
            alert_type="crowding", severity="high", score=0.9,
        )  # fmt: skip
        publish(r, [alert], k=k)
        gevent.sleep(float(rng.exponential(1 / per_s)))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, default=200, help="walls + consoles open at once")
    parser.add_argument("--walls", type=float, default=0.5, help="share of the viewers that are walls")
    parser.add_argument("--minutes", type=float, default=None, help="measured time after all viewers are open")
    parser.add_argument("--seconds", type=float, default=None, help="the same in seconds (default 600)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="viewers opened per second")
    parser.add_argument("--feed-rate", type=float, default=7.0, help="FEED_RATE: 7 gives ~50 events/s")
    parser.add_argument("--alerts-per-s", type=float, default=1.0, help="extra camera alerts for the consoles")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY")
    parser.add_argument("--database-url", help="a migrated database with reference data (default: its own)")
    parser.add_argument("--redis-url", help="default TEST_REDIS_URL, REDIS_URL or redis://127.0.0.1:6379/15")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--log-dir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "ioc-load")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (args.minutes or 10) * 60
    env = os.environ.get
    redis_url = args.redis_url or env("TEST_REDIS_URL") or env("REDIS_URL") or "redis://127.0.0.1:6379/15"
    admin = env("TEST_DATABASE_URL") or env("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
    database_url = args.database_url or fresh_database(admin, DB_NAME)
    prefix = f"bench:load:{uuid.uuid4().hex[:6]}:"
    walls = round(args.viewers * args.walls)
    Run.token, Run.officers = accounts(database_url, prefix, args.viewers - walls)
    say(f"database ready, {len(Run.officers)} officers and a wall token created")
    WallViewer.fixed_count, ConsoleViewer.fixed_count = walls, args.viewers - walls
    r = redis.Redis.from_url(redis_url)
    k = Keys(prefix)
    deploy = Deployment(
        database_url=database_url, redis_url=redis_url, prefix=prefix,
        env={"WEB_CONCURRENCY": str(args.workers), "FEED_RATE": str(args.feed_rate), "WEB_LOG_LEVEL": "warning"},
    )  # fmt: skip
    errors: Counter = Counter()
    # When errors and stalls of the load generator happen (minute of the measured run): a push stream "timed
    # out" while this process itself was stalled says more about the generator than about the server.
    error_minutes: Counter = Counter()
    stalls: list[tuple[float, float]] = []
    measure_from = [float("inf")]

    def count_errors(request_type, name, exception, **_):
        if exception is not None:  # one kind per message, whatever URL (and endId) it names
            what = URL_RE.sub("URL", str(exception))[:140]
            errors[f"{request_type} {name}: {what}"] += 1
            if time.monotonic() >= measure_from[0]:
                error_minutes[int((time.monotonic() - measure_from[0]) // 60)] += 1

    def watch_stalls() -> None:
        while True:
            t = time.monotonic()
            gevent.sleep(0.1)
            late = time.monotonic() - t - 0.1
            if late > 0.5 and t >= measure_from[0]:
                stalls.append((t - measure_from[0], late))

    def count_user_errors(user_instance, exception, tb):
        errors[f"viewer {type(user_instance).__name__}: {exception!r}"[:160]] += 1

    events.request.add_listener(count_errors)
    events.user_error.add_listener(count_user_errors)
    try:
        deploy.start("web", log_dir=args.log_dir)
        deploy.start("archiver", log_dir=args.log_dir)
        deploy.wait_web()
        say(f"web, archiver up on {deploy.base} (prefix {prefix})")
        Run.index = EntryIndex(r, k, STREAMS)
        index_greenlet = gevent.spawn(Run.index.run)
        deploy.start("feed", log_dir=args.log_dir)
        alerts = gevent.spawn(publish_alerts, r, k, args.alerts_per_s) if args.alerts_per_s > 0 else None
        raw_ms = raw_push_ms(r, k)
        environment = Environment(user_classes=[WallViewer, ConsoleViewer], events=events, host=deploy.base)
        runner = environment.create_local_runner()
        started = time.time()
        runner.start(args.viewers, spawn_rate=args.spawn_rate)
        while runner.user_count < args.viewers and time.time() - started < 120:
            gevent.sleep(0.5)
        gevent.sleep(5)  # the last pages finish loading; then measure the steady state only
        ramp = time.time() - started
        say(f"{runner.user_count} viewers open after {ramp:.0f} s; measuring {seconds:.0f} s")
        environment.stats.reset_all()
        Run.push_ms.clear()
        Run.callback_ms.clear()
        Run.counts.clear()
        workers = deploy.workers()
        others = {
            "master": deploy.process("web"),
            "archiver": deploy.process("archiver"),
            "feed": deploy.process("feed"),
        }
        watched = [*workers, *others.values(), psutil.Process()]
        cpu0, entries0, t0 = cpu_seconds(watched), Run.index.total, time.monotonic()
        measure_from[0] = t0
        watcher = gevent.spawn(watch_stalls)
        gevent.sleep(seconds)
        watcher.kill(block=False)
        cpu1, entries1, elapsed = cpu_seconds(watched), Run.index.total, time.monotonic() - t0
        alive = [w.pid for w in deploy.workers()]
        events.request.remove_listener(count_errors)  # what the shutdown cuts short is not an error of the run
        runner.quit()
        index_greenlet.kill(block=False)
        if alerts is not None:
            alerts.kill(block=False)
        stats = environment.stats
    finally:
        for event, listener in ((events.request, count_errors), (events.user_error, count_user_errors)):
            with contextlib.suppress(ValueError):  # the request listener may be gone already
                event.remove_listener(listener)
        deploy.stop()
        for key in r.scan_iter(match=f"{prefix}*", count=1000):
            r.delete(key)

    def used(p: psutil.Process) -> float:
        return cpu1.get(p.pid, 0.0) - cpu0.get(p.pid, 0.0)

    worker_cpu = sum(used(w) for w in workers)
    callbacks = {
        name: (round(s.get_response_time_percentile(0.5)), round(s.get_response_time_percentile(0.95)), s.num_requests)
        for (name, method), s in stats.entries.items()
        if name.startswith("cb ") and s.num_requests
    }
    push_all = [v for values in Run.push_ms.values() for v in values]
    figures = {
        "viewers": args.viewers,
        "walls": walls,
        "consoles": args.viewers - walls,
        "workers": len(workers),
        "worker_class": "gevent",
        "ramp_s": round(ramp, 1),
        "measured_s": round(elapsed, 1),
        "feed_events_per_s": round((entries1 - entries0) / elapsed, 1),
        "errors": sum(errors.values()),
        "error_kinds": dict(errors.most_common(10)),
        "requests": stats.total.num_requests,
        "requests_per_s": round(stats.total.num_requests / elapsed, 1),
        "callback_ms_p50": pct(Run.callback_ms, 50),
        "callback_ms_p95": pct(Run.callback_ms, 95),
        "callbacks": callbacks,
        "push_ms_p50": pct(push_all, 50),
        "push_ms_p95": pct(push_all, 95),
        "push_ms_p99": pct(push_all, 99),
        "push_ms_by_page": {kind: (pct(v, 50), pct(v, 95), len(v)) for kind, v in Run.push_ms.items()},
        "raw_xadd_to_xread_ms_p50": round(raw_ms, 2),
        "messages": dict(sorted(Run.counts.items())),
        "worker_cpu_s": round(worker_cpu, 1),
        "cpu_per_viewer_pct_core": round(100 * worker_cpu / elapsed / args.viewers, 3),
        "workers_cpu_pct_core": round(100 * worker_cpu / elapsed, 1),
        "other_cpu_pct_core": {name: round(100 * used(p) / elapsed, 1) for name, p in others.items()},
        "load_generator_cpu_pct_core": round(100 * used(watched[-1]) / elapsed, 1),
        "undated_examples": Run.undated,
        "workers_restarted": sorted({w.pid for w in workers} - set(alive)),
        "errors_by_minute": dict(sorted(error_minutes.items())),
        "generator_stalls_over_0_5_s": len(stalls),
        "generator_longest_stall_s": round(max((late for _, late in stalls), default=0.0), 2),
        "generator_stall_s_by_minute": {
            m: round(sum(late for t, late in stalls if int(t // 60) == m), 1)
            for m in sorted({int(t // 60) for t, _ in stalls})
        },
    }
    table = logging.getLogger("locust.stats_logger")  # locust prints its tables through this logger
    table.addHandler(logging.StreamHandler(sys.stdout))
    table.setLevel(logging.INFO)
    table.propagate = False
    print_stats(stats)
    print_percentile_stats(stats)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


def report(f: dict) -> None:
    print(f"\n== bench/load.py: {f['viewers']} viewers ({f['walls']} /wall, {f['consoles']} /console), "
          f"gunicorn {f['worker_class']} x{f['workers']}, feed {f['feed_events_per_s']} events/s, "
          f"{f['measured_s']:.0f} s measured after a {f['ramp_s']:.0f} s ramp")  # fmt: skip
    print(f"errors: {f['errors']}  {f['error_kinds'] or ''}")
    print(f"requests: {f['requests']} ({f['requests_per_s']}/s)")
    print(f"callback latency ms: p50 {f['callback_ms_p50']}  p95 {f['callback_ms_p95']}")
    for name, (p50, p95, n) in sorted(f["callbacks"].items()):
        print(f"  {name:<34} p50 {p50:>6}  p95 {p95:>6}  n {n}")
    print(f"push latency ms (publish -> message at the viewer): p50 {f['push_ms_p50']}  p95 {f['push_ms_p95']}  "
          f"p99 {f['push_ms_p99']}  (raw XADD->XREAD p50 {f['raw_xadd_to_xread_ms_p50']} ms)")  # fmt: skip
    for kind, (p50, p95, n) in f["push_ms_by_page"].items():
        print(f"  {kind:<8} p50 {p50}  p95 {p95}  messages {n}")
    print(f"messages: {f['messages']}")
    print(f"server CPU: workers {f['workers_cpu_pct_core']}% of a core = {f['cpu_per_viewer_pct_core']}% of a core "
          f"per viewer; others {f['other_cpu_pct_core']}; load generator {f['load_generator_cpu_pct_core']}%"
          )  # fmt: skip
    print(f"errors by minute of the run: {f['errors_by_minute']}")
    stalled = f["generator_stall_s_by_minute"]
    print(f"load generator stalled > 0.5 s: {f['generator_stalls_over_0_5_s']} times, longest "
          f"{f['generator_longest_stall_s']} s; stalled seconds by minute {stalled}")  # fmt: skip
    if f["workers_restarted"]:
        print(f"workers that did not survive: {f['workers_restarted']}")


if __name__ == "__main__":
    main()
