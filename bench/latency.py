"""Wall latency: publish -> row painted in headless Chromium, with 1 and with 50 walls open (prints figures only).

Each run publishes paced events then a 200-event burst (camera alerts: each becomes a ticker row with its
event id). A MutationObserver in the page notes when each row is inserted and the frame after it (painted).
Beside it, a dedicated Redis connection blocked in XREAD measures the raw XADD -> XREAD latency of the same
events. "50 walls" is one Chromium plus 49 simulated walls (the SSE stream and the pull callback over HTTP,
exactly what a page sends); 50 Chromiums do not fit in 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import threading
import time
from datetime import UTC, datetime

import redis
from _simwall import run_sims
from _wall import OBSERVER, Stack, alert, chromium, city, open_wall, percentile

RECEIVED = """
window.__recv = [];
window.iocWall.es.addEventListener('update', function (e) {
  var t = Date.now(), m = JSON.parse(e.data), ids = [];
  ((m.live || {}).operations || []).forEach(function (op) {
    if (op.operation === 'Prepend') { ids.push(op.params.value[0]); } });
  window.__recv.push([t, ids]);
});
"""


class RawReader(threading.Thread):
    """XREAD BLOCK on its own connection: when each entry could have been read straight from Redis."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(daemon=True)
        self.r = redis.Redis.from_url(stack.redis_url, socket_timeout=None)
        self.key = stack.k.stream("camera")
        self.last = (self.r.xrevrange(self.key, count=1) or [[b"0"]])[0][0]
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for _, entries in self.r.xread({self.key: self.last}, block=500) or []:
                now = time.time()
                for entry_id, fields in entries:
                    self.last = entry_id
                    event_id = fields[b"data"].split(b'"event_id":"', 1)[1].split(b'"', 1)[0].decode()
                    self.seen[event_id] = now


def run(stack: Stack, driver, *, paced: int, burst: int, rate: float, tag: str, sims=None) -> dict:
    driver.execute_script(OBSERVER)
    # When each ready-made update reached the page (before it was applied and drawn): splits the time.
    driver.execute_script(RECEIVED)
    before = driver.execute_script("return [window.iocWall.n, window.iocWall.pushed]")
    raw = RawReader(stack)
    raw.start()
    published: dict[str, float] = {}
    for i in range(paced):
        event = alert(i, tag=tag)
        published[event.event_id] = stack.publish([event])
        time.sleep(1 / rate)
    batch = [alert(paced + i, tag=tag) for i in range(burst)]
    at = stack.publish(batch)
    published.update({e.event_id: at for e in batch})
    deadline = time.time() + 20
    while time.time() < deadline:
        if driver.execute_script("return Object.keys(window.__seen).length") >= len(published):
            break
        time.sleep(0.25)
    time.sleep(5 if sims else 0)  # the simulated walls answer on their own clock: give the slowest its time
    raw.stop.set()
    page_seen = driver.execute_script("return window.__seen")
    received = {i: t for t, ids in driver.execute_script("return window.__recv") for i in ids}
    counts = driver.execute_script("return [window.iocWall.n, window.iocWall.pushed]")
    sim_out = sims() if sims else []
    sim_seen = [s["seen"] for s in sim_out]
    return {
        "page_counts": [counts[0] - before[0], counts[1] - before[1]],
        "sim_counts": [sum(s["pulls"] for s in sim_out), sum(s["pushed"] for s in sim_out)],
        "published": published,
        "page": {k: page_seen[k] / 1000 - t for k, t in published.items() if k in page_seen},
        "received": {k: received[k] / 1000 - t for k, t in published.items() if k in received},
        "burst_ids": {e.event_id for e in batch},
        "raw": {k: raw.seen[k] - t for k, t in published.items() if k in raw.seen},
        "sims": [{k: seen[k] - t for k, t in published.items() if k in seen} for seen in sim_seen],
    }


def line(label: str, lat: dict[str, float], total: int) -> str:
    ms = [v * 1000 for v in lat.values()]
    if not ms:
        return f"  {label:<34} delivered 0/{total}"
    return (
        f"  {label:<34} delivered {len(ms)}/{total}  lost {total - len(ms)}  "
        f"p50 {percentile(ms, 50):7.1f} ms  p95 {percentile(ms, 95):7.1f} ms  max {max(ms):7.1f} ms"
    )


def report(title: str, result: dict) -> None:
    total = len(result["published"])
    burst = result["burst_ids"]
    print(f"\n{title}")
    print(line("Chromium wall, all events", result["page"], total))
    paced = {k: v for k, v in result["page"].items() if k not in burst}
    print(line("Chromium wall, paced events only", paced, total - len(burst)))
    print(line("Chromium wall, 200-event burst", {k: v for k, v in result["page"].items() if k in burst}, len(burst)))
    print(line("  of which: message at the page", result["received"], total))
    print(line("raw Redis XADD -> XREAD (same run)", result["raw"], total))
    page, raw = [v * 1000 for v in result["page"].values()], [v * 1000 for v in result["raw"].values()]
    if page and raw:
        print(f"  {'ratio wall / raw Redis':<34} p50 {percentile(page, 50) / percentile(raw, 50):.1f}x  "
              f"p95 {percentile(page, 95) / percentile(raw, 95):.1f}x")  # fmt: skip
    pulls, pushed = result["page_counts"]
    print(f"  {'':<34} Chromium wall: {pushed} ready-made updates applied, {pulls} pulls")
    if result["sims"]:
        merged = {f"{i}:{k}": v for i, sim in enumerate(result["sims"]) for k, v in sim.items()}
        print(line(f"{len(result['sims'])} simulated walls (response)", merged, total * len(result["sims"])))
        worst = max(statistics.median(s.values()) if s else float("inf") for s in result["sims"]) * 1000
        print(f"  {'':<34} slowest simulated wall's p50 {worst:.1f} ms")
        pulls, pushed = result["sim_counts"]
        print(f"  {'':<34} simulated walls: {pushed} ready-made updates applied, {pulls} pulls")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paced", type=int, default=300, help="events published one by one (default 300)")
    parser.add_argument("--burst", type=int, default=200, help="events in one pipeline (default 200)")
    parser.add_argument("--rate", type=float, default=10.0, help="paced events per second (default 10)")
    parser.add_argument("--walls", type=int, default=50, help="walls in the second run (default 50)")
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent")
    args = parser.parse_args()
    stack = Stack(worker_class=args.worker_class)
    driver, stop = None, None
    try:
        stack.publish(city(datetime.now(UTC)))
        driver = chromium()
        # A ticker long enough for the whole burst: rows beyond the screen are in the page, just not shown.
        open_wall(driver, stack, "?ticker=500")
        print(f"wall latency, {stack.describe}; {args.paced} paced at {args.rate:g}/s + {args.burst} burst")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on it counts too)")
        one = run(stack, driver, paced=args.paced, burst=args.burst, rate=args.rate, tag="one", sims=[])
        report("1 wall open (headless Chromium)", one)
        ctx = multiprocessing.get_context("spawn")
        ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
        child = ctx.Process(
            target=run_sims, args=(stack.base, stack.token, args.walls - 1, {"ticker": 500}, ready, stop, out)
        )
        child.start()
        ready.wait(120)
        time.sleep(3)  # every stream open and every first pull done

        def collect() -> list[dict]:
            stop.set()
            return out.get(timeout=60)

        many = run(stack, driver, paced=args.paced, burst=args.burst, rate=args.rate, tag="many", sims=collect)
        child.join(10)
        report(f"{args.walls} walls open (1 Chromium + {args.walls - 1} simulated over HTTP, own process)", many)
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    finally:
        if stop is not None:
            stop.set()
        if driver is not None:
            driver.quit()
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
