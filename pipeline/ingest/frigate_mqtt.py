"""Follow Frigate live over MQTT (paho-mqtt): subscribe to events and tracked_object_update, ingest as they come."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import uuid
from urllib.parse import unquote, urlparse

import paho.mqtt.client as mqtt

from data_sources.core.settings import get_settings
from pipeline.ingest.common import Rejected, Sink, safe_convert
from pipeline.ingest.fetch import SourceError
from pipeline.ingest.frigate import Collapser, classify

log = logging.getLogger("pipeline.ingest")
FLUSH_EVERY_S = 0.2  # alerts reach the stream within this, yet a burst still goes out in one pipeline
# While subscribed, the adapter says so this often (cameras speak only on a detection: silence is no sign of life).
ALIVE_EVERY_S, ALIVE_TTL_S = 10.0, 60.0
DISCONNECTED = "disconnected"  # inbox marker put by on_disconnect


def connect(url: str, topics: list[str], inbox: queue.Queue) -> mqtt.Client:
    """A started client subscribed to `topics` (again after every reconnect); SourceError if unreachable."""
    parts = urlparse(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise SourceError(f"not an MQTT URL: {url!r} (mqtt://host:1883 or mqtts://user:pw@host:8883)")
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"hue-ioc-ingest-{uuid.uuid4().hex[:8]}")
    if parts.username:
        client.username_pw_set(unquote(parts.username), unquote(parts.password or ""))
    if parts.scheme == "mqtts":
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=60)

    def on_connect(c, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.warning("MQTT connect refused: %s", reason_code)
            return
        c.subscribe([(t, 0) for t in topics])  # Frigate publishes at QoS 0
        log.info("MQTT subscribed to %s", ", ".join(topics))

    def on_subscribe(_c, _userdata, _mid, _codes, _props) -> None:
        inbox.put(None)  # tells the follower the subscription is live

    def on_message(_c, _userdata, msg) -> None:
        inbox.put((msg.topic, msg.payload))  # blocks when full: back-pressure instead of unbounded memory

    def on_disconnect(_c, _userdata, _flags, reason_code, _props) -> None:
        inbox.put(DISCONNECTED)

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.on_disconnect = on_disconnect
    try:
        client.connect(parts.hostname, parts.port or (8883 if parts.scheme == "mqtts" else 1883), keepalive=30)
    except (OSError, ValueError) as exc:
        raise SourceError(f"MQTT broker {parts.hostname}:{parts.port}: {exc}") from None
    client.loop_start()
    return client


def follow(
    sink: Sink,
    *,
    url: str | None,
    stop: threading.Event,
    max_polls: int | None = None,
    ready: threading.Event | None = None,
) -> None:
    """Ingest Frigate messages until stopped (or after `max_polls` messages); `ready` is set once subscribed."""
    s = get_settings()
    prefix = s.frigate_topic_prefix.rstrip("/")
    inbox: queue.Queue = queue.Queue(maxsize=10_000)
    client = connect(url or s.mqtt_url, [f"{prefix}/events", f"{prefix}/tracked_object_update"], inbox)
    collapser, seq, last_flush = Collapser(), 0, time.monotonic()
    subscribed, alive_at = False, 0.0
    try:
        while not stop.is_set() and (max_polls is None or seq < max_polls):
            try:
                item = inbox.get(timeout=FLUSH_EVERY_S)
            except queue.Empty:
                item = False
            if subscribed and time.monotonic() - alive_at >= ALIVE_EVERY_S:
                sink.alive(True, "MQTT subscribed", ttl=ALIVE_TTL_S)
                alive_at = time.monotonic()
            if item is None:
                subscribed, alive_at = True, time.monotonic()
                sink.alive(True, "MQTT subscribed", ttl=ALIVE_TTL_S)
                if ready is not None:
                    ready.set()
            elif item == DISCONNECTED:
                subscribed = False
                sink.alive(False, "MQTT broker connection lost", ttl=ALIVE_TTL_S)
            elif item:
                seq += 1
                topic, raw = item
                sink.offer(f"mqtt {topic} #{seq}", raw, safe_convert(collapser, _message(topic, raw)))
            if inbox.empty() or time.monotonic() - last_flush >= FLUSH_EVERY_S:
                sink.flush()
                last_flush = time.monotonic()
    finally:
        client.loop_stop()
        client.disconnect()
        sink.flush()


def _message(topic: str, raw: bytes):
    try:
        payload = json.loads(raw.decode("utf-8", errors="replace"))
    except ValueError as exc:
        return Rejected("not JSON", str(exc)[:120])
    return classify(topic, payload)
