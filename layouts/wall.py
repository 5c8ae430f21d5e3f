"""Wall display "/wall": the control-room kiosk with the live city map, KPI tiles, alert ticker and source health."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import dash
from dash import dcc, html

from data_sources.core.settings import get_settings
from ui import ids, shell
from ui import wall_config as wc
from ui import wall_panels as panels
from ui.i18n import pick_language, t

dash.register_page(
    __name__, path="/wall", title="IOC Huế – Wall", roles=["wall", "officer", "admin"], kiosk=True
)  # fmt: skip

AGE_UNITS = ("s", "m", "h", "d")
EMPTY_LIVE = {"traffic": {}, "fire": {}, "cameras": {}, "hotspots": {}, "complaints": {}, "ticker": []}


def js_config(cfg: dict, lang: str) -> dict:
    """What assets/wall.js needs: ids, the push URL, thresholds, view classes and titles, and its strings."""
    return {
        **cfg,
        "wake": ids.WALL_WAKE,
        "root": ids.WALL_ROOT,
        "clock": ids.WALL_CLOCK,
        "offline": ids.WALL_OFFLINE,
        "live": ids.WALL_LIVE,
        "cursor": ids.WALL_CURSOR,
        # The page's language and ticker length: the stream's ready-made updates are rendered for them.
        "push": dash.get_relative_path("/wall/push") + "?" + urlencode({"lang": lang, "ticker": cfg["ticker"]}),
        "hotspot_hours": wc.HOTSPOT_AGE_HOURS,
        "ages": {"kpi": wc.KPI_AGE, "spark": wc.SPARK_AGE, "link": wc.LINK_AGE},
        "classes": {
            view: f"{wc.root_class(view, cfg['layers'])} {shell.kiosk_class(__name__)}" for view in cfg["views"]
        },
        "titles": {view: t(f"wall.view.{view}", lang) for view in cfg["views"]},
        "fmt": {
            **{unit: t(f"wall.age.{unit}", lang) for unit in AGE_UNITS},
            "ago": t("wall.age.ago", lang),
            "none": t("wall.age.none", lang),
        },
    }


def layout(**query: str) -> html.Div:
    """Rebuilt per visit from the URL; all data arrives through callbacks.wall (the first pull loads the present)."""
    settings = get_settings()
    cfg = wc.parse_query(
        query, default_lang=pick_language(query.get("lang")), default_minutes=settings.live_window_minutes
    )
    lang, view = cfg["lang"], cfg["views"][0]
    config = js_config(cfg, lang)
    return html.Div(
        [
            html.Header(
                [
                    html.Span("IOC", className="brand-mark"),
                    html.Span(t("wall.title", lang), className="wall-title"),
                    html.Span(config["titles"][view], id=ids.WALL_VIEW_TITLE, className="view-title"),
                    html.Span(
                        t("wall.rotation", lang, n=len(cfg["views"]), s=cfg["rotate"]) if cfg["rotate"] else "",
                        className="rotation",
                    ),
                    html.Span(t("wall.window", lang, n=cfg["minutes"]), className="window"),
                    html.Span(id=ids.WALL_CLOCK, className="wall-clock"),
                ],
                className="wall-top",
            ),
            html.Div(id=ids.WALL_BANNER, className="wall-banner hidden", role="alert"),
            html.Div(t("wall.banner.offline", lang), id=ids.WALL_OFFLINE, className="wall-banner wall-offline"),
            html.Div(
                [
                    html.Div(
                        [
                            html.Div(
                                panels.city_map(cfg, tile_url=settings.tile_url, now=time.time()),
                                className="wall-mapwrap",
                            ),
                            panels.legend(lang),
                        ],
                        className="wall-mapbox",
                    ),
                    html.Div([panels.kpi_tiles(lang), panels.ticker(lang)], className="wall-side"),
                ],
                className="wall-main",
            ),
            panels.health_strip(lang),
            dcc.Store(id=ids.WALL_CONFIG, data=config),
            # What the server callbacks need, apart: it travels with every pull, the full config never does.
            dcc.Store(id=ids.WALL_OPTIONS, data={k: cfg[k] for k in ("lang", "ticker", "minutes")}),
            dcc.Store(id=ids.WALL_WAKE, data=0),
            dcc.Store(id=ids.WALL_CURSOR, data=None),
            dcc.Store(id=ids.WALL_HEALTH, data=None),
            dcc.Store(id=ids.WALL_KPI_AT, data=None),
            dcc.Store(id=ids.WALL_SPARK_AT, data=None),
            # Keyed tables of every layer plus the ticker rows, patched by callbacks.wall.pull, drawn by wall.js.
            dcc.Store(id=ids.WALL_LIVE, data=EMPTY_LIVE),
            *panels.intervals(cfg["rotate"]),
        ],
        id=ids.WALL_ROOT,
        className=config["classes"][view],
        lang=lang,
    )
