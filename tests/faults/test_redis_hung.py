"""A Redis that stops answering without closing its connections (SIGSTOP): the wall's change feed says so."""

from __future__ import annotations

import os
import signal
import time

from data_sources.core import streams
from data_sources.core.connections import BLOCKING_SOCKET_TIMEOUT_S, get_blocking_redis
from pipeline.facts import Refs
from server.live_feed import BLOCK_MS, ChangeFeed
from tests.faults.conftest import wait_for
from tests.faults.pages import camera_alert


def test_flt102_a_hung_redis_turns_the_wall_feed_down_then_it_resumes(fault_servers, fault_env, frds, fkeys):
    # A stopped process keeps its listening socket: the kernel still accepts and buffers, nothing answers, no
    # reset arrives. That is what a failed-over or cut-off Redis looks like to a reader blocked in XREAD.
    feed = ChangeFeed(get_blocking_redis, fkeys)
    feed.join()
    pid = fault_servers.redis.proc.pid
    try:
        first = wait_for(lambda: (c := feed.wait(0, timeout=1)).ids and c, timeout=10, what="the feed's first read")
        assert not first.down
        os.kill(pid, signal.SIGSTOP)
        stopped = time.monotonic()
        bound = BLOCKING_SOCKET_TIMEOUT_S + BLOCK_MS / 1000 + 5
        down = wait_for(lambda: (c := feed.wait(first.version, timeout=1)).down and c, timeout=bound, what="down")
        took = time.monotonic() - stopped
        assert took >= BLOCKING_SOCKET_TIMEOUT_S - 1  # the socket timeout told it, not some other error
        os.kill(pid, signal.SIGCONT)
        event = camera_alert(Refs.from_files(), "hung", 0)
        streams.publish(frds, [event], k=fkeys)
        back = wait_for(
            lambda: (c := feed.wait(down.version, timeout=1)) and not c.down and c.ids["camera"] != first.ids["camera"]
            and c,
            timeout=10,
            what="the feed to see a new alert after Redis answers again",
        )  # fmt: skip
        assert back.version > down.version
    finally:
        os.kill(pid, signal.SIGCONT)  # never leave the shared fault server stopped for the next test
        feed.leave()
