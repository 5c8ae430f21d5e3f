"""Callbacks of the wall "/wall": cursor pulls woken by the push channel, health, KPIs and sparklines (server);
layer drawing, ageing and the playlist (browser, assets/wall.js)."""

from __future__ import annotations

import time
from typing import TypedDict

import redis
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

from data_sources import live, liveness, reference, wall_history
from data_sources.core import streams
from data_sources.core.connections import get_redis
from data_sources.core.settings import get_settings
from server.boundary import BadInput
from ui import ids, wall_updates
from ui import wall_builders as wb
from ui import wall_kpis as wk
from ui.i18n import t
from ui.wall_config import parse_query


class Cursor(TypedDict, total=False):
    """The page's stream cursor store (see `_cursor`)."""

    ids: dict[str, str]
    more: bool
    at: float


class Wake(TypedDict, total=False):
    """What assets/wall.js writes to wake a pull: the push message's `until` ids, and whether to resync."""

    n: int
    until: dict[str, str] | None
    resync: bool


def _options(config: dict | None) -> tuple[str, int, int]:
    """(language, ticker length, live window minutes) parsed again: the options store comes back from the browser."""
    config = config or {}
    settings = get_settings()
    opts = parse_query(
        {name: config.get(name) for name in ("lang", "ticker", "minutes")},
        default_lang=settings.language, default_minutes=settings.live_window_minutes,
    )  # fmt: skip
    return opts["lang"], opts["ticker"], opts["minutes"]


def _checked(cursor: Cursor, until: dict[str, str] | None) -> None:
    """Refuse cursors that hold anything but stream entry ids (a 400, never a Redis error)."""
    if not streams.cursor_ok(cursor["ids"]) or (until and not streams.cursor_ok(until)):
        raise BadInput("cursor: not stream entry ids")


def _cursor(ids_: dict[str, str], *, more: bool = False) -> dict:
    # `at` changes on every pull, so the browser learns each pull finished even when nothing was new.
    return {"ids": ids_, "more": more, "at": round(time.time(), 3)}


def _resync(r: redis.Redis, lang: str, cap: int) -> tuple[dict, dict]:
    """Load the present (first pull of a page, or after a long outage): whole tables, newest ticker rows."""
    places = reference.places()
    snap = live.snapshot(r, ticker=cap)
    rows = wb.ticker_rows(snap["recent"], places, lang, since=live.window_start())[0][-cap:][::-1]
    return _cursor(snap["cursor"]), {**wb.present(snap, places), "ticker": rows}


@callback(
    Output(ids.WALL_CURSOR, "data"),
    Output(ids.WALL_LIVE, "data"),
    Input(ids.WALL_WAKE, "data"),
    State(ids.WALL_CURSOR, "data"),
    State(ids.WALL_OPTIONS, "data"),
)
def pull(wake: Wake | int | None, cursor: Cursor | None, config: dict | None) -> tuple:
    """Read every stream after the page's cursor and send the changes as one Patch of the live store."""
    lang, cap, _ = _options(config)
    r = get_redis()
    wake = wake if isinstance(wake, dict) else {}
    # A fresh page, and every few hours a long-running one (assets/wall.js asks): the present, whole. That
    # also bounds the page's tables for good: what expired in Redis (old hotspots, closed reports) is gone.
    if not cursor or not cursor.get("ids") or wake.get("resync"):
        return _resync(r, lang, cap)
    until = wake.get("until")
    _checked(cursor, until)
    if until:  # the push message said up to where: a range every wall of this worker shares (see shared_update)
        got = wall_updates.shared_update(get_settings().redis_prefix, cursor["ids"], until, lang, cap)
        if got.resync:
            return _resync(r, lang, cap)
        return _cursor(got.cursor, more=got.more), no_update if got.patch is None else got.patch
    got = live.pull(r, cursor["ids"])
    if got.resync:
        return _resync(r, lang, cap)
    places = reference.places()
    changes = wb.layer_changes(got.events, places["cameras"])
    rows, gone = wb.ticker_rows(got.events, places, lang, since=live.window_start())
    patch = wb.live_patch(changes, rows, cap, gone)
    return _cursor(got.cursor, more=got.more), no_update if patch is None else patch


@callback(
    Output(ids.WALL_HEALTH, "data"),
    Output(ids.WALL_BANNER, "children"),
    Output(ids.WALL_BANNER, "className"),
    Input(ids.WALL_HEALTH_TICK, "n_intervals"),
    State(ids.WALL_OPTIONS, "data"),
)
def health(_tick: int | None, config: dict | None) -> tuple:
    """Per stream its state (ok, quiet, late, down, loading) and newest event time; the banner from them."""
    lang, _, _ = _options(config)
    now = time.time()
    try:
        snap = liveness.shared_snapshot(prefix=get_settings().redis_prefix)
    except redis.RedisError:  # the outage is the answer: the banner says so and the page keeps its picture
        children, class_name = wk.banner(redis_ok=False, states={}, loading=None, lang=lang)
        return {"now": now, "redis": False, "streams": None, "states": None}, children, class_name
    states = {name: s["state"] for name, s in snap["streams"].items()}
    children, class_name = wk.banner(redis_ok=True, states=states, loading=snap["loading"], lang=lang)
    times = {name: s["data_at"] for name, s in snap["streams"].items()}
    return {"now": now, "redis": True, "streams": times, "states": states}, children, class_name


@callback(
    *(Output(ids.wall_kpi(name, "value"), "children") for name in ids.WALL_KPIS),
    *(Output(ids.wall_kpi(name, "detail"), "children") for name in ids.WALL_KPIS),
    Output(ids.WALL_KPI_AT, "data"),
    Input(ids.WALL_KPI_TICK, "n_intervals"),
    State(ids.WALL_OPTIONS, "data"),
)
def kpis(_tick: int | None, config: dict | None) -> tuple:
    """The four tiles' figures from the current state in Redis (shared by every wall of a worker for 4 s)."""
    lang, _, minutes = _options(config)
    try:
        state = live.current_state(prefix=get_settings().redis_prefix)
    except redis.RedisError:  # the banner says Redis is down; the tiles keep their last figures
        return (no_update,) * (2 * len(ids.WALL_KPIS) + 1)
    summary = live.summarize(state, now=time.time(), alert_window_s=minutes * 60)
    texts = wk.kpi_texts(summary, lang)
    values = [texts[name][0] for name in ids.WALL_KPIS]
    details = [texts[name][1] for name in ids.WALL_KPIS]
    return *values, *details, summary["at"]


@callback(
    *(Output(ids.wall_kpi(name, "spark"), "children") for name in ids.WALL_KPIS),
    Output(ids.wall_kpi("complaints", "extra"), "children"),
    Output(ids.WALL_SPARK_AT, "data"),
    Input(ids.WALL_SPARK_TICK, "n_intervals"),
    State(ids.WALL_OPTIONS, "data"),
)
def sparklines(_tick: int | None, config: dict | None) -> tuple:
    """Last-hour sparklines and the 30-day on-time share from PostgreSQL (cached a minute per worker)."""
    lang, _, _ = _options(config)
    history = wall_history.last_hour()
    series = {"alerts": "alerts", "congestion": "congestion", "fire": "fire", "complaints": "open"}
    lines = [
        wk.sparkline(history[series[name]], t("wall.spark", lang, name=t(f"wall.kpi.{name}", lang)))
        for name in ids.WALL_KPIS
    ]
    return *lines, wk.on_time_text(history, lang), history["at"]


# ---------------------------------------------------------------- in the browser (assets/wall.js)


def _js(name: str) -> ClientsideFunction:
    return ClientsideFunction(namespace="wall", function_name=name)


# Starts the push channel and the age clocks once the page is on screen; the hooks below feed them. (Dash
# runs a callback for a page's newly drawn layout only if one of its outputs is in it: hence this output.)
clientside_callback(_js("start"), Output(ids.WALL_WAKE, "data"), Input(ids.WALL_CONFIG, "data"))
clientside_callback(_js("pulled"), Input(ids.WALL_CURSOR, "data"))
clientside_callback(_js("noteHealth"), Input(ids.WALL_HEALTH, "data"))
clientside_callback(_js("noteKpi"), Input(ids.WALL_KPI_AT, "data"))
clientside_callback(_js("noteSpark"), Input(ids.WALL_SPARK_AT, "data"))
# Point layers are drawn from the keyed stores in the browser: the server only ever sends changed keys.
# Everything on the map and the ticker is drawn in the browser from the live store: hideouts (with the clock
# that greys stale readings), point layers with their cluster radius in screen units (3 rem, so a 4K wall
# groups the same cameras as a 1080p one), and the ticker rows (text only; their count lands on the list).
# Parts of the store a Patch did not touch keep their identity, and their outputs are left alone.
clientside_callback(
    _js("layers"),
    Output(ids.WALL_TRAFFIC, "hideout"),
    Output(ids.WALL_FIRE_UNITS, "hideout"),
    Output(ids.WALL_FIRE_AREAS, "hideout"),
    Output(ids.WALL_CAMERAS, "data"),
    Output(ids.WALL_CAMERAS, "superClusterOptions"),
    Output(ids.WALL_HOTSPOTS, "data"),
    Output(ids.WALL_COMPLAINTS, "data"),
    Output(ids.WALL_COMPLAINTS, "superClusterOptions"),
    Output(ids.WALL_TICKER, "data-rows"),
    Input(ids.WALL_LIVE, "data"),
    Input(ids.WALL_MINUTE_TICK, "n_intervals"),
    State(ids.WALL_CONFIG, "data"),
    State(ids.WALL_TRAFFIC, "hideout"),
    State(ids.WALL_FIRE_UNITS, "hideout"),
)
clientside_callback(
    _js("rotate"),
    Output(ids.WALL_ROOT, "className"),
    Output(ids.WALL_VIEW_TITLE, "children"),
    Input(ids.WALL_ROTATE_TICK, "n_intervals"),
    State(ids.WALL_CONFIG, "data"),
    prevent_initial_call=True,
)
