"""Callbacks per page (imported for their @callback registrations), the shared drill navigation, the server routes."""

from __future__ import annotations

from dash import Dash


def register_all(app: Dash) -> None:
    """Import every callback module once and attach the plain HTTP routes to the Flask server."""
    from callbacks import (  # noqa: F401  (imports register the callbacks)
        camera_item,
        cameras,
        complaint_item,
        complaints,
        console,
        drill_nav,
        exports,
        fire,
        fire_unit,
        home,
        push,
        routes,
        segment_item,
        shell,
        traffic,
        wall,
    )

    routes.register(app.server)
    exports.register(app.server)
    push.register(app.server)
