"""Huế reference data: reads the committed GeoJSON/CSV files and loads them into PostgreSQL."""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select

from data_sources import schema
from data_sources.core.settings import ROOT

GEO_DIR = ROOT / "assets" / "geo"
CSV_DIR = ROOT / "data_sources" / "reference"


def _features(name: str) -> list[dict]:
    return json.loads((GEO_DIR / name).read_text(encoding="utf-8"))["features"]


def _rows(name: str) -> list[dict]:
    with (CSV_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _midpoint(coords: list[list[float]]) -> tuple[float, float]:
    lon, lat = coords[len(coords) // 2] if len(coords) > 2 else [(a + b) / 2 for a, b in zip(*coords, strict=True)]
    return lat, lon


@lru_cache(maxsize=1)
def load_files() -> dict[str, list[dict]]:
    """All reference rows as plain dicts keyed by table name (read once per process; files are immutable)."""
    units = [
        {k: f["properties"][k] for k in ("code", "name", "name_en", "kind", "lat", "lon", "area_km2")}
        for f in _features("units.geojson")
    ]
    segments = []
    for f in _features("segments.geojson"):
        p = f["properties"]
        lat, lon = _midpoint(f["geometry"]["coordinates"])
        segments.append(
            {
                **{k: p[k] for k in ("segment_id", "road_name", "unit_code", "free_flow_kmh", "length_m", "frc")},
                "hot_spot": bool(p.get("hot_spot")),
                "hot_spot_name": p.get("hot_spot_name"),
                "lat": lat,
                "lon": lon,
            }
        )
    forest = [
        {k: f["properties"][k] for k in ("area_id", "name", "unit_code", "forest_type", "area_ha")}
        for f in _features("forest_areas.geojson")
    ]
    cameras = [
        {**row, "lat": float(row["lat"]), "lon": float(row["lon"]), "segment_id": row["segment_id"] or None}
        for row in _rows("cameras.csv")
    ]
    agencies = [{**row, "unit_code": row["unit_code"] or None} for row in _rows("agencies.csv")]
    return {
        "units": units,
        "agencies": agencies,
        "cameras": cameras,
        "road_segments": segments,
        "forest_areas": forest,
    }


@lru_cache(maxsize=1)
def places() -> dict[str, dict]:
    """Reference rows by id, for pages that name or place what an event refers to: cameras by camera_id and units
    by code (whole rows), forest-area names by area_id (files are immutable: built once per process)."""
    files = load_files()
    return {
        "cameras": {c["camera_id"]: c for c in files["cameras"]},
        "units": {u["code"]: u for u in files["units"]},
        "areas": {a["area_id"]: a["name"] for a in files["forest_areas"]},
    }


# Parents before children (foreign keys).
_LOAD_ORDER = ("units", "agencies", "cameras", "road_segments", "forest_areas")


def load_into(engine: Engine) -> dict[str, int]:
    """Replace the reference tables with the committed files, in one transaction; returns row counts."""
    data = load_files()
    with engine.begin() as conn:
        for name in reversed(_LOAD_ORDER):
            conn.execute(delete(schema.metadata.tables[name]))
        for name in _LOAD_ORDER:
            conn.execute(insert(schema.metadata.tables[name]), data[name])
    return {name: len(data[name]) for name in _LOAD_ORDER}


def is_loaded(engine: Engine) -> bool:
    """True when the units table already holds the 40 units."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.units)).scalar_one() >= 40


def geo_path(name: str) -> Path:
    """Path of a committed GeoJSON file (for builders that need the geometry)."""
    return GEO_DIR / name
