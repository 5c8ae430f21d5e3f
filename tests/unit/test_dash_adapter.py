"""server.dash_adapter, the one user of Dash internals: pinned to the release, each wrapped internal still works."""

from __future__ import annotations

import re
from pathlib import Path

import dash
import pytest

from server import dash_adapter

ROOT = Path(__file__).resolve().parents[2]


def _pinned(name: str) -> str:
    found = re.search(rf"^{name}(\[[^\]]*\])?==([^\s;#]+)", (ROOT / "requirements.txt").read_text(), re.M | re.I)
    assert found, f"{name} is not pinned in requirements.txt"
    return found[2]


def test_the_adapter_was_written_for_the_installed_and_pinned_dash():
    # A new Dash release: re-read dash/_pages.py (_path_to_page), dash/dash.py (_setup_server) and
    # dash/testing/application_runners.py (BaseDashRunner._next_port), adjust server/dash_adapter.py, then the pin.
    assert dash.__version__ == dash_adapter.DASH_VERSION == _pinned("dash")


@pytest.fixture(scope="module")
def app():
    from app import app

    return app


def test_path_to_page_finds_what_the_router_renders(app):
    wall = dash_adapter.path_to_page("wall")
    assert wall["module"] == "layouts.wall" and wall is dash.page_registry["layouts.wall"]
    item = dash_adapter.path_to_page("cameras/CAM-0042")  # a path template: /cameras/<camera_id>
    assert item["module"] == "layouts.camera_item"
    assert dash_adapter.path_to_page("no/such/page") == {}
    for module, page in dash.page_registry.items():
        if not page.get("path_template"):
            assert dash_adapter.path_to_page(page["path"].strip("/"))["module"] == module


def test_finish_setup_registers_the_scripts_before_any_request(app):
    # The race it prevents: a first request's parallel script fetches find no "dash" library registered.
    assert app._setup_server in app.server.before_request_funcs[None]  # Dash still sets up on first request
    dash_adapter.finish_setup(app)
    assert "dash" in app.registered_paths and app.callback_map
    before = dict(app.callback_map)
    dash_adapter.finish_setup(app)  # once per process: a second call changes nothing
    assert app.callback_map == before


def test_first_test_port_numbers_dash_testing_servers():
    from dash.testing.application_runners import BaseDashRunner

    kept = BaseDashRunner._next_port
    try:
        dash_adapter.first_test_port(41000)
        assert BaseDashRunner._next_port == 41000
    finally:
        BaseDashRunner._next_port = kept
