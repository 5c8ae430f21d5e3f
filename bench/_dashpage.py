"""A locust user that behaves like a browser tab on a Dash page: page, layout, callbacks, intervals, push stream.

Callback bodies are built from `_dash-dependencies` and the props the page holds, as dash-renderer builds
them; bench/_viewers.py says what each page does with its push messages. Import only after gevent's
monkey-patching (bench/load.py does it first).
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from urllib.parse import urlparse

import gevent
from gevent.pool import Group
from locust import FastHttpUser, constant, task

from bench._push import EntryIndex, open_stream

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
        # callbacks/shell.py, clientside: a kiosk page (the wall) turns the shell's banner tick off.
        kiosk = self.props.get(("shell-kiosk-paths", "data")) or []
        self.props[("shell-health-tick", "disabled")] = urlparse(path).path in kiosk
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
            if self.props.get((cid, "disabled")):
                continue
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
        self.answered(answer)
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
                conn, lines = open_stream(self.host, path, self.cookie_header())
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
                # The server ends each stream after a few minutes (server/push.py): reconnect like EventSource.
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

    def answered(self, answer: dict) -> None:
        """A callback's answer reached the page (clientside callbacks on its outputs run now)."""

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
