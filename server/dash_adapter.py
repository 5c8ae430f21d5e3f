"""The one place that reaches into Dash internals: each use wrapped and pinned by tests/unit/test_dash_adapter.py.

Dash 4.4.1 has no public API for any of these: its page router's path lookup (the access rules must ask exactly
what the router will render), its first-request setup (a gunicorn worker finishes it before taking requests), and
the first port of dash.testing's servers (test runs side by side need port ranges of their own).
An upgrade that changes either fails that test, which names what to check.
"""

from __future__ import annotations

from dash import Dash
from dash._pages import _path_to_page

# The Dash release these wrappers were written against (requirements.txt pins the same).
DASH_VERSION = "4.4.1"


def path_to_page(path: str) -> dict:
    """The page registry entry Dash's router renders for `path` (no leading or trailing slash); {} if none."""
    page, _ = _path_to_page(path)
    return page or {}


def finish_setup(app: Dash) -> None:
    """Run Dash's once-per-process server setup (script registry, callback map) now, not on the first request.

    Dash 4 runs it from a before_request hook and flags it done before it is: with concurrent requests (gevent,
    gthread) a page's parallel script requests then fail with "dash is not a registered library".
    """
    with app.server.test_request_context("/"):
        app._setup_server()


def first_test_port(port: int) -> None:
    """Number dash.testing's servers (dash_duo) from `port` up instead of its one fixed default (tests only)."""
    from dash.testing.application_runners import BaseDashRunner

    BaseDashRunner._next_port = port
