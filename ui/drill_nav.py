"""Where a drill-down interaction leads: the next URL for a filter change or a click (pure, used by thin callbacks)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote

from ui.drill_state import DrillState, change, from_store, to_search
from ui.ids import DrillFilters

DRILL_ROLES = ["dept_head", "officer", "admin"]


def clicked(click: Mapping | None) -> str | None:
    """The key a click carries: a plotly point's customdata, or a map feature's `code` / `id` property."""
    if not isinstance(click, Mapping):
        return None
    pts = click.get("points")
    if isinstance(pts, list) and pts and isinstance(pts[0], Mapping):
        data = pts[0].get("customdata")
        data = data[0] if isinstance(data, list) and data else data
        return data if isinstance(data, str) else None
    props = click.get("properties")
    if isinstance(props, Mapping) and not props.get("cluster"):
        key = props.get("code") or props.get("id")
        return key if isinstance(key, str) else None
    return None


def feature_id(click: Mapping | None) -> str | None:
    """The id of a single map point clicked (its properties' `id`); None for clusters and anything else."""
    props = click.get("properties") if isinstance(click, Mapping) else None
    if not isinstance(props, Mapping) or props.get("cluster"):
        return None
    found = props.get("id")
    return found if isinstance(found, str) and found else None


def stored_state(data: Mapping | None) -> DrillState | None:
    parsed = from_store(data)
    return parsed[0] if parsed else None


def next_search(data: Mapping | None, today: date, **changes: object) -> str | None:
    """The query string after applying `changes` to the stored state; None when nothing would change."""
    state = stored_state(data)
    if state is None:
        return None
    new = change(state, today, **changes)
    return to_search(new) if new != state else None


def item_search(state: DrillState) -> str:
    """The query an item page opened from `state` gets: the range and language, not the filters."""
    return to_search(DrillState(range=state.range, start=state.start, end=state.end, lang=state.lang))


def item_href(path: str, key: str | None, data: Mapping | None) -> str | None:
    """'/traffic/segments/SEG-0007?range=7d': an item page keeps the page's range (and language)."""
    state = stored_state(data)
    if not key or state is None:
        return None
    return f"{path}/{quote(key, safe='')}{item_search(state)}"


@dataclass(frozen=True)
class NavSpec:
    """What rewrites one drill or item page's URL: its filters and the charts or map layers a click selects from."""

    filters: DrillFilters
    unit_filter: bool = True  # item pages have the range only
    agency_filter: bool = False
    unit_clicks: tuple[str, ...] = ()  # bars, heat-map rows or map unit layers whose click selects a unit
    agency_clicks: tuple[str, ...] = ()


def nav_inputs(spec: NavSpec) -> list[tuple[str, str]]:
    """The (component id, property) pairs the page's navigation callback listens to, in a fixed order."""
    f = spec.filters
    pairs = [(f.range, "value"), (f.dates, "start_date"), (f.dates, "end_date")]
    pairs += [(f.unit, "value")] if spec.unit_filter else []
    pairs += [(f.agency, "value")] if spec.agency_filter else []
    return pairs + [(key, "clickData") for key in spec.unit_clicks + spec.agency_clicks]


def nav_search(
    spec: NavSpec, trigger: str | None, values: Mapping[tuple[str, str], object], data: Mapping | None, today: date
) -> str | None:
    """The next query string for the input that fired (`values` by `nav_inputs` pair); None when nothing changes."""
    f = spec.filters
    if trigger == f.range:
        return next_search(data, today, range=values.get((f.range, "value")))
    if trigger == f.dates:
        start, end = values.get((f.dates, "start_date")), values.get((f.dates, "end_date"))
        return next_search(data, today, start=start, end=end)
    if trigger == f.unit and spec.unit_filter:
        return next_search(data, today, unit=values.get((f.unit, "value")))
    if trigger == f.agency and spec.agency_filter:
        return next_search(data, today, agency=values.get((f.agency, "value")))
    for clicks, field in ((spec.unit_clicks, "unit"), (spec.agency_clicks, "agency")):
        if trigger in clicks:
            key = clicked(values.get((trigger, "clickData")))  # type: ignore[arg-type]
            return next_search(data, today, **{field: key}) if key else None
    return None
