"""Simulated walls for the benches: what a wall page sends and receives, without a browser."""

from __future__ import annotations

import json
import threading
import time

import requests


class SimWall(threading.Thread):
    """What one wall page does on the wire, with the same rules as assets/wall.js and assets/live_channel.js:
    hold the SSE stream, apply a ready-made update when the cursor stands where it starts and no pull is
    under way, and otherwise run the pull callback, one pull at a time, the next one covering every wake-up
    that came meanwhile."""

    def __init__(self, base: str, token: str, query: dict | None = None) -> None:
        super().__init__(daemon=True)
        self.base, self.s = base, requests.Session()
        self.s.get(f"{base}/wall?token={token}", timeout=10)
        deps = self.s.get(f"{base}/_dash-dependencies", timeout=10).json()
        self.key = next(d["output"] for d in deps if d["output"].startswith("..wall-cursor.data"))
        outputs = [o.rsplit(".", 1) for o in self.key[2:-2].split("...")]
        self.outputs = [{"id": i, "property": p} for i, p in outputs]
        self.config = {"lang": "vi", "ticker": 250, "minutes": 60, **(query or {})}
        self.cursor = None
        self.seen: dict[str, float] = {}
        self.bytes_in, self.pulls, self.pushed, self.stop = 0, 0, 0, threading.Event()
        self.n, self.until, self.woken = 0, None, threading.Event()
        self.lock, self.inflight = threading.Lock(), False

    def pull(self) -> None:
        with self.lock:
            self.inflight = True
        try:
            self._pull()
        finally:
            with self.lock:
                self.inflight = False

    def update(self, data: str) -> None:
        """An "update" message: applied if it follows on from the cursor, else a wake-up up to its end."""
        got = time.time()
        message = json.loads(data)
        with self.lock:
            current = (self.cursor or {}).get("ids")
            if self.inflight or self.woken.is_set() or current != message["from"]:
                self.until = message["to"]
                self.woken.set()
                return
            self.cursor = {"ids": message["to"], "more": False}
            self.pushed += 1
        self.bytes_in += len(data)
        for alert_id in _alert_ids(message["live"]):
            self.seen.setdefault(alert_id, got)

    def _pull(self) -> None:
        self.n += 1
        body = {"output": self.key, "outputs": self.outputs, "changedPropIds": ["wall-wake.data"],
                "inputs": [{"id": "wall-wake", "property": "data", "value": {"n": self.n, "until": self.until}}],
                "state": [{"id": "wall-cursor", "property": "data", "value": self.cursor},
                          {"id": "wall-options", "property": "data", "value": self.config}]}  # fmt: skip
        token = self.s.cookies.get("_csrf_token")
        for attempt in range(3):  # an idle keep-alive connection the server just closed: send again
            try:
                response = self.s.post(f"{self.base}/_dash-update-component", json=body,
                                       headers={"X-CSRFToken": token or ""}, timeout=30)  # fmt: skip
                break
            except requests.ConnectionError:
                if attempt == 2:
                    raise
        got = time.time()
        response.raise_for_status()
        self.bytes_in += len(response.content)
        self.pulls += 1
        data = response.json()["response"]
        self.cursor = data["wall-cursor"]["data"]
        for alert_id in _alert_ids(data.get("wall-live", {}).get("data")):
            self.seen.setdefault(alert_id, got)
        if self.cursor.get("more"):
            self.woken.set()

    def listen(self) -> None:
        try:
            push = f"{self.base}/wall/push?lang={self.config['lang']}&ticker={self.config['ticker']}"
            with self.s.get(push, stream=True, timeout=(5, 30)) as stream:
                event = ""
                for line in stream.iter_lines(chunk_size=16384, decode_unicode=True):
                    if self.stop.is_set():
                        return
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: ") and event in ("changed", "ready"):
                        self.until = json.loads(line[6:])
                        self.woken.set()
                    elif line.startswith("data: ") and event == "update":
                        self.update(line[6:])
        except requests.RequestException:
            if not self.stop.is_set():
                raise

    def run(self) -> None:
        self.pull()
        threading.Thread(target=self.listen, daemon=True).start()
        while not self.stop.is_set():
            if self.woken.wait(0.5):
                self.woken.clear()
                try:
                    self.pull()
                except requests.RequestException:
                    if not self.stop.is_set():
                        raise


def run_sims(base: str, token: str, n: int, query: dict, ready, stop, out) -> None:
    """In a process of its own (so the harness's threads never delay the publisher's clock): n simulated walls
    until `stop` is set, then their first-seen times per event id on `out`."""
    sims = [SimWall(base, token, query) for _ in range(n)]
    for sim in sims:
        sim.start()
    ready.set()
    stop.wait()
    for sim in sims:
        sim.stop.set()
    out.put([{"seen": dict(sim.seen), "pulls": sim.pulls, "pushed": sim.pushed} for sim in sims])


def _alert_ids(value) -> list[str]:
    """Event ids of the ticker rows in a pull's answer: the whole live store (first pull) or a Patch of it."""
    if isinstance(value, dict) and "operations" in value:
        return [op["params"]["value"][0] for op in value["operations"] if op["operation"] == "Prepend"]
    if isinstance(value, dict):
        return [row[0] for row in value.get("ticker", [])]
    return []
