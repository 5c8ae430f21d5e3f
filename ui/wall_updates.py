"""The wall's shared update renderer: a range of the streams turned into the page's Patch and the push stream's
"update" body, once per process for every wall that asks (the wall's pull callback and the push channel)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import redis

from data_sources import live, reference
from data_sources.core.cache import Shared
from data_sources.core.settings import get_settings
from ui import wall_builders as wb
from ui.wall_config import parse_query


def _key(ids: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in ids.items()))


@dataclass(frozen=True)
class Update:
    """A range of the streams made ready for the page: its Patch, the cursor after it, and the same as JSON."""

    cursor: dict[str, str]
    more: bool
    resync: bool
    patch: object  # dash.Patch, or None when nothing on the wall changed
    message: str | None  # the push stream's "update" body; None when the page must pull instead


# One answer per (range, language, ticker length) per process, whichever asks first (the push stream of any
# wall, or a pull): the others get the same objects. No role in the key on purpose: the wall's view of an
# event is the same public fields for every role (data_sources.live.PUBLIC_FIELDS), nothing to mask apart.
_UPDATES = Shared()


def shared_update(prefix: str, since: dict[str, str], until: dict[str, str], lang: str, cap: int) -> Update:
    """The Patch for the events in (since, until], computed once per process for every wall that asks."""
    key = (prefix, _key(since), _key(until), lang, cap)
    return _UPDATES.get(key, lambda: _render(prefix, key[1], key[2], lang, cap))


def _render(prefix: str, since: tuple, until: tuple, lang: str, cap: int) -> Update:
    got = live.pull_range(prefix=prefix, cursor=since, until=until)
    if got.resync:
        return Update(got.cursor, False, True, None, None)
    places = reference.places()
    changes = wb.layer_changes(got.events, places["cameras"])
    rows, gone = wb.ticker_rows(got.events, places, lang, since=live.window_start())
    patch = wb.live_patch(changes, rows, cap, gone)
    message = None
    if not got.more:  # a range too long for one read: the page pulls it in steps instead
        body = {"from": dict(since), "to": got.cursor, "live": None if patch is None else patch.to_plotly_json()}
        message = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Update(got.cursor, got.more, False, patch, message)


def update_renderer(prefix: str, args: Mapping[str, str]) -> Callable[[dict, dict], str | None]:
    """For a push stream opened with the page's ?lang=&ticker=: (since, until) -> the "update" body, or None."""
    settings = get_settings()
    cfg = parse_query(dict(args), default_lang=settings.language, default_minutes=settings.live_window_minutes)
    lang, cap = cfg["lang"], cfg["ticker"]

    def render(since: dict[str, str], until: dict[str, str]) -> str | None:
        try:
            return shared_update(prefix, since, until, lang, cap).message
        except redis.RedisError:  # a plain wake-up instead: the page's pull meets the outage and the banner
            return None

    return render
