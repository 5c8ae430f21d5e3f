"""Callbacks of the duty console "/console": cursor pulls woken by the wall's push channel, detail, workflow (server);
filters, keys, sound and applying incoming rows (browser, assets/console.js)."""

from __future__ import annotations

import contextlib
import time
from typing import TypedDict

import redis
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update
from sqlalchemy.exc import SQLAlchemyError

from data_sources import alerts_workflow, console, console_history, console_lookup, reference
from data_sources.core import streams
from data_sources.core.connections import get_engine, get_redis
from data_sources.core.settings import get_settings
from data_sources.live import id_key
from server.auth import current_viewer
from server.boundary import BadInput, check, text
from ui import console_detail, console_rows, console_status, ids
from ui.i18n import LANGUAGES, t

ACTION_INPUTS = [Input(ids.console_action(a), "n_clicks") for a in ids.CONSOLE_ACTIONS]
# A comment longer than this is not a note from a shift (the workflow keeps the first 2000 characters).
MAX_COMMENT = 10_000


class Cursor(TypedDict, total=False):
    """The console's cursor store (see `_pull`), as the browser sends it back."""

    ids: dict[str, str]
    more: bool
    at: float


def _lang(config: dict | None) -> str:
    lang = (config or {}).get("lang")
    return lang if lang in LANGUAGES else "vi"


def _rows(items: list[dict], lang: str, states: dict | None = None) -> list[dict]:
    """Mask for the viewer, join the workflow states (read here unless given), build rows."""
    items = console.protect(get_engine(), items, viewer=current_viewer())
    if states is None:
        states = alerts_workflow.states(get_engine(), alert_ids=[i["alert_id"] for i in items])
    return console_rows.grid_rows(items, states, lang=lang, units=reference.places()["units"])


@callback(
    Output(ids.CONSOLE_CURSOR, "data"),
    Output(ids.CONSOLE_GRID, "rowData"),
    Output(ids.CONSOLE_INCOMING, "data"),
    Input(ids.CONSOLE_WAKE, "data"),
    State(ids.CONSOLE_CURSOR, "data"),
    State(ids.CONSOLE_CONFIG, "data"),
    prevent_initial_call=True,
)
def pull(wake: dict | int | None, cursor: Cursor | None, config: dict | None) -> tuple:
    """First wake-up loads the queue; later ones send only the new rows (assets/console.js adds or updates them)."""
    lang = _lang(config)
    try:
        return _pull(cursor, lang, _until(wake, cursor))
    except (redis.RedisError, SQLAlchemyError):  # a banner says which is down; the grid keeps its last rows
        # The same cursor, re-stamped: the browser learns the pull is over and may start the next one.
        return ({**cursor, "at": time.time()} if cursor else None), no_update, no_update


def _first(lang: str) -> tuple:
    """The whole queue: open alerts from PostgreSQL (past the stream window) merged with the streams' window."""
    history = console_history.cached_open_items(database_url=get_settings().database_url)
    try:
        snap = console.snapshot(get_redis(), engine=get_engine())
    except redis.RedisError:  # the history still shows; with no cursor, the next wake-up loads it all again
        return None, _rows(history, lang), no_update
    items = console_history.merge(history, snap["items"], snap["gone"])
    return {"ids": snap["cursor"], "more": False, "at": time.time()}, _rows(items, lang), no_update


def _until(wake: dict | int | None, cursor: dict | None) -> dict[str, str] | None:
    """The ids the browser knows exist, for every queue stream and the workflow stream, never behind the cursor;
    None (read to the streams' ends, not shared) when the browser does not know them all yet."""
    known = wake.get("until") if isinstance(wake, dict) else None
    ids = (cursor or {}).get("ids")
    if not isinstance(known, dict) or not ids or not all(isinstance(known.get(n), str) for n in console.ALL_CURSOR):
        return None
    try:
        return {n: max(known[n], ids.get(n) or "0", key=id_key) for n in console.ALL_CURSOR}
    except ValueError:  # not stream ids: read to the ends as before
        return None


def _pull(cursor: Cursor | None, lang: str, until: dict[str, str] | None = None) -> tuple:
    if not cursor or not cursor.get("ids"):
        return _first(lang)
    if not streams.cursor_ok(cursor["ids"]):
        raise BadInput("cursor: not stream entry ids")
    if until is None:
        got = console.pull(get_redis(), cursor["ids"], engine=get_engine())
        found = None
    else:  # read once per worker for every console woken by the same message
        got = console.shared_pull(get_redis(), cursor["ids"], until, engine=get_engine())
        found = got["states"]
    new_cursor = {"ids": got["cursor"], "more": got["more"], "at": time.time()}
    if not (got["items"] or got["changed"] or got["gone"]):
        return new_cursor, no_update, no_update
    if found is None:
        alert_ids = [i["alert_id"] for i in got["items"]] + got["changed"]
        found = alerts_workflow.states(get_engine(), alert_ids=alert_ids) if alert_ids else {}
    # `flash` marks rows that arrived while the page was open: the browser flashes and beeps for critical ones.
    rows = [{**row, "flash": True} for row in _rows(got["items"], lang, found)] if got["items"] else []
    # Another console acted: its new state (read from PostgreSQL, the truth) patches the rows in place.
    states = [console_rows.state_patch(a, found.get(a), lang=lang) for a in got["changed"]]
    # Complaints closed (or no longer due) leave the queue.
    return new_cursor, no_update, {"rows": rows, "states": states, "remove": got["gone"], "at": time.time()}


def _server_row(selected: object, lang: str) -> dict | None:
    """The grid row of the alert the browser selected, rebuilt from the server's own data (streams, PostgreSQL),
    masked for the viewer; None when no such alert exists. Only the id is taken from the browser."""
    if selected is None:
        return None
    check(selected, list[dict] | None, name="selectedRows")
    row = (selected or [None])[0]
    if row is None:
        return None
    alert_id = text(row.get("alert_id"), name="alert_id", max_len=200, optional=False)
    item = console_lookup.find(get_redis(), get_engine(), alert_id=alert_id)
    return _rows([item], lang)[0] if item is not None else None


def _panel(row: dict, lang: str) -> list:
    """Detail of one row: its audit trail (PostgreSQL), nearby cameras, and the last events at its place (Redis)."""
    trail = alerts_workflow.trail(get_engine(), alert_id=row["alert_id"])
    try:
        place = console.place_events(get_redis(), get_engine(), raw=row.get("raw") or {}, viewer=current_viewer())
    except redis.RedisError:  # Redis down: the rest of the detail still shows (the banner says why this is empty)
        place = []
    cameras = console.nearby_cameras(row.get("lat"), row.get("lon"))
    return console_detail.detail(row, trail, cameras, lang, place)


@callback(
    Output(ids.CONSOLE_DETAIL, "children"),
    Input(ids.CONSOLE_GRID, "selectedRows"),
    State(ids.CONSOLE_CONFIG, "data"),
)
def detail(selected: list[dict] | None, config: dict | None) -> list:
    """The detail panel of the selected alert, from the server's copy of it (masked): map inset, nearby cameras,
    audit trail, the event."""
    lang = _lang(config)
    if not (selected or [None])[0]:
        return console_detail.detail(None, [], [], lang)
    row = _server_row(selected, lang)
    if row is None:
        return console_detail.unknown(lang)
    return _panel(row, lang)


def _assignees() -> set[str]:
    return {p["value"] for p in alerts_workflow.cached_assignees(database_url=get_settings().database_url)}


@callback(
    Output(ids.CONSOLE_MESSAGE, "children"),
    Output(ids.CONSOLE_MESSAGE, "className"),
    Output(ids.CONSOLE_GRID, "rowTransaction"),
    Output(ids.CONSOLE_DETAIL, "children", allow_duplicate=True),
    Output(ids.CONSOLE_COMMENT, "value"),
    Output(ids.CONSOLE_GRID, "selectedRows"),
    *ACTION_INPUTS,
    State(ids.CONSOLE_GRID, "selectedRows"),
    State(ids.CONSOLE_COMMENT, "value"),
    State(ids.CONSOLE_ASSIGNEE, "value"),
    State(ids.CONSOLE_CONFIG, "data"),
    prevent_initial_call=True,
)
def act(*args) -> tuple:
    """Apply the clicked action at the version the officer saw; on a conflict, say who was first."""
    selected, comment, assignee, config = args[-4:]
    check(config, dict | None, name="config")
    check(comment, str | None, name="comment")
    assignee = text(assignee, name="assignee", max_len=200)
    lang = _lang(config)
    seen = (check(selected, list[dict] | None, name="selectedRows") or [None])[0]
    action = ctx.triggered_id.removeprefix("console-act-") if isinstance(ctx.triggered_id, str) else None
    if not seen or action not in ids.CONSOLE_ACTIONS:
        return t("console.pick", lang), "console-message warn", no_update, no_update, no_update, no_update
    # The version is what the officer saw (the conflict check needs it); everything else comes from the server.
    version = check(seen.get("version") or 0, int, name="version")
    if comment is not None and len(comment) > MAX_COMMENT:
        raise BadInput(f"comment: longer than {MAX_COMMENT} characters")
    row = _server_row(selected, lang)
    if row is None:  # no such alert: nothing is written, not even an audit row
        return t("console.unknown", lang), "console-message warn", no_update, no_update, no_update, no_update
    if action == "assign" and assignee not in _assignees():
        return t("console.assign.pick", lang), "console-message warn", no_update, no_update, no_update, no_update
    try:
        out = alerts_workflow.act(
            get_engine(), viewer=current_viewer(), alert_id=row["alert_id"], action=action,
            version=version, comment=comment, assignee=assignee, outcome=comment,
        )  # fmt: skip
    except alerts_workflow.InvalidAction:
        return t("console.invalid", lang), "console-message warn", no_update, no_update, no_update, no_update
    if out.ok:
        # Other consoles follow this stream; PostgreSQL has the change already (they see it on reload if lost).
        with contextlib.suppress(redis.RedisError):
            console.announce(get_redis(), alert_id=row["alert_id"], version=out.state["version"])
    new_row = console_rows.with_state(row, out.state, lang=lang)
    panel = _panel(new_row, lang)
    if out.ok:
        message, cls = t("console.done", lang, action=t(f"console.act.{action}", lang)), "console-message ok"
    else:
        state = t(f"console.state.{out.state['state']}", lang)
        message, cls = t("console.conflict", lang, who=out.conflict_by or "?", state=state), "console-message conflict"
    # The comment is kept after a conflict, so the officer can re-read it against what the other person did.
    # selectedRows too: the next action must name the new version, not the one the selection was made at.
    return message, cls, {"update": [new_row]}, panel, "" if out.ok else no_update, [new_row]


@callback(
    Output(ids.CONSOLE_BANNER, "children"),
    Output(ids.CONSOLE_BANNER, "className"),
    Output(ids.CONSOLE_BANNER, "data-state"),
    Output(ids.CONSOLE_HEALTH, "data"),
    Input(ids.CONSOLE_HEALTH_TICK, "n_intervals"),
    State(ids.CONSOLE_CONFIG, "data"),
)
def health(_tick: int | None, config: dict | None) -> tuple:
    """Redis outage banner, and the newest ids of the queue and workflow streams (the browser pulls when one
    is past its cursor: a fallback for a lost push, and how other consoles' actions arrive within a tick)."""
    try:
        heads = console.shared_heads(prefix=get_settings().redis_prefix)
    except redis.RedisError:  # the outage is the answer; nothing else on the page changes
        heads = None
    children, class_name, state = console_status.banner(redis_ok=heads is not None, lang=_lang(config))
    return children, class_name, state, {"redis": heads is not None, "heads": heads, "at": time.time()}


# ---------------------------------------------------------------- in the browser (assets/console.js)


def _js(name: str) -> ClientsideFunction:
    return ClientsideFunction(namespace="console", function_name=name)


# Starts the push channel, keys and sound once the page is drawn (its output makes Dash run it for this layout).
clientside_callback(_js("start"), Output(ids.CONSOLE_WAKE, "data"), Input(ids.CONSOLE_CONFIG, "data"))
clientside_callback(_js("pulled"), Input(ids.CONSOLE_CURSOR, "data"))
clientside_callback(_js("incoming"), Input(ids.CONSOLE_INCOMING, "data"))
clientside_callback(_js("health"), Input(ids.CONSOLE_HEALTH, "data"))
clientside_callback(
    _js("filters"),
    Input(ids.CONSOLE_SEARCH, "value"),
    Input(ids.CONSOLE_KIND, "value"),
    Input(ids.CONSOLE_UNIT, "value"),
    Input(ids.CONSOLE_AGENCY, "value"),
    Input(ids.CONSOLE_STATE, "value"),
)
clientside_callback(
    "function (n) { return n ? true : window.dash_clientside.no_update; }",
    Output(ids.CONSOLE_GRID, "exportDataAsCsv"),
    Input(ids.CONSOLE_EXPORT, "n_clicks"),
    prevent_initial_call=True,
)
