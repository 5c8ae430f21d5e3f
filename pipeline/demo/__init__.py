"""Deterministic demo feed of Huế data: a pure model, a history backfill and a live publisher."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from data_sources import reference
from pipeline.demo.model import World


@lru_cache(maxsize=1)
def load_world() -> World:
    """The generators' view of the committed reference files (read once per process; the files are immutable)."""
    geo = json.loads(reference.geo_path("forest_areas.geojson").read_text(encoding="utf-8"))
    rings: dict[str, list[np.ndarray]] = {}
    for feature in geo["features"]:
        geom = feature["geometry"]
        polygons = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        # Outer rings only: holes in a forest polygon are too small to matter for where a hotspot lands.
        rings[feature["properties"]["area_id"]] = [np.asarray(p[0], dtype=np.float64)[:, :2] for p in polygons]
    return World.build(reference.load_files(), rings)
