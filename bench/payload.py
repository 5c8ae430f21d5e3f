"""Wall payload: bytes on the wire per live update, read from headless Chromium's network log (prints figures only).

For each kind of change the bench publishes one event (then a batch of 50) and adds up what the page
exchanged for it: the push message, the pull request and the pull answer (headers included, as Chromium
counts them; no compression is configured). KPI, health and sparkline refreshes run on their own clocks
whatever happens and are left out.
"""

from __future__ import annotations

import argparse
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

from _wall import CAMERAS, FILES, SEGMENTS, UNITS, Stack, chromium, city, open_wall

from data_sources import events as ev

PULL_OUTPUT = "wall-cursor.data"


def one(kind: str, i: int):
    """One event of `kind` that changes exactly one item on the wall."""
    now, eid = datetime.now(UTC), f"pl-{kind.replace(' ', '-')}-{i}-{uuid.uuid4().hex[:6]}"
    unit = FILES["units"][i % len(UNITS)]
    if kind == "camera alert":
        return ev.CameraAlert(event_id=eid, ts=now, camera_id=CAMERAS[(i * 7) % len(CAMERAS)], alert_type="fire_smoke",
                              severity="critical", score=0.9)  # fmt: skip
    if kind == "traffic reading":
        seg = SEGMENTS[(i * 11) % len(SEGMENTS)]
        return ev.TrafficReading(event_id=eid, ts=now, segment_id=seg["segment_id"], speed_kmh=3.0,
                                 free_flow_kmh=seg["free_flow_kmh"], congestion_level=4)  # fmt: skip
    if kind == "fire danger":
        return ev.FireDanger(event_id=eid, ts=now, unit_code=unit["code"], level=5)
    if kind == "hotspot":
        return ev.Hotspot(event_id=eid, ts=now, lat=16.2 + i * 0.001, lon=107.3, confidence="high", frp=20.0,
                          source="VIIRS_NOAA20")  # fmt: skip
    return ev.ComplaintEvent(event_id=eid, ts=now, complaint_id=f"PA-PL-{eid}", status="received", category="waste",
                             unit_code=unit["code"], lat=unit["lat"], lon=unit["lon"], channel="hue_s",
                             title="Rác thải chưa thu gom", received_at=now, deadline=now + timedelta(days=2),
                             urgent=i % 2 == 0)  # fmt: skip


KINDS = ("camera alert", "traffic reading", "fire danger", "hotspot", "complaint")


def exchange(driver) -> dict:
    """Bytes of pull requests, pull answers and push messages in the network log since the last call."""
    out = {"pulls": 0, "request": 0, "response": 0, "push": 0, "bodies": 0, "ops": []}
    pulls, headers, answer_headers = set(), {}, {}
    finished, bodies = {}, {}
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        method, p = msg["method"], msg.get("params", {})
        if method == "Network.requestWillBeSent" and "_dash-update-component" in p["request"]["url"]:
            body = p["request"].get("postData") or ""
            if PULL_OUTPUT in body:
                pulls.add(p["requestId"])
                out["request"] += len(body.encode())
                out["bodies"] += len(body.encode())
        elif method == "Network.requestWillBeSentExtraInfo":
            headers[p["requestId"]] = sum(len(k) + len(v) + 4 for k, v in p.get("headers", {}).items())
        elif method == "Network.responseReceivedExtraInfo":
            answer_headers[p["requestId"]] = len(p.get("headersText") or "") or sum(
                len(k) + len(v) + 4 for k, v in p.get("headers", {}).items()
            )
        elif method == "Network.dataReceived":
            bodies[p["requestId"]] = bodies.get(p["requestId"], 0) + p["dataLength"]
        elif method == "Network.loadingFinished":
            finished[p["requestId"]] = p["encodedDataLength"]
        elif method == "Network.eventSourceMessageReceived":
            out["push"] += len(f"event: {p['eventName']}\ndata: {p['data']}\n\n".encode())
            if p["eventName"] == "update":  # what the Patch touches: keys of the live store, never the whole of it
                live = json.loads(p["data"])["live"] or {"operations": []}
                out["ops"] += [f"{op['operation']} {'/'.join(map(str, op['location']))}" for op in live["operations"]]
    for request_id in pulls:
        out["pulls"] += 1
        out["request"] += headers.get(request_id, 0)
        out["response"] += finished.get(request_id, 0)
        out["bodies"] += bodies.get(request_id, 0)
    return out


def settle(driver, seconds: float = 1.5) -> dict:
    time.sleep(seconds)
    return exchange(driver)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=50, help="events in the batch update (default 50)")
    args = parser.parse_args()
    stack = Stack()
    driver = None
    try:
        stack.publish(city(datetime.now(UTC)))
        driver = chromium(perf_log=True)
        driver.execute_cdp_cmd("Network.enable", {})
        open_wall(driver, stack)
        first = settle(driver, 3)
        print(f"wall payload per live update, {stack.describe}; bytes incl. HTTP headers, uncompressed")
        print(f"first pull of a fresh page (the present, once): {first['response']:,} bytes answer\n")
        print(f"{'change':<34}{'pulls':>6}{'push':>8}{'request':>9}{'answer':>9}{'total':>9}{'per item':>10}"
              f"{'bodies/item':>13}")  # fmt: skip
        ops: list[str] = []
        for size in (1, args.batch):
            for kind in KINDS:
                stack.publish([one(kind, i) for i in range(size)])
                got = settle(driver)
                total = got["push"] + got["request"] + got["response"]
                label = f"{kind} x{size}" + (" (one pipeline)" if size > 1 else "")
                bodies = got["push"] + got["bodies"]
                print(f"{label:<34}{got['pulls']:>6}{got['push']:>8}{got['request']:>9}{got['response']:>9}"
                      f"{total:>9}{total / size:>10.0f}{bodies / size:>13.0f}")  # fmt: skip
                if size == 1:
                    ops.append(f"  {kind}: {'; '.join(got['ops']) or '(pulled, not pushed)'}")
        print("\nper item: everything on the wire; bodies/item: push message + pull request and answer bodies")
        print("(HTTP headers are the browser's own and the sign-in layer's: cookies, CSP, a fresh CSRF cookie)")
        print("target: <= 2,048 bytes per changed item")
        print("\nwhat each single-event update changes in the page's live store (Patch operation and path):")
        print("\n".join(ops))
    finally:
        if driver is not None:
            driver.quit()
        stack.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
