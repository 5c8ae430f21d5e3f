"""Citizen and camera text made safe for the few places that render strings as HTML (Leaflet popups, tooltips)."""

from __future__ import annotations

from markupsafe import escape

# Dash components, dcc.Markdown without dangerously_allow_html and dash-ag-grid's default cells render strings
# as text. dash-leaflet's GeoJSON binds feature.properties.popup / .tooltip with Leaflet's bindPopup, which
# parses HTML: every string put there must go through html_text().


def html_text(value: object) -> str:
    """HTML-escaped text: '<script>' arrives on screen as those characters, never as markup."""
    return str(escape("" if value is None else value))
