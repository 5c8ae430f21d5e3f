"""What any callback does when PostgreSQL or Redis is unreachable: say so in the shell banner, keep the screen."""

from __future__ import annotations

import logging

import redis
from dash import html, set_props
from sqlalchemy import exc as sa_exc

from ui import ids
from ui.i18n import pick_language, t

log = logging.getLogger(__name__)

# Server unreachable (refused, timed out, cut mid-query), as opposed to a bug, which must stay a loud 500.
_PG_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError)
_REDIS_DOWN = (redis.ConnectionError, redis.TimeoutError)


def on_callback_error(err: Exception) -> None:
    """Dash's app-wide on_error: an outage leaves every output as it is and raises the banner at once."""
    if isinstance(err, _PG_DOWN):
        key = "banner.pg_down"
    elif isinstance(err, _REDIS_DOWN):
        key = "banner.redis_down"
    else:
        raise err
    log.warning("callback skipped, %s (%s)", key.removeprefix("banner.").replace("_", " "), type(err).__name__)
    # The shell's health tick would say the same within seconds; a drill-down page should not look empty till then.
    message = [html.Div(t(key, pick_language()))]
    set_props(ids.SHELL_BANNER, {"children": message, "className": "banner banner-down"})
    return None  # no_update for every output: the page keeps its last picture
