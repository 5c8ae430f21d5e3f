"""Where a reading lies: unit and forest area by point-in-polygon, nearest road segment within a distance."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from shapely import LineString, Point, STRtree
from shapely.geometry import shape

from data_sources.reference import geo_path

# Local equirectangular projection around Huế's centre: over a 130 km wide city the error stays well under
# 1 %, far below the matching threshold, and it keeps shapely distances in metres without pyproj.
_LAT0, _LON0 = 16.4779, 107.5768
_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(_LAT0))


def to_metres(lat: float, lon: float) -> tuple[float, float]:
    """(x, y) in metres east and north of Huế's centre."""
    return (lon - _LON0) * _M_PER_DEG_LON, (lat - _LAT0) * _M_PER_DEG_LAT


@dataclass(frozen=True)
class SegmentMatch:
    """The road segment a reading was matched to, and how far away it lay."""

    segment_id: str
    distance_m: float


class Geo:
    """Spatial indexes over the committed reference GeoJSON (built once per process, read-only afterwards)."""

    def __init__(self) -> None:
        units = _features("units.geojson")
        forest = _features("forest_areas.geojson")
        segments = _features("segments.geojson")
        self._unit_codes = [f["properties"]["code"] for f in units]
        self._unit_tree = STRtree([shape(f["geometry"]) for f in units])
        self._area_ids = [f["properties"]["area_id"] for f in forest]
        self._area_tree = STRtree([shape(f["geometry"]) for f in forest])
        self._segment_ids = [f["properties"]["segment_id"] for f in segments]
        self._segment_tree = STRtree(
            [LineString([to_metres(lat, lon) for lon, lat in f["geometry"]["coordinates"]]) for f in segments]
        )

    def unit_at(self, lat: float, lon: float) -> str | None:
        """Code of the unit containing the point, or None outside Huế."""
        return self._first(self._unit_tree, self._unit_codes, lat, lon)

    def area_at(self, lat: float, lon: float) -> str | None:
        """Id of the forest area containing the point, or None."""
        return self._first(self._area_tree, self._area_ids, lat, lon)

    @staticmethod
    def _first(tree: STRtree, ids: list[str], lat: float, lon: float) -> str | None:
        if not (math.isfinite(lat) and math.isfinite(lon)):
            return None
        hits = tree.query(Point(lon, lat), predicate="intersects")
        # Neighbouring polygons share borders: the lowest index wins so a border point always gets the same unit.
        return ids[int(min(hits))] if len(hits) else None

    def nearest_segment(self, points: Sequence[tuple[float, float]], *, max_m: float) -> SegmentMatch | None:
        """Our segment nearest to the middle of a (lat, lon) polyline, if within `max_m` metres."""
        xy = [to_metres(lat, lon) for lat, lon in points if math.isfinite(lat) and math.isfinite(lon)]
        if not xy:
            return None
        # The middle of the feed's polyline, not its first vertex: a feed segment usually starts at the junction
        # where it meets the neighbouring road, which would match that road just as well.
        probe = Point(xy[0]) if len(xy) == 1 else LineString(xy).interpolate(0.5, normalized=True)
        hit = self._segment_tree.query_nearest(probe, max_distance=max_m, return_distance=True)
        indexes, distances = hit
        if not len(indexes):
            return None
        return SegmentMatch(self._segment_ids[int(indexes[0])], round(float(distances[0]), 1))


def _features(name: str) -> list[dict]:
    return json.loads(geo_path(name).read_text(encoding="utf-8"))["features"]


@lru_cache(maxsize=1)
def get_geo() -> Geo:
    """The process-wide indexes (the reference files are immutable while running)."""
    return Geo()
