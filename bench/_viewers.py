"""Locust users that behave like the browsers of /wall and /console: the same page, Dash and push requests.

What each page's browser sends was read off Chromium's network log and follows assets/wall.js and
assets/console.js: the page, `_dash-layout`, `_dash-dependencies`, the callbacks Dash fires for the layout,
every `dcc.Interval` tick, the SSE stream `/wall/push`, and the cursor pulls its messages cause. Callback
bodies are built from `_dash-dependencies` and the props the page holds, as dash-renderer builds them.
Import this module only after gevent's monkey-patching (bench/load.py does it first).
"""

from __future__ import annotations

import bisect
import json
import re
import socket
import time
from collections import defaultdict
from urllib.parse import urlencode, urlparse

import gevent
from gevent.pool import Group
from locust import FastHttpUser, constant, task

CONFIG_RE = re.compile(r'<script id="_dash-config" type="application/json">(.*?)</script>', re.S)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Run:
    """What the bench sets before starting users, and what the users report back besides locust's stats."""

    token = ""
    officers: list[tuple[str, str]] = []
    signed_in = 0
    index: EntryIndex | None = None
    push_ms: dict[str, list[float]] = defaultdict(list)  # page -> publish-to-receive latencies of push messages
    callback_ms: list[float] = []
    counts: dict[str, int] = defaultdict(int)
    undated: list[dict] = []  # a few messages whose entries the bench's reader never saw, for the report


class EntryIndex:
    """Every stream entry id seen since the bench started (one XREAD loop), to date what a push message covers."""

    def __init__(self, r, k, streams: tuple[str, ...]) -> None:
        self.r, self.k, self.streams = r, k, streams
        self.ids: dict[str, list[tuple[int, int]]] = {s: [] for s in streams}
        self.total = 0

    def run(self) -> None:
        # From the start of each stream (the bench's prefix is new): "$" again after a read would skip whatever
        # another stream received between two reads.
        last = {self.k.stream(s): "0-0" for s in self.streams}
        while True:
            for key, entries in self.r.xread(last, block=1000) or []:
                key = key.decode()
                name = key.removeprefix(self.k.stream(""))
                for entry_id, _ in entries:
                    self.ids[name].append(_id(entry_id.decode()))
                    self.total += 1
                last[key] = entries[-1][0].decode()

    def oldest_after(self, since: dict[str, str], until: dict[str, str]) -> int | None:
        """Publish time (ms) of the oldest entry in (since, until] over all streams; None if none is known."""
        best = None
        for name, upto in until.items():
            start = since.get(name)
            if name not in self.ids or start is None or start == upto:
                continue
            seen = self.ids[name]
            i = bisect.bisect_right(seen, _id(start))
            if i < len(seen) and seen[i] <= _id(upto):
                best = seen[i][0] if best is None else min(best, seen[i][0])
        return best


def _open_stream(host: str, path: str, cookie: str, timeout: float = 15.0):
    """GET an event stream on a plain socket; returns it and an iterator over its text lines (chunked or not).

    A read timeout longer than the server's ping (4 s) plays the part of wall.js's 12 s watchdog.
    """
    url = urlparse(host)
    conn = socket.create_connection((url.hostname, url.port or 80), timeout=timeout)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\n"
        f"Cookie: {cookie}\r\n\r\n"
    )
    conn.sendall(request.encode())
    raw = conn.makefile("rb")
    status = raw.readline().decode("latin-1").split()
    headers = {}
    while (line := raw.readline().decode("latin-1").strip()) != "":
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if len(status) < 2 or status[1] != "200":
        conn.close()
        raise RuntimeError(f"push stream answered {' '.join(status[1:3])}")
    return conn, _lines(raw, chunked=headers.get("transfer-encoding") == "chunked")


def _lines(raw, *, chunked: bool):
    buffer = b""
    while True:
        if chunked:
            size = int(raw.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                return
            buffer += raw.read(size)
            raw.readline()
        else:
            block = raw.readline()
            if not block:
                return
            buffer += block
        *complete, buffer = buffer.split(b"\n")
        for line in complete:
            yield line.rstrip(b"\r").decode()


def _id(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _walk(node, props: dict) -> None:
    """Collect (id, prop) -> value of every component in a layout tree, as the renderer keeps them."""
    if isinstance(node, list):
        for child in node:
            _walk(child, props)
    elif isinstance(node, dict) and "props" in node and "type" in node:
        cid = node["props"].get("id")
        for name, value in node["props"].items():
            if cid is not None and isinstance(cid, str):
                props[(cid, name)] = value
            _walk(value, props)


def _outputs(spec: str) -> list[tuple[str, str]]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    return [tuple(p.rsplit(".", 1)) for p in parts]


class DashPage(FastHttpUser):
    """One open browser tab on a Dash page; subclasses say how it signs in and what its push messages do."""

    abstract = True
    wait_time = constant(3600)
    page = "/"
    concurrency = 6  # connections per host a browser opens

    def on_start(self) -> None:
        self.props: dict[tuple[str, str], object] = {}
        self.tab = Group()
        self.ticking: set[str] = set()

    def on_stop(self) -> None:
        self.tab.kill(block=True, timeout=5)

    # ------------------------------------------------------------ HTTP like the browser

    def csrf(self) -> str:
        return next((c.value for c in self.client.cookiejar if c.name == "_csrf_token"), "")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.client.cookiejar)

    def open_page(self, path: str) -> None:
        """The page, its layout and dependencies, and the callbacks Dash fires for them."""
        with self.client.get(path, name=f"GET {self.page}", catch_response=True) as resp:
            match = CONFIG_RE.search(resp.text or "")
            if resp.status_code != 200 or not match:
                resp.failure(f"page {resp.status_code}")
                raise gevent.GreenletExit
            self.end_id = json.loads(match.group(1)).get("end_id") or ""
        layout = self.client.get("/_dash-layout", name="GET /_dash-layout").json()
        deps = self.client.get("/_dash-dependencies", name="GET /_dash-dependencies").json()
        self.server_deps = [d for d in deps if not d.get("clientside_function")]
        self.appeared(layout)
        # dcc.Location reports the address once mounted: that (not the layout) runs the pages callback.
        self.props[("_pages_location", "pathname")] = urlparse(path).path
        self.props[("_pages_location", "search")] = ""
        pages = self.dep_for("_pages_location")
        self.tab.spawn(self.call, pages, changed=["_pages_location.pathname", "_pages_location.search"])

    def appeared(self, tree) -> None:
        """A layout (the shell, then the page's content) is drawn: Dash runs the callbacks whose inputs it holds."""
        new: dict = {}
        _walk(tree, new)
        self.props.update(new)
        added = {cid for cid, _ in new}
        present = {cid for cid, _ in self.props}
        wake = self.wake_id()
        for dep in self.server_deps:
            inputs = [i["id"] for i in dep["inputs"]]
            if dep.get("prevent_initial_call") or not all(cid in present for cid in inputs):
                continue
            if not any(cid in added for cid in inputs) or wake in inputs:
                continue  # the pull is woken by the push channel or the page's start callback, not by the layout
            self.tab.spawn(self.call, dep, changed=[])
        self.start_intervals()

    def start_intervals(self) -> None:
        for (cid, name), value in list(self.props.items()):
            if name != "interval" or self.props.get((cid, "disabled")) or cid in self.ticking:
                continue
            deps = [d for d in self.server_deps if any(i["id"] == cid for i in d["inputs"])]
            if deps:
                self.ticking.add(cid)
                self.tab.spawn(self.tick, cid, float(value) / 1000, deps)

    def tick(self, cid: str, seconds: float, deps: list[dict]) -> None:
        n = 0
        while True:
            gevent.sleep(seconds)
            n += 1
            self.props[(cid, "n_intervals")] = n
            for dep in deps:
                self.tab.spawn(self.call, dep, changed=[f"{cid}.n_intervals"])

    def dep_for(self, input_id: str) -> dict:
        return next(d for d in self.server_deps if any(i["id"] == input_id for i in d["inputs"]))

    def call(self, dep: dict, *, changed: list[str]) -> dict | None:
        """POST one callback as dash-renderer does; keep the new props (a Patch is applied by the browser only)."""

        def item(ref: dict) -> dict:
            key = (ref["id"], ref["property"])
            out = {"id": ref["id"], "property": ref["property"]}
            if key in self.props:
                out["value"] = self.props[key]
            return out

        outs = [{"id": cid, "property": prop} for cid, prop in _outputs(dep["output"])]
        body = {
            "output": dep["output"],
            "outputs": outs if dep["output"].startswith("..") else outs[0],
            "inputs": [item(i) for i in dep["inputs"]],
            "changedPropIds": changed,
            "parsedChangedPropsIds": changed,
        }
        if dep.get("state"):
            body["state"] = [item(s) for s in dep["state"]]
        name = f"cb {outs[0]['id']}"
        headers = {"X-CSRFToken": self.csrf(), "Content-Type": "application/json", "Accept": "application/json"}
        t0 = time.perf_counter()
        with self.client.post(
            f"/_dash-update-component?endId={self.end_id}", data=json.dumps(body), headers=headers, name=name,
            catch_response=True,
        ) as resp:  # fmt: skip
            Run.callback_ms.append((time.perf_counter() - t0) * 1000)
            if resp.status_code == 204:
                return None
            if resp.status_code != 200:
                resp.failure(f"{resp.status_code} {resp.error or (resp.text or '')[:120]}")
                return None
            answer = resp.json().get("response", {})
        for cid, values in answer.items():
            for prop, value in values.items():
                if not (isinstance(value, dict) and "__dash_patch_update" in value):
                    self.props[(cid, prop)] = value
        if "_pages_content" in answer:
            self.appeared(answer["_pages_content"].get("children"))
            self.page_ready()
        return answer

    # ------------------------------------------------------------ the push channel

    def push_stream(self) -> None:
        """Hold /wall/push open like EventSource: reconnect after `retry` when the server ends the stream."""
        path = self.config()["push"]
        last: dict[str, str] | None = None
        retry = 1.0
        while True:
            t0 = time.perf_counter()
            try:
                conn, lines = _open_stream(self.host, path, self.cookie_header())
            except Exception as exc:  # noqa: BLE001 - any failure to connect or a non-200 answer is an error
                self._stream_event("/wall/push", t0, exc)
                gevent.sleep(retry)
                continue
            self._stream_event("/wall/push", t0, None)
            event, data = "message", ""
            try:
                for line in lines:
                    if line.startswith("retry:"):
                        retry = int(line[6:].strip()) / 1000
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data = line[5:].strip()
                    elif not line:
                        last = self.on_message(event, data, last)
                        event, data = "message", ""
                # The server ends each stream after a few minutes (callbacks/push.py): reconnect like EventSource.
            except Exception as exc:  # noqa: BLE001 - a stream cut short (timeout, reset) is an error
                self._stream_event("/wall/push stream", t0, exc)
            finally:
                conn.close()
            gevent.sleep(retry)

    def _stream_event(self, name: str, t0: float, exc: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="SSE", name=name, response_time=(time.perf_counter() - t0) * 1000, response_length=0,
            exception=exc,
        )  # fmt: skip

    def on_message(self, event: str, data: str, last: dict | None) -> dict | None:
        """Count and date one push message; returns the newest ids this viewer has been told about."""
        if event == "message" and not data:
            return last  # the `retry:` preamble
        if event in ("ping", "down", "message"):
            Run.counts[f"{self.kind} {event}"] += 1
            return last
        now_ms = time.time() * 1000
        try:
            body = json.loads(data)
        except ValueError:
            body = None
        if event == "update" and isinstance(body, dict):
            since, until = body.get("from") or last, body.get("to")
        else:
            since, until = last, body if isinstance(body, dict) else None
        Run.counts[f"{self.kind} {event}"] += 1
        if since and until and Run.index is not None:
            self.tab.spawn(self.date_message, now_ms, since, until, len(data))
        self.on_wake(event, body)
        return until or last

    def date_message(self, received_ms: float, since: dict, until: dict, size: int) -> None:
        """Latency of a message: from the publish time of the oldest entry it covers to when it was read.

        The bench's own stream reader may not have seen the entries yet (this process is busy too): look
        again for up to 5 s before giving up on dating it.
        """
        for _ in range(50):
            oldest = Run.index.oldest_after(since, until)
            if oldest is not None:
                latency = max(0.0, received_ms - oldest)
                Run.push_ms[self.kind].append(latency)
                self.environment.events.request.fire(
                    request_type="PUSH", name=f"{self.kind} publish->receive", response_time=latency,
                    response_length=size, exception=None,
                )  # fmt: skip
                return
            gevent.sleep(0.1)
        Run.counts[f"{self.kind} undated"] += 1
        if len(Run.undated) < 5:
            Run.undated.append({"since": since, "until": until})

    # ------------------------------------------------------------ page-specific

    kind = "page"

    def config(self) -> dict:
        raise NotImplementedError

    def wake_id(self) -> str:
        return (self.config() or {}).get("wake", "")

    def page_ready(self) -> None:
        """The page's content is on screen: its start callback runs (assets/*.js)."""

    def on_wake(self, event: str, body) -> None:
        raise NotImplementedError

    @task
    def view(self) -> None:
        self.sign_in()
        self.open_page(self.page)
        deadline = time.monotonic() + 60
        while not self.config().get("push"):  # the page's content (the pages callback) is still on its way
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.page}: no page content after 60 s")
            gevent.sleep(0.05)
        try:
            self.push_stream()
        finally:
            self.tab.kill(block=False)

    def sign_in(self) -> None:
        raise NotImplementedError


class WallViewer(DashPage):
    """A wall screen: display token, then assets/wall.js (one pull at a time; ready-made updates applied)."""

    page = "/wall"
    kind = "wall"

    def sign_in(self) -> None:
        self.n, self.until, self.cursor = 0, None, None
        self.inflight = self.pending = False
        with self.client.get(
            f"/wall?token={Run.token}", name="GET /wall?token", allow_redirects=False, catch_response=True
        ) as resp:
            if resp.status_code != 302:
                resp.failure(f"token sign-in {resp.status_code}")

    def config(self) -> dict:
        return self.props.get(("wall-config", "data")) or {}

    def on_wake(self, event: str, body) -> None:
        if event in ("ready", "changed"):
            self.until = body if isinstance(body, dict) else None
            self.wake()
        elif event == "update":
            if not isinstance(body, dict) or self.inflight or self.pending or self.cursor != body.get("from"):
                self.until = body.get("to") if isinstance(body, dict) else None
                self.wake()
            else:  # applied in the browser (set_props): no request
                self.cursor = body.get("to")
                Run.counts["wall applied"] += 1

    def wake(self) -> None:
        if self.inflight:
            self.pending = True
            return
        self.inflight, self.pending = True, False
        self.n += 1
        self.props[(self.wake_id(), "data")] = {"n": self.n, "until": self.until, "resync": False}
        self.tab.spawn(self.pull)

    def pull(self) -> None:
        Run.counts["wall pull"] += 1
        self.call(self.dep_for(self.wake_id()), changed=[f"{self.wake_id()}.data"])
        cursor = self.props.get(("wall-cursor", "data")) or {}
        self.inflight = False
        self.cursor = cursor.get("ids")
        if self.pending or cursor.get("more"):
            self.wake()


class ConsoleViewer(DashPage):
    """A duty officer at /console: signs in through the form, then assets/console.js (one pull at a time)."""

    page = "/console"
    kind = "console"

    def sign_in(self) -> None:
        self.n, self.inflight, self.again = 0, 0.0, False
        username, password = Run.officers[Run.signed_in % len(Run.officers)]
        Run.signed_in += 1
        page = self.client.get("/login?next=/console", name="GET /login")
        match = CSRF_RE.search(page.text or "")
        form = urlencode({"csrf_token": match.group(1) if match else "", "username": username, "password": password})
        with self.client.post(
            "/login?next=/console", data=form, name="POST /login", allow_redirects=False, catch_response=True,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ) as resp:  # fmt: skip
            if resp.status_code != 302:
                resp.failure(f"sign-in {resp.status_code}")

    def config(self) -> dict:
        return self.props.get(("console-config", "data")) or {}

    def page_ready(self) -> None:
        self.inflight, self.again = 0.0, False
        self.props[(self.wake_id(), "data")] = {"n": 0}  # console.js start() returns {n: 0}
        self.tab.spawn(self.pull)

    def on_wake(self, event: str, body) -> None:
        self.wake()

    def wake(self) -> None:
        # One pull in flight (a stuck one is given up after 5 s); a wake-up meanwhile reads on after it.
        if self.inflight and time.monotonic() - self.inflight < 5:
            self.again = True
            return
        self.inflight, self.again = time.monotonic(), False
        self.n += 1
        self.props[(self.wake_id(), "data")] = {"n": self.n}
        self.tab.spawn(self.pull)

    def pull(self) -> None:
        Run.counts["console pull"] += 1
        self.call(self.dep_for(self.wake_id()), changed=[f"{self.wake_id()}.data"])
        self.inflight = 0.0
        if (self.props.get(("console-cursor", "data")) or {}).get("more") or self.again:
            self.wake()
