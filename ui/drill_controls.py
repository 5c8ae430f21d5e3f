"""Page chrome shared by the drill-down pages: filter bar, breadcrumb, KPI tiles and loading panels (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from dash import dcc, html
from dash.exceptions import PreventUpdate

from data_sources.core.huetime import HUE_TZ
from data_sources.history.common import Window
from server import boundary
from ui.drill_labels import day_text
from ui.drill_state import MAX_KEY, RANGES, DrillState, from_store, to_search
from ui.i18n import t
from ui.ids import DrillFilters

LOADING = {"type": "dot", "color": "#4fb3ff", "delay_show": 200}


def window_text(win: Window, lang: str) -> str:
    """'01/11/2026 – 23/11/2026' for the window's first and last local day."""
    last = win.until - timedelta(seconds=1)
    first, end = day_text(win.since, lang), day_text(last, lang)
    span = first if first == end else f"{first} – {end}"
    return t("drill.window", lang, span=span, grain=t(f"drill.grain.{win.grain}", lang))


def filter_bar(
    ids: DrillFilters,
    state: DrillState,
    *,
    lang: str,
    today: date,
    unit_options: list[dict] | None,
    agency_options: list[dict] | None = None,
    scoped: bool = False,
) -> html.Div:
    """Range pills, custom dates (shown for 'custom'), unit and (complaints) agency dropdowns.

    `scoped`: the viewer is limited to some units, so "all" means all of theirs, not the whole city.
    """
    custom = state.range == "custom"
    parts = [
        dcc.RadioItems(
            id=ids.range,
            options=[{"label": t(f"drill.range.{r}", lang), "value": r} for r in RANGES],
            value=state.range,
            inline=True,
            className="range-pills",
            inputClassName="range-input",
            labelClassName="range-label",
        ),
        html.Div(
            dcc.DatePickerRange(
                id=ids.dates,
                start_date=state.start.isoformat() if state.start else None,
                end_date=state.end.isoformat() if state.end else None,
                max_date_allowed=today.isoformat(),
                display_format="DD/MM/YYYY",
                first_day_of_week=1,
                minimum_nights=0,
            ),
            className="dates" + ("" if custom else " hidden"),
        ),
    ]
    if unit_options is not None:
        parts.append(
            dcc.Dropdown(
                id=ids.unit,
                options=unit_options,
                value=state.unit,
                placeholder=t("drill.all_my_units" if scoped else "drill.all_units", lang),
                clearable=True,
                className="drill-dropdown",
            )  # fmt: skip
        )
    if agency_options is not None:
        parts.append(
            dcc.Dropdown(
                id=ids.agency,
                options=agency_options,
                value=state.agency,
                placeholder=t("drill.all_agencies", lang),
                clearable=True,
                className="drill-dropdown drill-dropdown-wide",
            )  # fmt: skip
        )
    return html.Div(parts, className="filter-bar", role="search")


def crumbs(items: Sequence[tuple[str, str | None]]) -> html.Nav:
    """Breadcrumb of the drill path: (text, href) pairs, the last one (href None) is where we are."""
    out: list = []
    for i, (text, href) in enumerate(items):
        if i:
            out.append(html.Span("›", className="crumb-sep"))
        out.append(dcc.Link(text, href=href, className="crumb") if href else html.Span(text, className="crumb here"))
    return html.Nav(out, className="crumbs")


def page_link(path: str, state: DrillState, **changes) -> str:
    """Href of `path` with the state changed (e.g. unit=None to go up a level); the range always carries over."""
    return path + to_search(replace(state, **changes))


def page_head(title: str, win: Window, lang: str, trail: Sequence[tuple[str, str | None]], note: str | None = None):
    """Heading, breadcrumb and the window the page shows."""
    return html.Div(
        [
            crumbs(trail),
            html.H1(title),
            html.P(window_text(win, lang), className="muted window-text"),
            html.P(note, className="scope-note") if note else None,
        ],
        className="drill-head",
    )


def kpi(label: str, value: str, *, sub: str | None = None, tone: str = "", kpi_id: str | None = None) -> html.Div:
    """One KPI tile; tone 'ok', 'warn' or 'alarm' colours its edge."""
    extra = {"id": kpi_id} if kpi_id else {}
    parts = [html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value")]
    parts.append(html.Div(sub or "", className="kpi-sub"))
    return html.Div(parts, className=f"kpi {('kpi-' + tone) if tone else ''}", **extra)


def panel(
    title: str, body, *, wide: bool = False, note: str | None = None, panel_id: str | None = None, loading: bool = True
):
    """A titled panel whose body shows a loading indicator while its callback runs.

    Maps pass loading=False: hidden under a spinner, Leaflet cannot lay itself out until the data has arrived.
    """
    extra = {"id": panel_id} if panel_id else {}
    return html.Section(
        [
            html.H2(title),
            html.P(note, className="muted small") if note else None,
            dcc.Loading(body, **LOADING) if loading else body,
        ],
        className="panel" + (" panel-wide" if wide else ""),
        **extra,
    )


def now_local() -> datetime:
    return datetime.now(HUE_TZ)


def read_store(data: dict | None) -> tuple[DrillState, Window, str | None]:
    """(state, window, item id) a layout stored; an empty store means there is nothing to draw yet, and a
    malformed one (only a hand-made request sends one: layouts write it) is a bad request."""
    if data is None:
        raise PreventUpdate
    parsed = from_store(data)
    if parsed is None:
        raise boundary.BadInput("drill store: malformed")
    item = boundary.text(data.get("item"), name="item", max_len=MAX_KEY)
    return parsed[0], parsed[1], item


def not_found(lang: str, back: str) -> html.Div:
    """The same answer for "does not exist" and "not yours": nothing about out-of-scope items leaks."""
    return html.Div(
        [
            html.H1(t("drill.not_found.title", lang)),
            html.P(t("drill.not_found.body", lang)),
            dcc.Link(t("drill.back", lang), href=back, className="drill-button"),
        ],
        className="page drill-page not-found",
    )
