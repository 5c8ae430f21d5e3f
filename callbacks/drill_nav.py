"""Callbacks every drill and item page shares: its filters and clicks rewrite the URL; its grids export CSV.

Each navigation callback is registered for one page and owned by that page's callback module (`__module__`),
because server.access gives a callback the roles of the page its module serves: the shared code must not widen
or narrow who may call it.
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, no_update

from ui import ids
from ui.drill_controls import now_local
from ui.drill_nav import NavSpec, nav_inputs, nav_search
from ui.ids import DrillGrid

# One row a page (keyed by the callback module that owns it): its filters and the charts or map layers
# whose click selects a unit (or an agency).
NAV_SPECS: dict[str, NavSpec] = {
    "callbacks.cameras": NavSpec(ids.CAMERAS, unit_clicks=(ids.CAMERAS_UNITS, ids.CAMERAS_MAP.units)),
    "callbacks.traffic": NavSpec(ids.TRAFFIC, unit_clicks=(ids.TRAFFIC_UNITS, ids.TRAFFIC_MAP.units)),
    "callbacks.fire": NavSpec(ids.FIRE, unit_clicks=(ids.FIRE_SEASON, ids.FIRE_LEVELS, ids.FIRE_MAP.units)),
    "callbacks.complaints": NavSpec(
        ids.COMPLAINTS,
        agency_filter=True,
        unit_clicks=(ids.COMPLAINTS_UNITS, ids.COMPLAINTS_MAP.units),
        agency_clicks=(ids.COMPLAINTS_AGENCIES,),
    ),
    "callbacks.camera_item": NavSpec(ids.CAMERA, unit_filter=False),
    "callbacks.segment_item": NavSpec(ids.SEGMENT, unit_filter=False),
    "callbacks.fire_unit": NavSpec(ids.FIRE_UNIT, unit_filter=False),
}

EXPORT_GRIDS: tuple[DrillGrid, ...] = (
    ids.CAMERAS_UPTIME_GRID,
    ids.CAMERAS_PLATES_GRID,
    ids.CAMERA_PLATES_GRID,
    ids.TRAFFIC_GRID,
    ids.FIRE_GRID,
    ids.FIRE_UNIT_GRID,
    ids.COMPLAINTS_DUE_GRID,
    ids.COMPLAINTS_AGENCY_GRID,
)


def register_navigation(owner: str, spec: NavSpec) -> None:
    """Register the page's one navigation callback: whatever fired becomes the next URL (the page redraws from it)."""
    pairs = nav_inputs(spec)

    def navigate(*args) -> str:
        *values, data = args
        found = nav_search(spec, ctx.triggered_id, dict(zip(pairs, values, strict=True)), data, now_local().date())
        return found or no_update

    navigate.__module__ = owner  # set before registering: Dash's wrapper copies it, and server.access reads it
    callback(
        Output(spec.filters.url, "search"),
        *(Input(key, prop) for key, prop in pairs),
        State(spec.filters.store, "data"),
        prevent_initial_call=True,
    )(navigate)


for owner_module, nav_spec in NAV_SPECS.items():
    register_navigation(owner_module, nav_spec)

for grid_ids in EXPORT_GRIDS:
    clientside_callback(
        ClientsideFunction("drill", "exportCsv"),
        Output(grid_ids.grid, "exportDataAsCsv"),
        Input(grid_ids.export, "n_clicks"),
        prevent_initial_call=True,
    )
