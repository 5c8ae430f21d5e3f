"""Dash callbacks per page (imported for their @callback registrations) and the shared drill navigation."""

from __future__ import annotations


def register_all() -> None:
    """Import every callback module once: importing registers its callbacks with Dash."""
    from callbacks import (  # noqa: F401  (imports register the callbacks)
        camera_item,
        cameras,
        complaint_item,
        complaints,
        console,
        drill_nav,
        fire,
        fire_unit,
        home,
        segment_item,
        shell,
        traffic,
        wall,
    )
