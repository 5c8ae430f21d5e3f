"""Callbacks per page (imported for their @callback registrations) and the server routes."""

from __future__ import annotations

from dash import Dash


def register_all(app: Dash) -> None:
    """Import every callback module once and attach the plain HTTP routes to the Flask server."""
    from callbacks import home, routes, shell  # noqa: F401  (imports register the callbacks)

    routes.register(app.server)
