"""Checks on the committed Huế reference files written by scripts/gen_reference.py (plain data, no servers)."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from pathlib import Path

import pytest
from shapely.geometry import Point, shape
from shapely.ops import unary_union
from shapely.strtree import STRtree

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "assets" / "geo"
REF = ROOT / "data_sources" / "reference"
BBOX = (107.057, 15.995, 108.195, 16.743)  # lon_min, lat_min, lon_max, lat_max (DOMAIN.md)
TOLERANCE_DEG = 1e-5  # ~1 m: coordinates are rounded to 5 decimals

# The 40 units after the 2025-07-01 reorganisation, as listed in DOMAIN.md.
PHUONG = [
    "Phong Điền", "Phong Thái", "Phong Dinh", "Phong Phú", "Phong Quảng", "Hương Trà", "Kim Trà", "Kim Long",
    "Hương An", "Phú Xuân", "Thuận An", "Hóa Châu", "Mỹ Thượng", "Vỹ Dạ", "Thuận Hóa", "An Cựu", "Thủy Xuân",
    "Thanh Thủy", "Hương Thủy", "Phú Bài", "Dương Nỗ",
]  # fmt: skip
XA = [
    "Đan Điền", "Quảng Điền", "Bình Điền", "Phú Vinh", "Phú Hồ", "Phú Vang", "Vinh Lộc", "Hưng Lộc", "Lộc An",
    "Phú Lộc", "Chân Mây - Lăng Cô", "Long Quảng", "Nam Đông", "Khe Tre", "A Lưới 1", "A Lưới 2", "A Lưới 3",
    "A Lưới 4", "A Lưới 5",
]  # fmt: skip
HOT_SPOTS = {
    "Cầu Kho Rèn → Trần Phú–Duy Tân",
    "Võ Nguyên Giáp–Hoàng Quốc Việt",
    "Bà Triệu–Nguyễn Thái Học–Lê Quý Đôn–Dương Văn An",
    "Nguyễn Khoa Chiêm–Ngự Bình–Duy Tân",
    "Cầu Trường Tiền",
}
CATEGORIES = {
    "urban_order", "environment", "waste", "street_lights", "infrastructure", "trees_parks", "heritage", "security",
    "traffic",
}  # fmt: skip
OUTPUTS = [
    "assets/geo/units.geojson",
    "assets/geo/river.geojson",
    "assets/geo/roads.geojson",
    "assets/geo/segments.geojson",
    "assets/geo/forest_areas.geojson",
    "data_sources/reference/cameras.csv",
    "data_sources/reference/agencies.csv",
]


def _dash(name: str) -> str:
    """The package spells Chân Mây – Lăng Cô with an en dash, DOMAIN.md with a hyphen."""
    return name.replace("–", "-")


def _features(name: str) -> list[dict]:
    return json.loads((GEO / name).read_text(encoding="utf-8"))["features"]


def _rows(name: str) -> list[dict]:
    with (REF / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def units() -> dict[str, dict]:
    return {
        f["properties"]["code"]: {**f["properties"], "geom": shape(f["geometry"])} for f in _features("units.geojson")
    }


@pytest.fixture(scope="module")
def segments() -> list[dict]:
    return [{**f["properties"], "geom": shape(f["geometry"])} for f in _features("segments.geojson")]


@pytest.fixture(scope="module")
def cameras() -> list[dict]:
    return _rows("cameras.csv")


def test_ref001_units_are_the_40_official_units(units):
    features = _features("units.geojson")
    assert len(features) == 40 == len(units)
    assert sorted(_dash(u["name"]) for u in units.values()) == sorted(PHUONG + XA)
    assert {_dash(u["name"]) for u in units.values() if u["kind"] == "phuong"} == set(PHUONG)
    assert {_dash(u["name"]) for u in units.values() if u["kind"] == "xa"} == set(XA)
    for u in units.values():
        assert u["name_en"].isascii() and u["approximate"] is True
        assert BBOX[0] <= u["lon"] <= BBOX[2] and BBOX[1] <= u["lat"] <= BBOX[3]
        assert u["geom"].contains(Point(u["lon"], u["lat"])), u["name"]
        assert u["area_km2"] > 0
    doc = json.loads((GEO / "units.geojson").read_text(encoding="utf-8"))
    assert "not survey data" in doc["attribution"]


def test_ref002_unit_polygons_are_valid_and_do_not_overlap(units):
    geoms = [u["geom"] for u in units.values()]
    assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    tree = STRtree(geoms)
    for i, g in enumerate(geoms):
        for j in tree.query(g):
            if j > i:
                assert g.intersection(geoms[j]).area < 1e-9, (i, j)
    cover = unary_union(geoms)
    assert cover.geom_type == "Polygon"  # one piece, no gaps between cells
    minx, miny, maxx, maxy = cover.bounds
    assert BBOX[0] - 1e-6 <= minx and maxx <= BBOX[2] + 1e-6 and BBOX[1] - 1e-6 <= miny and maxy <= BBOX[3] + 1e-6


def test_ref003_river_lagoon_and_roads():
    water = {f["properties"]["kind"]: f for f in _features("river.geojson")}
    assert water["river"]["geometry"]["type"] == "LineString"
    assert len(water["river"]["geometry"]["coordinates"]) >= 30
    assert shape(water["lagoon"]["geometry"]).is_valid
    roads = _features("roads.geojson")
    names = {f["properties"]["name"] for f in roads}
    assert {"Quốc lộ 1A", "Quốc lộ 49", "Lê Lợi", "Hùng Vương", "Trần Phú", "Duy Tân", "Võ Nguyên Giáp"} <= names
    assert {f["properties"]["kind"] for f in roads} == {"national", "arterial", "street"}
    assert all(f["geometry"]["type"] == "LineString" for f in roads)


def test_ref004_segments(units, segments):
    assert len(segments) >= 320
    ids = [s["segment_id"] for s in segments]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"SEG-\d{4}", i) for i in ids)
    speeds = {1: (60, 80), 2: (60, 80), 3: (40, 55), 5: (30, 45), 6: (30, 45)}
    for s in segments:
        assert s["unit_code"] in units
        assert s["geom"].geom_type == "LineString" and 2 <= len(s["geom"].coords) <= 5
        assert 150 <= s["length_m"] <= 3000 and isinstance(s["length_m"], int)
        lo, hi = speeds[s["frc"]]
        assert lo <= s["free_flow_kmh"] <= hi, s
        assert s["hot_spot"] == (s["hot_spot_name"] is not None)
        # unit_code is the unit holding the segment's midpoint (vertex thinning can move it a little).
        mid = s["geom"].interpolate(0.5, normalized=True)
        assert units[s["unit_code"]]["geom"].distance(mid) < 0.003, s["segment_id"]
    assert {s["hot_spot_name"] for s in segments if s["hot_spot"]} == HOT_SPOTS
    roads = {s["road_name"] for s in segments}
    assert {"Cầu Trường Tiền", "Cầu Phú Xuân", "Cầu Dã Viên"} <= roads


def test_ref005_forest_areas_lie_in_their_units(units):
    forests = _features("forest_areas.geojson")
    assert 20 <= len(forests) <= 30
    assert len({f["properties"]["area_id"] for f in forests}) == len(forests)
    for f in forests:
        p, geom = f["properties"], shape(f["geometry"])
        assert re.fullmatch(r"FOR-\d{3}", p["area_id"]) and p["area_ha"] > 0
        assert p["forest_type"] in {"pine", "natural", "acacia_plantation", "mixed"}
        assert geom.is_valid and units[p["unit_code"]]["geom"].buffer(TOLERANCE_DEG).contains(geom), p["name"]
    names = {f["properties"]["name"] for f in forests}
    assert "Rừng thông Khải Định" in names and any(n.startswith("Vườn quốc gia Bạch Mã") for n in names)


def test_ref006_cameras_lie_in_their_units(units, segments, cameras):
    assert 600 <= len(cameras) <= 700
    assert len({c["camera_id"] for c in cameras}) == len(cameras)
    seg_by_id = {s["segment_id"]: s["geom"] for s in segments}
    for c in cameras:
        lon, lat = float(c["lon"]), float(c["lat"])
        assert BBOX[0] <= lon <= BBOX[2] and BBOX[1] <= lat <= BBOX[3]
        assert units[c["unit_code"]]["geom"].buffer(TOLERANCE_DEG).contains(Point(lon, lat)), c["camera_id"]
        caps = c["capabilities"].split(";")
        assert set(caps) <= {"plate", "face", "fire", "congestion", "crowding"}
        if c["kind"] == "traffic":
            assert "congestion" in caps and seg_by_id[c["segment_id"]].distance(Point(lon, lat)) < 0.001
        else:
            assert c["kind"] in {"security", "forest"} and c["segment_id"] == ""
    forest = [c for c in cameras if c["kind"] == "forest"]
    assert len(forest) >= 50 and all(c["capabilities"] == "fire" for c in forest)
    assert len({c["name"] for c in cameras}) == len(cameras)


def test_ref007_agencies_cover_every_category(units):
    agencies = _rows("agencies.csv")
    assert 25 <= len(agencies) <= 40
    assert len({a["agency_code"] for a in agencies}) == len(agencies)
    assert all(a["agency_code"].isascii() and a["name_en"].isascii() for a in agencies)
    assert {a["kind"] for a in agencies} <= {"department", "police", "utility", "commune", "heritage", "forest"}
    assert all(a["unit_code"] in units for a in agencies if a["unit_code"])
    assert all(a["unit_code"] for a in agencies if a["kind"] == "commune")
    city_wide = {cat for a in agencies if not a["unit_code"] for cat in a["categories"].split(";")}
    assert city_wide == CATEGORIES


def test_ref008_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "scripts" / "gen_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.main(tmp_path)
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == sorted(OUTPUTS)
    for rel in OUTPUTS:
        assert (tmp_path / rel).read_bytes() == (ROOT / rel).read_bytes(), (
            f"{rel} is stale: run scripts/gen_reference.py"
        )
