"""The browser scripts in assets/: one push channel, one fenced place for Dash's internals, browser files only."""

from __future__ import annotations

import re
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets"
SCRIPTS = sorted(ASSETS.glob("*.js"))
SHIM = "dash_renderer_shim.js"


def _holding(pattern: str) -> list[str]:
    return [p.name for p in SCRIPTS if re.search(pattern, p.read_text(encoding="utf-8"))]


def test_assets001_one_script_opens_the_push_stream():
    assert _holding(r"new EventSource\b") == ["live_channel.js"]


def test_assets002_only_the_shim_touches_dash_renderer_internals():
    # The renderer's store handles, its state, and dcc.Location's private event: nowhere but the shim.
    assert _holding(r"dash_stores|window\.store\b|getState\(|_dashprivate") == [SHIM]


def test_assets003_the_shim_names_the_dash_version_it_is_pinned_against():
    pinned = re.search(r"^dash==(\S+)$", (ASSETS.parent / "requirements.txt").read_text(), re.M)
    assert pinned, "requirements.txt pins dash"
    assert f"dash {pinned.group(1)}" in (ASSETS / SHIM).read_text(encoding="utf-8")


def test_assets004_no_node_only_file_is_served():
    # Dash loads every .js under assets/ into the page: a node file there would run in every browser.
    for path in SCRIPTS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\brequire\(", text), path.name
