"""The wall's push channel: a Server-Sent Events stream that says "changed" when any stream gets an entry.

A wake-up makes the page pull from its own cursor (callbacks.wall.pull), so a merged, late or lost message
can never lose an event (see ../shared/STACK.md for what did lose them). When the stream can, it sends the
change ready-made instead ("update": the range it covers and its Patch, rendered once per process for every
wall, ui.wall_updates.shared_update); the page applies it only if its cursor stands exactly where the range
starts, and pulls otherwise: fifty walls then cost one read and one render per change, not fifty requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

from flask import Flask, Response, request

from data_sources.core.connections import get_blocking_redis
from data_sources.core.settings import get_settings
from data_sources.core.streams import Keys
from server.auth import allow_roles
from server.live_feed import ChangeFeed
from ui.wall_updates import update_renderer

PUSH_PATH = "/wall/push"
# A quiet stream still says "ping" this often, so the page knows the channel is alive and a closed tab frees
# its worker slot within seconds (the write fails).
PING_SECONDS = 4
# A stream ends after this long and the browser reconnects (retry 1 s): threads are recycled and a
# worker restart never waits on an endless response.
STREAM_SECONDS = 300
RETRY_MS = 1000


def message(event: str, data: str = "1") -> str:
    """One SSE message."""
    return f"event: {event}\ndata: {data}\n\n"


def wake_ups(
    feed: ChangeFeed,
    *,
    seconds: float = STREAM_SECONDS,
    ping: float = PING_SECONDS,
    render: Callable[[dict, dict], str | None] | None = None,
) -> Iterator[str]:
    """ready (catch up), then changed/update/ping every few seconds, or down while Redis is unreachable.

    ready and changed carry the stream ids they report up to: every wall woken by one message pulls the
    same range, which the server reads once (data_sources.live.pull_range). With `render`, each change that
    follows on from the one before is sent as "update" (see ui.wall_updates.update_renderer), every one in order.
    """
    yield f"retry: {RETRY_MS}\n\n"
    feed.join()
    try:
        deadline, seen, ready = time.monotonic() + seconds, 0, False
        while time.monotonic() < deadline:
            change = feed.wait(seen, timeout=ping)
            if change.version == seen:
                yield message("ping")
                continue
            kept = feed.since(seen) if ready else []
            # A stream that fell further behind than the feed keeps: one wake-up, the page pulls the rest.
            todo = kept if kept and kept[0].version == seen + 1 else [change]
            for change in todo:
                seen = change.version
                if change.down:
                    yield message("down")
                    continue
                if change.ids is None:
                    continue
                body = render(change.since, change.ids) if render and ready and change.since else None
                if body is not None:
                    yield message("update", body)
                else:
                    yield message("changed" if ready else "ready", json.dumps(change.ids))
                ready = True
    finally:
        feed.leave()


def feed_for(server: Flask, prefix: str) -> ChangeFeed:
    """This process's change feed for a key prefix, kept with the app (created on first use)."""
    feeds = server.extensions.setdefault("ioc_wall_feeds", {})
    return feeds.get(prefix) or feeds.setdefault(prefix, ChangeFeed(get_blocking_redis, Keys(prefix)))


def register(server: Flask) -> None:
    """Attach the SSE route; the sign-in guard lets the same roles through as the wall page."""

    @server.get(PUSH_PATH)
    @allow_roles("wall", "officer", "admin")
    def wall_push() -> Response:
        """text/event-stream of wake-ups for /wall."""
        prefix = get_settings().redis_prefix
        # ?wake=only (the console): wake-ups with the ids they reach, no rendered wall Patch it would throw away.
        render = None if request.args.get("wake") == "only" else update_renderer(prefix, request.args)
        stream = wake_ups(feed_for(server, prefix), render=render)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}  # no proxy buffering of the stream
        return Response(stream, mimetype="text/event-stream", headers=headers)
