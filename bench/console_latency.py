"""Console latency: publish -> queue row in headless Chromium, and officer A's action -> officer B's row (prints only).

Same method as bench/latency.py: the app under gunicorn on a bench database and a private Redis prefix,
paced camera alerts then a burst, each alert a queue row (row id = event id). In the page a grid listener
notes when each row enters the grid and the frame after it (painted); a MutationObserver notes when a
row element is drawn (only rows inside the viewport are drawn: AG Grid virtualises the rest). Beside it a
dedicated Redis connection blocked in XREAD gives the raw XADD -> XREAD time of the same events. Then the
bench acts as another officer (PostgreSQL change + the workflow notification, as the console does) and
times until the open console's row shows the new state.
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, datetime

from _wall import ROOT, Stack, alert, chromium, percentile  # noqa: F401  (ROOT puts the app on sys.path)
from latency import RawReader
from sqlalchemy import create_engine

from data_sources import alerts_workflow, auth, console
from data_sources.core.connections import sqlalchemy_url
from data_sources.viewer import Viewer

# Notes when each row id first enters the grid's model (and the frame after: painted) and when its element is drawn.
HOOK = """
window.__model = {}; window.__drawn = {}; window.__state = {};
var api = dash_ag_grid.getApi('console-grid');
api.addEventListener('modelUpdated', function () {
  var fresh = [], moved = [];
  api.forEachNode(function (n) {
    var id = n.data.alert_id;
    if (!(id in window.__model)) { fresh.push(id); }
    if (n.data.state !== 'new' && !(id in window.__state)) { moved.push(id); }
  });
  requestAnimationFrame(function () { var t = Date.now();
    fresh.forEach(function (id) { if (!(id in window.__model)) { window.__model[id] = t; } });
    moved.forEach(function (id) { if (!(id in window.__state)) { window.__state[id] = t; } }); });
});
api.forEachNode(function (n) { window.__model[n.data.alert_id] = 0; });
new MutationObserver(function (ms) { ms.forEach(function (m) { m.addedNodes.forEach(function (n) {
  var id = n.getAttribute && n.getAttribute('row-id');
  if (id && !(id in window.__drawn)) { window.__drawn[id] = Date.now(); } }); }); })
  .observe(document.querySelector('#console-grid'), {childList: true, subtree: true});
"""


def sign_in(driver, stack: Stack) -> str:
    """A bench officer account, signed in through the real form; returns its username."""
    engine = create_engine(sqlalchemy_url(stack.database_url))
    username, password = f"bench-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    auth.create_user(engine, username=username, password=password, role="officer", display_name="Bench officer")
    engine.dispose()
    driver.get(f"{stack.base}/login")
    time.sleep(0.5)
    driver.find_element("css selector", "#username").send_keys(username)
    driver.find_element("css selector", "#password").send_keys(password)
    driver.find_element("css selector", "#signin-submit").click()
    time.sleep(1)
    return username


def wait_for(driver, script: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if driver.execute_script(f"try {{ return {script}; }} catch (e) {{ return false; }}"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {script}")


def line(label: str, lat: list[float], total: int) -> str:
    ms = [v * 1000 for v in lat]
    if not ms:
        return f"  {label:<40} delivered 0/{total}"
    return (
        f"  {label:<40} delivered {len(ms)}/{total}  p50 {percentile(ms, 50):7.1f} ms  "
        f"p95 {percentile(ms, 95):7.1f} ms  max {max(ms):7.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paced", type=int, default=100, help="alerts published one by one (default 100)")
    parser.add_argument("--burst", type=int, default=200, help="alerts in one pipeline (default 200)")
    parser.add_argument("--rate", type=float, default=10.0, help="paced alerts per second (default 10)")
    parser.add_argument("--actions", type=int, default=30, help="workflow changes by 'another officer' (default 30)")
    args = parser.parse_args()
    stack = Stack(workers=1)
    driver = None
    try:
        driver = chromium()
        sign_in(driver, stack)
        first = alert(0, tag=f"warm-{uuid.uuid4().hex[:4]}")
        stack.publish([first])
        driver.get(f"{stack.base}/console")
        wait_for(driver, f"!!dash_ag_grid.getApi('console-grid').getRowNode('{first.event_id}')")
        driver.execute_script(HOOK)
        print(f"console latency, {stack.describe}; {args.paced} paced at {args.rate:g}/s + {args.burst} burst")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} (other work on it counts too)")

        raw = RawReader(stack)
        raw.start()
        tag, published = f"c{uuid.uuid4().hex[:4]}", {}
        for i in range(args.paced):
            event = alert(i, tag=tag)
            published[event.event_id] = stack.publish([event])
            time.sleep(1 / args.rate)
        batch = [alert(args.paced + i, tag=tag) for i in range(args.burst)]
        at = stack.publish(batch)
        published.update({e.event_id: at for e in batch})
        deadline = time.time() + 30
        while time.time() < deadline:
            if driver.execute_script("return Object.keys(window.__model).length") > len(published):
                break
            time.sleep(0.25)
        raw.stop.set()
        model, drawn = driver.execute_script("return [window.__model, window.__drawn]")
        burst = {e.event_id for e in batch}
        page = {k: model[k] / 1000 - t for k, t in published.items() if k in model}
        print(line("row in grid + painted, all", list(page.values()), len(published)))
        print(line("row in grid + painted, paced", [v for k, v in page.items() if k not in burst], args.paced))
        print(line("row in grid + painted, 200-event burst", [v for k, v in page.items() if k in burst], len(burst)))
        shown = [drawn[k] / 1000 - t for k, t in published.items() if k in drawn and k not in burst]
        print(line("row element drawn (paced, top of grid)", shown, args.paced))
        print(line("raw Redis XADD -> XREAD (same run)", [raw.seen[k] - t for k, t in published.items()
                                                          if k in raw.seen], len(published)))  # fmt: skip

        # Another officer acts: PostgreSQL change + notification, exactly what callbacks.console.act does.
        engine = create_engine(sqlalchemy_url(stack.database_url))
        other = Viewer(role="officer", username="bench-other")
        acted = {}
        for event_id in list(published)[: args.actions]:
            out = alerts_workflow.act(engine, viewer=other, alert_id=event_id, action="acknowledge", version=0)
            console.announce(stack.r, alert_id=event_id, version=out.state["version"], k=stack.k)
            acted[event_id] = time.time()
            time.sleep(0.3)
        time.sleep(5)
        state = driver.execute_script("return window.__state")
        sync = [state[k] / 1000 - t for k, t in acted.items() if k in state]
        print(line("other officer's action -> row state", sync, len(acted)))
        engine.dispose()
        print(f"\nload average at the end {os.getloadavg()[0]:.2f}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    finally:
        if driver is not None:
            driver.quit()
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
