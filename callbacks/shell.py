"""Shell callbacks: the connection banner every page shows when Redis or PostgreSQL is unreachable."""

from __future__ import annotations

import json

from dash import Input, Output, State, callback, clientside_callback, html

from data_sources import health
from data_sources.core.huetime import HUE_TZ_NAME
from ui import ids
from ui.i18n import pick_language, t


@callback(
    Output(ids.SHELL_BANNER, "children"),
    Output(ids.SHELL_BANNER, "className"),
    Input(ids.SHELL_HEALTH_TICK, "n_intervals"),
)
def update_banner(_: int | None) -> tuple[list, str]:
    """Show which server is unreachable; hide the banner when both answer."""
    lang = pick_language()
    up, messages = health.servers_up(), []
    if not up["redis"]:
        messages.append(t("banner.redis_down", lang))
    if not up["postgres"]:
        messages.append(t("banner.pg_down", lang))
    if not messages:
        return [], "banner hidden"
    return [html.Div(m) for m in messages], "banner banner-down"


# A kiosk page (the wall) hides this banner and shows its own, so it must not poll for a banner nobody sees
# (a wall makes few requests, and this would be a large share of them). Clientside, so leaving the page turns it
# back on.
clientside_callback(
    """
    function (path, kiosk) {
        return (kiosk || []).indexOf(path || "") >= 0;
    }
    """,
    Output(ids.SHELL_HEALTH_TICK, "disabled"),
    Input("_pages_location", "pathname"),
    State(ids.SHELL_KIOSK_PATHS, "data"),
)


# The clock runs in the browser: a wall clock must tick even when the server is unreachable.
clientside_callback(
    """
    function (_) {
        const opts = {timeZone: HUE_TZ_NAME, hour12: false, hour: "2-digit", minute: "2-digit"};
        return new Date().toLocaleTimeString("vi-VN", opts) + " (GMT+7)";
    }
    """.replace("HUE_TZ_NAME", json.dumps(HUE_TZ_NAME)),
    Output(ids.SHELL_CLOCK, "children"),
    Input(ids.SHELL_HEALTH_TICK, "n_intervals"),
)
