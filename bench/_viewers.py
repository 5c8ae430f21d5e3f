"""Locust users that behave like the browsers of /wall and /console: the same page, Dash and push requests.

What each page's browser sends was read off Chromium's network log and follows assets/live_channel.js,
assets/wall.js and assets/console.js: the page, `_dash-layout`, `_dash-dependencies`, the callbacks Dash fires
for the layout, every `dcc.Interval` tick, the SSE stream `/wall/push`, and the cursor pulls its messages cause.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from bench._dashpage import CSRF_RE, DashPage, Run
from data_sources.console import QUEUE_STREAMS as QUEUED


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
        self.n, self.inflight, self.again, self.ticks, self.down = 0, 0.0, False, 0, False
        self.until: dict | None = None
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
        """console.js `wakeIfQueued`: a message whose queue streams have not passed the cursor pulls nothing."""
        ids = body.get("to") if event == "update" and isinstance(body, dict) else body
        self.learn(ids)
        cursor = (self.props.get(("console-cursor", "data")) or {}).get("ids")
        if event != "ready" and cursor and isinstance(ids, dict) and not _passed(ids, cursor):
            Run.counts["console wake skipped"] += 1
            return
        self.wake()

    def answered(self, answer: dict) -> None:
        """console.js `health`: every tick, pull if a queue stream's head has passed the cursor (or Redis is back)."""
        health = (answer.get("console-health") or {}).get("data")
        if not isinstance(health, dict):
            return
        self.ticks += 1
        if not health.get("redis"):
            self.down = True
            return
        back, self.down = self.down, False
        cursor = (self.props.get(("console-cursor", "data")) or {}).get("ids")
        heads = health.get("heads") or {}
        self.learn(heads)
        behind = any(_after(heads[name], (cursor or {}).get(name)) for name in heads) if cursor else self.ticks > 1
        if back or behind:
            Run.counts["console health wake"] += 1
            self.wake()

    def learn(self, ids) -> None:
        """console.js `learn`: the newest ids known to exist; a pull reads up to them (shared per worker)."""
        if not isinstance(ids, dict):
            return
        self.until = self.until or {}
        for name, value in ids.items():
            if isinstance(value, str) and (name not in self.until or _after(value, self.until[name])):
                self.until[name] = value

    def wake(self) -> None:
        # One pull in flight (a stuck one is given up after 5 s); a wake-up meanwhile reads on after it.
        if self.inflight and time.monotonic() - self.inflight < 5:
            self.again = True
            return
        self.inflight, self.again = time.monotonic(), False
        self.n += 1
        self.props[(self.wake_id(), "data")] = {"n": self.n, "until": dict(self.until) if self.until else None}
        self.tab.spawn(self.pull)

    def pull(self) -> None:
        Run.counts["console pull"] += 1
        self.call(self.dep_for(self.wake_id()), changed=[f"{self.wake_id()}.data"])
        self.inflight = 0.0
        if (self.props.get(("console-cursor", "data")) or {}).get("more") or self.again:
            self.wake()


def _passed(ids: dict, cursor: dict) -> bool:
    """Has any queue stream in `ids` moved past the cursor?"""
    return any(name in ids and _after(ids[name], cursor.get(name)) for name in QUEUED)


def _after(a: str | None, b: str | None) -> bool:
    """Stream id a is newer than b ("0" or missing: the start)."""
    x, y = (tuple(int(p) for p in (str(v or "0") + "-0").split("-")[:2]) for v in (a, b))
    return x > y
