"""The load bench's side of the push channel: reading /wall/push as EventSource does, and dating its messages."""

from __future__ import annotations

import bisect
import socket
from urllib.parse import urlparse


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


def open_stream(host: str, path: str, cookie: str, timeout: float = 15.0):
    """GET an event stream on a plain socket; returns it and an iterator over its text lines (chunked or not).

    A read timeout longer than the server's ping (4 s) plays the part of the browser's 12 s watchdog
    (assets/live_channel.js).
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
