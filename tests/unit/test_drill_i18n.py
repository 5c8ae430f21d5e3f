"""Every string the drill-down pages show exists in Vietnamese and English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui.drill_grid import GRID_TEXTS
from ui.drill_labels import ALERT_TYPES, CATEGORIES, CHANNELS
from ui.i18n import CATALOG

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    *ROOT.glob("ui/drill_*.py"),
    *(ROOT / "layouts" / f"{n}.py" for n in ("traffic", "fire", "fire_unit", "cameras", "camera_item", "complaints",
                                             "complaint_item", "segment_item")),
    *(ROOT / "callbacks" / f"{n}.py" for n in ("complaint_item",)),
]  # fmt: skip
KEY = re.compile(r"""\bt\(\s*f?["']([a-z_.]+[a-z_])["']""")


def _keys() -> set[str]:
    return {k for path in MODULES for k in KEY.findall(path.read_text(encoding="utf-8"))}


def test_the_scan_finds_the_modules_and_their_keys():
    assert all(p.exists() for p in MODULES)
    assert len(_keys()) > 100


@pytest.mark.parametrize("key", sorted(_keys()))
def test_every_literal_key_is_translated(key):
    assert CATALOG.get(key, {}).get("vi") and CATALOG[key].get("en"), key


@pytest.mark.parametrize(
    "key",
    [
        *(f"drill.category.{c}" for c in CATEGORIES),
        *(f"drill.channel.{c}" for c in CHANNELS),
        *(f"drill.alert.{a}" for a in ALERT_TYPES),
        *(
            f"drill.status.{s}"
            for s in ("received", "verified", "dispatched", "in_progress", "resolved", "rejected", "rated")
        ),
        *(f"drill.level.{n}" for n in range(1, 6)),
        *(f"drill.dow.{n}" for n in range(1, 8)),
        *(f"drill.grid.{k}" for k in GRID_TEXTS),
        *(f"drill.range.{r}" for r in ("24h", "7d", "30d", "90d", "custom")),
        *(f"nav.{p}" for p in ("traffic", "fire", "cameras", "complaints")),
    ],
)
def test_every_generated_key_is_translated(key):
    assert CATALOG.get(key, {}).get("vi") and CATALOG[key].get("en"), key
