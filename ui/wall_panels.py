"""The wall's static skeleton: map with offline basemap and four layers, legend, KPI tiles, ticker, health strip."""

from __future__ import annotations

import dash
import dash_leaflet as dl
from dash import dcc, html
from dash_extensions.javascript import Namespace

from data_sources.events import STREAMS
from data_sources.live import FIRE_FRESH_SECONDS, TRAFFIC_FRESH_SECONDS
from ui import ids
from ui import wall_config as wc
from ui.i18n import t

# Style and marker functions live in assets/wall_map.js under window.dashExtensions.wall.
js = Namespace("dashExtensions", "wall")
EMPTY = {"type": "FeatureCollection", "features": []}
# z-order of the panes (Leaflet's own: tiles 200, overlays 400, markers 600).
PANES = {"base": 250, "fire": 350, "traffic": 420, "complaints": 620, "cameras": 640}
BASE_UNIT = {"color": "#5d7790", "weight": 1, "fillColor": "#142130", "fillOpacity": 0.55}
RIVER = {"color": "#3d8fd1", "weight": 4, "opacity": 0.9}
ROAD = {"color": "#3f5468", "weight": 1.5, "opacity": 0.9}


def _geo(name: str) -> str:
    return dash.get_asset_url(f"geo/{name}.geojson")


def _pane(name: str, children: list) -> dl.Pane:
    # The pane's class (leaflet-wall-<name>-pane) is what the view's CSS shows or hides: no map re-render.
    return dl.Pane(children, name=f"wall-{name}", style={"zIndex": PANES[name]})


def city_map(cfg: dict, *, tile_url: str, now: float) -> dl.Map:
    """One map: vector basemap from assets/geo (plus TILE_URL if set) and the four layers, each in its pane."""
    view = {"center": cfg["center"], "zoom": cfg["zoom"]} if cfg["center"] else {"bounds": wc.HUE_BOUNDS}
    hide = {"lv": {}, "now": now}
    traffic = {**hide, "pal": wc.CONGESTION_COLOURS, "fresh": TRAFFIC_FRESH_SECONDS, "none": wc.NO_DATA_COLOUR}
    fire = {**hide, "pal": wc.FIRE_COLOURS, "fresh": FIRE_FRESH_SECONDS}
    base = [dl.TileLayer(url=tile_url, maxZoom=18)] if tile_url else []
    return dl.Map(
        [
            *base,
            _pane(
                "base",
                [
                    dl.GeoJSON(url=_geo("units"), style=BASE_UNIT, interactive=False, pane="wall-base"),
                    dl.GeoJSON(url=_geo("river"), style=RIVER, interactive=False, pane="wall-base"),
                    dl.GeoJSON(url=_geo("roads"), style=ROAD, interactive=False, pane="wall-base"),
                ],
            ),
            _pane(
                "fire",
                [
                    dl.GeoJSON(
                        id=ids.WALL_FIRE_UNITS,
                        url=_geo("units"),
                        style=js("fireUnit"),
                        hideout=fire,
                        interactive=False,
                        pane="wall-fire",
                    ),
                    dl.GeoJSON(
                        id=ids.WALL_FIRE_AREAS,
                        url=_geo("forest_areas"),
                        style=js("forestArea"),
                        hideout=fire,
                        interactive=False,
                        pane="wall-fire",
                    ),
                    dl.GeoJSON(
                        id=ids.WALL_HOTSPOTS,
                        data=EMPTY,
                        pointToLayer=js("hotspot"),
                        hideout={"pal": wc.FIRE_COLOURS, "hours": wc.HOTSPOT_AGE_HOURS},
                        pane="wall-fire",
                    ),
                ],
            ),  # fmt: skip
            _pane(
                "traffic",
                [
                    dl.GeoJSON(
                        id=ids.WALL_TRAFFIC,
                        url=_geo("segments"),
                        style=js("traffic"),
                        hideout=traffic,
                        interactive=False,
                        pane="wall-traffic",
                    )
                ],
            ),  # fmt: skip
            _pane("complaints", [_clustered(ids.WALL_COMPLAINTS, "complaint", wc.DEADLINE_COLOURS, "wall-complaints")]),
            _pane(
                "cameras",
                [_clustered(ids.WALL_CAMERAS, "camera", [wc.OFFLINE_COLOUR, *wc.SEVERITY_COLOURS], "wall-cameras")],
            ),
        ],
        id=ids.WALL_MAP,
        className="wall-map",
        zoomSnap=0.25,
        zoomControl=False,
        attributionControl=False,
        # A wall nobody touches keeps whatever view it was set to; no stray scroll may move it.
        scrollWheelZoom=False,
        # Viewport tracking would write center/zoom back into the layout on every move (and needs a center).
        trackViewport=False,
        **view,
    )


def _clustered(component_id: str, kind: str, palette: list[str], pane: str) -> dl.GeoJSON:
    """A clustered point layer whose cluster icon shows the mix of classes inside (assets/wall_map.js)."""
    return dl.GeoJSON(
        id=component_id,
        data=EMPTY,
        cluster=True,
        pointToLayer=js(kind),
        clusterToLayer=js(f"{kind}Cluster"),
        superClusterOptions={"radius": 70, "maxZoom": 15},
        zoomToBoundsOnClick=False,
        hideout={"pal": palette},
        pane=pane,
    )


def _age(key: str) -> html.Span:
    """An empty span that assets/wall.js fills every second with the age of `key`'s data."""
    return html.Span(className="age", **{"data-age": key})


def _swatch(colour: str, label: str, shape: str = "dot") -> html.Span:
    # One component per item (the swatch is the item's ::before): every Dash component costs each update a little.
    return html.Span(label, className=f"lg-item sw-{shape}", style={"--c": colour})


def legend(lang: str) -> html.Div:
    """One block per layer (CSS shows those of the current view), each with the age of the layer's data."""
    sev = [_swatch(c, t(f"wall.sev.{s}", lang)) for c, s in zip(wc.SEVERITY_COLOURS, SEVERITIES, strict=True)]
    blocks = {
        "cameras": [
            *sev,
            _swatch(wc.OFFLINE_COLOUR, t("wall.legend.offline", lang), "off"),
            _swatch(wc.SEVERITY_COLOURS[3], t("wall.legend.cluster", lang), "pie"),
        ],
        "traffic": [
            *(_swatch(c, t(f"wall.congestion.{i}", lang), "line") for i, c in enumerate(wc.CONGESTION_COLOURS)),
            _swatch(wc.NO_DATA_COLOUR, t("wall.legend.no_data", lang), "dash"),
        ],
        "fire": [
            *(_swatch(c, t(f"wall.fire.{i + 1}", lang), "fill") for i, c in enumerate(wc.FIRE_COLOURS)),
            html.Span(t("wall.legend.hotspots", lang), className="lg-sub"),
            *(
                _swatch(c, t("wall.legend.hotspot_age", lang, h=h), "tri")
                for c, h in zip(
                    (wc.FIRE_COLOURS[4], wc.FIRE_COLOURS[3], wc.FIRE_COLOURS[1]), wc.HOTSPOT_AGE_HOURS, strict=True
                )
            ),
        ],  # fmt: skip
        "complaints": [
            _swatch(c, t(f"wall.deadline.{s}", lang), shape)
            for c, s, shape in zip(wc.DEADLINE_COLOURS, DEADLINES, ("dot", "sq", "dia"), strict=True)
        ],
    }
    return html.Div(
        [
            html.Div(
                [
                    html.Div([html.Span(t(f"wall.layer.{name}", lang)), _age(f"layer:{wc.LAYER_STREAM[name]}")],
                             className="lg-title"),
                    html.Div(items, className="lg-items"),
                ],
                className=f"lg-block legend-{name}",
            )
            for name, items in blocks.items()
        ],
        className="wall-legend",
    )  # fmt: skip


SEVERITIES = ("low", "medium", "high", "critical")
DEADLINES = ("on_time", "due", "overdue")


def kpi_tiles(lang: str) -> html.Div:
    """Four tiles (value, detail, last-hour sparkline) and one line with the age of the figures and charts."""
    tiles = []
    for name in ids.WALL_KPIS:
        detail = [html.Div(id=ids.wall_kpi(name, "detail"), className="kpi-detail")]
        if name == "complaints":
            detail.append(html.Div(id=ids.wall_kpi(name, "extra"), className="kpi-detail"))
        tiles.append(
            html.Div(
                [
                    html.Div(t(f"wall.kpi.{name}", lang), className="kpi-label"),
                    html.Div("–", id=ids.wall_kpi(name, "value"), className="kpi-value"),
                    *detail,
                    html.Div(id=ids.wall_kpi(name, "spark"), className="kpi-spark"),
                    html.Div(t("wall.kpi.last_hour", lang), className="kpi-foot"),
                ],
                className=f"kpi kpi-{name}",
            )
        )
    ages = html.Div(
        [
            html.Span(t("wall.kpi.figures", lang) + ":"),
            _age("kpi"),
            html.Span("·"),
            html.Span(t("wall.kpi.history", lang) + ":"),
            _age("spark"),
        ],
        className="kpi-ages",
    )
    return html.Div([html.Div(tiles, className="wall-kpis"), ages], className="wall-kpibox")


def ticker(lang: str) -> html.Section:
    """Alert ticker, newest first (rows come from callbacks.wall as Patch operations)."""
    return html.Section(
        [
            html.Div([html.H2(t("wall.ticker.title", lang)), _age("link")], className="panel-head"),
            html.Ul(id=ids.WALL_TICKER, className="ticker", **{"data-rows": 0}),
        ],
        className="wall-ticker",
    )


def health_strip(lang: str) -> html.Footer:
    """Per stream: state, newest-event age and its time; assets/wall.js shows the state the server judged."""
    cells = []
    for name in STREAMS:
        states = [html.Span(t(f"wall.health.{s}", lang), className=f"hs-state hs-{s}") for s in HEALTH_STATES]
        cells.append(
            html.Div(
                [
                    html.Div([html.Span(t(f"wall.stream.{name}", lang), className="hs-name"), *states]),
                    html.Div(
                        [
                            _age(f"stream:{name}"),
                            html.Span(t("wall.health.last", lang), className="hs-lbl"),
                            html.Span(className="hs-at", **{"data-clock": f"stream:{name}"}),
                        ],
                        className="hs-when",
                    ),
                ],
                className="hs-cell",
                **{"data-stream": name},
            )
        )
    return html.Footer(cells, className="wall-health")


# data_sources.freshness.STATES, and "none" until the first health answer.
HEALTH_STATES = ("ok", "quiet", "late", "down", "loading", "none")


def intervals(rotate: int) -> list:
    """The wall's clocks: health 2 s (banner within 5 s), KPIs 5 s, sparklines 60 s, map ageing 30 s, playlist."""
    return [
        dcc.Interval(id=ids.WALL_HEALTH_TICK, interval=2_000),
        dcc.Interval(id=ids.WALL_KPI_TICK, interval=5_000),
        dcc.Interval(id=ids.WALL_SPARK_TICK, interval=60_000),
        dcc.Interval(id=ids.WALL_MINUTE_TICK, interval=30_000),
        dcc.Interval(id=ids.WALL_ROTATE_TICK, interval=max(rotate, 1) * 1000, disabled=not rotate),
    ]
