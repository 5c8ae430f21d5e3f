"""Maps of the drill-down pages: offline vector basemap, clickable units, and GeoJSON builders (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

import dash
import dash_leaflet as dl
from dash_extensions.javascript import Namespace

from data_sources import reference
from ui.ids import DrillMap

# Style and marker functions live in assets/drill.js; they read the style each feature carries.
js = Namespace("dashExtensions", "drill")
EMPTY = {"type": "FeatureCollection", "features": []}
HUE_BOUNDS = [[15.995, 107.057], [16.743, 108.195]]
UNIT_BASE = {"color": "#5d7790", "weight": 1, "fillColor": "#142130", "fillOpacity": 0.55}
SELECTED = {"color": "#ffffff", "weight": 3, "fill": False, "dashArray": "6 4"}
RIVER = {"color": "#3d8fd1", "weight": 4, "opacity": 0.9}
ROAD = {"color": "#3f5468", "weight": 1.5, "opacity": 0.9}
FOREST = {"color": "#009E73", "weight": 1, "fillColor": "#009E73", "fillOpacity": 0.12, "dashArray": "3 3"}
NO_DATA = "#2a3a4c"
# Five ordered classes for a dark map: the lowest is a slate that recedes into the basemap, then yellow to red
# (ColorBrewer RdYlBu's warm half). Blue-grey against yellow/orange/red stays distinct under every common
# colour-vision deficiency, and the warm steps also differ in lightness. Used for congestion, counts and the
# fire danger levels I–V alike, so "darker red = worse" holds on every page.
MAX_ZOOM = 19
SEQUENTIAL = ("#2b4257", "#fee08b", "#fdae61", "#f46d43", "#d73027")


def _asset(name: str) -> str:
    return dash.get_asset_url(f"geo/{name}.geojson")


@lru_cache(maxsize=1)
def _unit_features() -> dict[str, dict]:
    geo = json.loads(reference.geo_path("units.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["code"]: f for f in geo["features"]}


@lru_cache(maxsize=1)
def _segment_features() -> dict[str, dict]:
    geo = json.loads(reference.geo_path("segments.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["segment_id"]: f for f in geo["features"]}


def _coords(geometry: dict) -> Iterable[list[float]]:
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for poly in polys:
        yield from poly[0]


def unit_bounds(code: str | None, focus: Sequence[str] = ()) -> list[list[float]]:
    """[[south, west], [north, east]] of a unit; else of the `focus` units (a head's own); else of all 40."""
    features = _unit_features()
    chosen = [features[c] for c in ([code] if code else focus) if c in features] or list(features.values())
    points = [p for f in chosen for p in _coords(f["geometry"])]
    if not points:
        return HUE_BOUNDS
    lons, lats = zip(*((p[0], p[1]) for p in points), strict=True)
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def selected_unit(code: str | None) -> dict:
    """The selected unit's outline as a FeatureCollection (empty without a selection)."""
    feature = _unit_features().get(code or "")
    return {"type": "FeatureCollection", "features": [feature] if feature else []}


def bin_colour(value: float | None, edges: tuple[float, ...], palette: tuple[str, ...] = SEQUENTIAL) -> str:
    """Colour of the first class whose upper edge exceeds `value` (len(edges) == len(palette) - 1)."""
    if value is None or value != value:
        return NO_DATA
    for edge, colour in zip(edges, palette, strict=False):
        if value < edge:
            return colour
    return palette[len(edges)]


def units_choropleth(values: Mapping[str, float], colour: Callable[[float | None], str], tooltip: Callable) -> dict:
    """Every unit polygon, filled by `colour(value)` and with a tooltip; units without a value are greyed."""
    features = []
    for code, feature in _unit_features().items():
        value = values.get(code)
        style = {**UNIT_BASE, "fillColor": colour(value) if value is not None else NO_DATA, "fillOpacity": 0.7}
        props = {**feature["properties"], "style": style, "tooltip": tooltip(code, value)}
        features.append({"type": "Feature", "geometry": feature["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}


def points(rows: Iterable[Mapping], klass: Callable[[Mapping], int], tooltip: Callable | None = None) -> dict:
    """Point features from rows with lat/lon: an id, a style class `k` (the layer's hideout maps it to a style).

    A class number instead of a style per point keeps 50,000 points to a few megabytes.
    """
    features = []
    for row in rows:
        props = {"id": row.get("id"), "k": klass(row)}
        if tooltip is not None:
            props["tooltip"] = tooltip(row)
        geometry = {"type": "Point", "coordinates": [round(row["lon"], 5), round(row["lat"], 5)]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}


def segment_lines(rows: Iterable[Mapping], colour: Callable[[Mapping], str], tooltip: Callable) -> dict:
    """The road segments in `rows` as coloured lines (geometry from assets/geo/segments.geojson)."""
    geo = _segment_features()
    features = []
    for row in rows:
        feature = geo.get(row["segment_id"])
        if feature is None:
            continue
        props = {"id": row["segment_id"], "style": {"color": colour(row), "weight": 3, "opacity": 0.95}}
        props["tooltip"] = tooltip(row)
        features.append({"type": "Feature", "geometry": feature["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": features}


def drill_map(
    ids: DrillMap,
    *,
    unit: str | None,
    tile_url: str,
    focus: Sequence[str] = (),
    cluster: bool = False,
    lines: bool = False,
    forest: bool = False,
    point_styles: Sequence[dict] = (),
    data: dict | None = None,
) -> dl.Map:
    """Basemap (vector from assets/geo, plus TILE_URL if set), clickable units, the selection and one data layer.

    The view opens on the selected unit, else on `focus` (a department head's units), else on the whole city.
    `data` fills the data layer from the start (else a callback does).
    """
    base = [dl.TileLayer(url=tile_url, maxZoom=18)] if tile_url else []
    if lines:
        options = {"style": js("featureStyle")}
    else:
        options = {"pointToLayer": js("point"), "hideout": {"styles": list(point_styles)}}
    if cluster:
        # Clusters come from the server for the zoom and bounds the map reports (trackViewport); the marker
        # function draws each with its count and mix and zooms in on a click.
        options["pointToLayer"] = js("cluster")
    data_layer = dl.GeoJSON(id=ids.layer, data=data or EMPTY, **options)
    bounds = unit_bounds(unit, focus)
    # dash-leaflet's viewport tracking compares against the `center` prop (and fails without one); the view
    # itself still comes from `bounds`, whose centre this is.
    tracking = {"center": [(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]} if cluster else {}
    return dl.Map(
        [
            *base,
            dl.GeoJSON(
                id=ids.units, data=units_choropleth({}, lambda _: NO_DATA, lambda *_: None), style=js("featureStyle")
            ),
            dl.GeoJSON(url=_asset("river"), style=RIVER, interactive=False),
            dl.GeoJSON(url=_asset("roads"), style=ROAD, interactive=False),
            *([dl.GeoJSON(url=_asset("forest_areas"), style=FOREST, interactive=False)] if forest else []),
            dl.GeoJSON(id=ids.selected, data=selected_unit(unit), style=SELECTED, interactive=False),
            data_layer,
        ],
        id=ids.map,
        bounds=bounds,
        className="drill-map",
        attributionControl=False,
        preferCanvas=True,
        trackViewport=cluster,
        maxZoom=MAX_ZOOM,
        **tracking,
    )
