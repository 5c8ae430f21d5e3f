"""Wall soak: one wall page in headless Chromium for N minutes at 10 events/s; JS heap, DOM size and server RSS.

The heap is read through the DevTools protocol after a forced garbage collection (what the page keeps,
not what it has yet to collect), five times a second apart, and the median kept. The start figure is taken
after a warm-up, once every bounded structure (camera and segment tables, ticker, open complaints) has
filled; from then on the feed closes a complaint for each it opens and adds no hotspots, so the map holds as
much at the end as at the start. The first figure is printed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime

from _wall import CAMERAS, Mix, Stack, alert, chromium, city, open_wall

PROBE = """return {
  nodes: document.getElementsByTagName('*').length,
  ticker: document.querySelectorAll('#wall-ticker li').length,
  markers: document.querySelectorAll('.leaflet-marker-icon').length,
  paths: document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-pane path').length,
  pulls: window.iocWall ? window.iocWall.n : -1,
  pushed: window.iocWall ? window.iocWall.pushed : -1,
  linkAge: window.iocWall ? (Date.now() / 1000 - window.iocWall.linkAt) : -1
};"""


def server_rss(master: int) -> int:
    """Resident memory (bytes) of the gunicorn workers: the processes whose parent is the master."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != master:
                continue
            with open(f"/proc/{entry}/status") as f:
                total += next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration, ValueError):
            continue  # a worker that just ended
    return total


READINGS = 5  # per sample, 1 s apart


def heap(driver, stack: Stack) -> dict:
    """Used JS heap after a full GC (bytes; the median of READINGS readings), the page's DOM and Dash counters,
    and the server workers' RSS. One reading moves by ~2 MB either way (updates in flight when it is taken:
    two readings a second apart differed by 1.8 MB), the median of five much less."""
    used = []
    for i in range(READINGS):
        if i:
            time.sleep(1)
        driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
        used.append(driver.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"])
    return {"heap": statistics.median(used), "spread": max(used) - min(used), "rss": server_rss(stack.proc.pid),
            **driver.execute_script(PROBE)}  # fmt: skip


def fmt(label: str, m: dict, at: float) -> str:
    return (
        f"  {label:<22} t={at / 60:6.1f} min  heap {m['heap'] / 1e6:7.2f} MB (±{m['spread'] / 2e6:4.2f})  "
        f"DOM nodes {m['nodes']:5d}  "
        f"ticker rows {m['ticker']:3d}  markers {m['markers']:4d}  pulls {m['pulls']:6d}  "
        f"updates {m['pushed']:6d}  server RSS {m['rss'] / 1e6:6.1f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the run (default 60)")
    parser.add_argument("--rate", type=float, default=10.0, help="events per second (default 10)")
    parser.add_argument("--warmup", type=float, default=None, help="minutes before the start figure (default 10%%)")
    parser.add_argument("--open", type=int, default=60, help="open complaints held steady after warm-up (default 60)")
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent")
    args = parser.parse_args()
    warmup = args.warmup if args.warmup is not None else max(0.5, args.minutes * 0.1)
    stack = Stack(worker_class=args.worker_class)
    driver = None
    # Reports open until --open are, then close and open in turn: the map holds as much at the end as at the start.
    mix = Mix(open_complaints=args.open, steady=True)
    try:
        stack.publish(city(datetime.now(UTC)))
        # Every camera with a recent alert: the camera table starts full rather than filling during the run.
        stack.publish([alert(i, tag="soak-fill", severity="low") for i in range(len(CAMERAS))])
        driver = chromium()
        open_wall(driver, stack)
        driver.execute_cdp_cmd("Runtime.enable", {})
        t0 = time.time()
        first = heap(driver, stack)
        print(f"wall soak, {stack.describe}; {args.minutes:g} min at {args.rate:g} events/s, warm-up {warmup:g} min")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        print(fmt("first (page loaded)", first, 0))
        start, published, next_report = None, 0, t0 + 60
        samples: list[tuple[float, float]] = []
        end = t0 + args.minutes * 60
        tick = 1 / args.rate
        due = time.time()
        while time.time() < end:
            stack.publish([mix.next()])
            published += 1
            due += tick
            pause = due - time.time()
            if pause > 0:
                time.sleep(pause)
            now = time.time()
            if start is None and now - t0 >= warmup * 60:
                start = (heap(driver, stack), now - t0)
                print(fmt("start (after warm-up)", *start))
            if now >= next_report:
                next_report += 300 if args.minutes > 15 else 60
                sample = heap(driver, stack)
                if start is not None:
                    samples.append((now - t0, sample["heap"]))
                print(fmt("", sample, now - t0), flush=True)
        time.sleep(2)
        final = heap(driver, stack)
        print(fmt("end", final, time.time() - t0))
        base = start[0] if start else first
        growth = (final["heap"] - base["heap"]) / base["heap"] * 100
        rate = published / (time.time() - t0)
        print(f"\nevents published {published} ({rate:.1f}/s), open complaints {len(mix.open)}")
        print(f"JS heap growth start -> end: {growth:+.1f} % ({(final['heap'] - base['heap']) / 1e6:+.2f} MB)")
        samples.append((time.time() - t0, final["heap"]))
        if len(samples) >= 3:  # the heap moves by a megabyte either way between samples: the trend says more
            slope = statistics.linear_regression([t for t, _ in samples], [h for _, h in samples]).slope
            print(f"trend over {len(samples)} samples after warm-up: {slope * 3600 / 1e6:+.2f} MB per hour")
        print(f"DOM nodes start -> end: {base['nodes']} -> {final['nodes']}; link age at end {final['linkAge']:.1f} s")
        rss = (final["rss"] - base["rss"]) / base["rss"] * 100 if base["rss"] else float("nan")
        print(f"server RSS (gunicorn workers) start -> end: {base['rss'] / 1e6:.1f} -> {final['rss'] / 1e6:.1f} MB "
              f"({rss:+.1f} %)")  # fmt: skip
        print(f"load average at the end {os.getloadavg()[0]:.2f}")
    finally:
        if driver is not None:
            driver.quit()
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
