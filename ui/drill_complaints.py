"""Complaints drill-down builders: KPIs, on-time bars per agency and unit, backlog, mix, due list, map (pure)."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from data_sources.history.common import Window
from data_sources.history.complaints import DONE, LATE, MAX_ZOOM, MIN_ZOOM, OPEN, cell_span
from ui import drill_figures as fig
from ui import drill_map
from ui.drill_controls import kpi
from ui.drill_grid import column
from ui.drill_labels import agency_name, label, number, unit_name, when
from ui.i18n import t

TOP_UNITS = 15
# Okabe–Ito sky blue / orange / vermillion: on time, slipping, late.
ON_TIME_COLOURS = ("#56B4E9", "#E69F00", "#D55E00")
# Point classes on the map (late, open, closed): the layer's hideout holds the styles, points carry the index.
POINT_STYLES = (  # late, open, closed (data_sources.history.complaints LATE, OPEN, DONE)
    {"radius": 5, "color": "#D55E00", "fillColor": "#D55E00", "fillOpacity": 0.85, "weight": 1},
    {"radius": 5, "color": "#56B4E9", "fillColor": "#56B4E9", "fillOpacity": 0.85, "weight": 1},
    {"radius": 4, "color": "#8fa3b8", "fillColor": "#8fa3b8", "fillOpacity": 0.6, "weight": 1},
)


def on_time_colour(pct: float | None) -> str:
    if pct is None or pct != pct:
        return drill_map.NO_DATA
    return ON_TIME_COLOURS[0] if pct >= 90 else ON_TIME_COLOURS[1] if pct >= 80 else ON_TIME_COLOURS[2]


def hours_text(hours: float | None, lang: str) -> str:
    """A duration as '25 phút' under an hour, '18 giờ' under two days, else '3,5 ngày'."""
    if hours is None or hours != hours:
        return "–"
    if hours < 1:
        return t("drill.minutes", lang, n=number(hours * 60, lang, 0))
    if hours < 48:
        return t("drill.hours", lang, n=number(hours, lang, 0))
    return t("drill.days", lang, n=number(hours / 24, lang, 1))


def kpis(total: pd.DataFrame, lang: str) -> list:
    """Received, on-time share, median handling time, open and overdue, satisfaction."""
    row = total.iloc[0] if not total.empty else None

    def val(col: str):
        return None if row is None or pd.isna(row[col]) else row[col]

    pct = val("on_time_pct")
    rating = val("avg_rating")
    return [
        kpi(t("complaints.kpi.received", lang), number(val("received"), lang),
            sub=t("complaints.kpi.handled", lang, n=number(val("handled"), lang))),
        kpi(t("complaints.kpi.on_time", lang), f"{number(pct, lang, 1)} %",
            sub=t("complaints.kpi.due", lang, n=number(val("due"), lang)),
            tone="" if pct is None else "ok" if pct >= 90 else "warn" if pct >= 80 else "alarm"),
        kpi(t("complaints.kpi.median", lang), hours_text(val("median_hours"), lang),
            sub=t("complaints.kpi.median_sub", lang)),
        kpi(t("complaints.kpi.open", lang), number(val("open"), lang),
            sub=t("complaints.kpi.overdue", lang, n=number(val("overdue"), lang)),
            tone="alarm" if (val("overdue") or 0) > 0 else ""),
        kpi(t("complaints.kpi.rating", lang), f"{number(rating, lang, 2)} / 5",
            sub=t("complaints.kpi.rated", lang, n=number(val("rated"), lang))),
    ]  # fmt: skip


def on_time_bars(df: pd.DataFrame, lang: str, *, by: str, selected: str | None) -> go.Figure:
    """On-time % per agency or unit (the units with most reports), median handling time in the label."""
    # Only keys with something due: an on-time share of nothing is not a bar (the table still lists them).
    df = df[df.key.notna() & df.on_time_pct.notna()] if not df.empty else df
    if df.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    if by == "unit":
        df = df.sort_values(["received", "key"], ascending=[False, True]).head(TOP_UNITS)
    df = df.sort_values(["on_time_pct", "key"], na_position="last")
    name = unit_name if by == "unit" else agency_name
    text = [
        f"{number(p, lang, 0)} % · {hours_text(h, lang)} · {number(n, lang)}"
        for p, h, n in zip(df.on_time_pct, df.median_hours, df.received, strict=True)
    ]
    colours = ["#ffffff" if k == selected else on_time_colour(p) for k, p in zip(df.key, df.on_time_pct, strict=True)]
    return fig.hbar(
        [name(k, lang) for k in df.key], df.on_time_pct.fillna(0).round(1), keys=list(df.key), text=text,
        lang=lang, colours=colours, x_title=t("complaints.on_time_axis", lang), x_range=(0, 100),
    )  # fmt: skip


def units_geojson(df: pd.DataFrame, lang: str) -> dict:
    """Units coloured by reports received (classes relative to the busiest unit)."""
    values = dict(zip(df.key, df.received, strict=True)) if not df.empty else {}
    top = max(values.values(), default=0) or 1
    edges = tuple(top * f for f in (0.05, 0.2, 0.45, 0.7))
    return drill_map.units_choropleth(
        values,
        lambda v: drill_map.bin_colour(v, edges),
        lambda code, v: t("complaints.map_tip", lang, unit=unit_name(code, lang), n=number(v, lang)),
    )


def backlog_figure(df: pd.DataFrame, win: Window, lang: str) -> go.Figure:
    """Open and overdue reports at the end of each bucket (missing buckets are zero)."""
    ends = pd.date_range(win.since + win.step, win.until, freq=win.step)
    if df.empty and not len(ends):
        return fig.empty(t("drill.no_data", lang), lang)
    s = df.set_index(pd.to_datetime(df.bucket_end, utc=True)) if not df.empty else df
    full = pd.DataFrame(index=ends).join(s[["open", "overdue"]] if not df.empty else None).fillna(0)
    series = [
        {"name": t("complaints.backlog.open", lang), "x": full.index, "y": full.open, "colour": fig.ACCENT,
         "fill": "tozeroy", "fillcolour": "rgba(79,179,255,0.15)"},
        {"name": t("complaints.backlog.overdue", lang), "x": full.index, "y": full.overdue, "colour": "#D55E00"},
    ]  # fmt: skip
    return fig.lines(series, lang=lang, y_title=t("complaints.backlog.axis", lang))


def mix_figure(df: pd.DataFrame, lang: str, group: str) -> go.Figure:
    """Reports by category or channel: handled on time, late, still open (stacked)."""
    df = df[df.key.notna()] if not df.empty else df
    if df.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    df = df.sort_values(["received", "key"], ascending=[False, True])
    late = (df.due - df.on_time).clip(lower=0)
    other = (df.received - df.on_time - late).clip(lower=0)
    return fig.stacked(
        [label(group, k, lang) for k in df.key],
        [(t("complaints.mix.on_time", lang), df.on_time), (t("complaints.mix.late", lang), late),
         (t("complaints.mix.other", lang), other)],
        lang=lang, horizontal=True, keys=list(df.key), axis_title=t("complaints.mix.axis", lang),
        colours=(ON_TIME_COLOURS[0], ON_TIME_COLOURS[2], fig.MUTED),
    )  # fmt: skip


def ratings_figure(df: pd.DataFrame, lang: str) -> go.Figure:
    if df.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    counts = df.set_index("rating").n.reindex(range(1, 6), fill_value=0)
    colours = ["#D55E00", "#E69F00", "#8fa3b8", "#56B4E9", "#0072B2"]
    fig_ = go.Figure(
        go.Bar(x=[f"{r} ★" for r in counts.index], y=list(counts), marker={"color": colours}, text=list(counts))
    )
    fig_.update_yaxes(title=t("complaints.ratings.axis", lang))
    return fig.styled(fig_, lang, legend=False)


def due_columns(lang: str, search: str) -> list[dict]:
    return [
        column("complaint_id", t("complaints.col.id", lang), link="/complaints/", suffix=search, width=190),
        column("title", t("complaints.col.title", lang), width=320),
        column("category", t("complaints.col.category", lang)),
        column("unit", t("drill.col.unit", lang)),
        column("agency", t("complaints.col.agency", lang), width=220),
        column("status", t("complaints.col.status", lang)),
        column("deadline", t("complaints.col.deadline", lang)),
        column("days_late", t("complaints.col.days_late", lang), kind="num1"),
        column("hours_left", t("complaints.col.hours_left", lang), kind="num1"),
    ]


def due_rows(df: pd.DataFrame, lang: str) -> list[dict]:
    """Overdue first (most days late on top), then those due within 24 h."""
    rows = []
    for r in df.itertuples():
        late = float(r.late_hours)
        rows.append(
            {
                "complaint_id": r.complaint_id,
                "title": r.title,
                "category": label("category", r.category, lang),
                "unit": unit_name(r.unit_code, lang),
                "agency": agency_name(r.agency_code, lang),
                "status": label("status", r.status, lang),
                "deadline": when(r.deadline),
                "days_late": round(late / 24, 1) if late > 0 else None,
                "hours_left": round(-late, 1) if late <= 0 else None,
            }  # fmt: skip
        )
    return rows


def agency_columns(lang: str) -> list[dict]:
    return [
        column("agency", t("complaints.col.agency", lang), width=300),
        column("received", t("complaints.col.received", lang), kind="int"),
        column("handled", t("complaints.col.handled", lang), kind="int"),
        column("open", t("complaints.col.open", lang), kind="int"),
        column("overdue", t("complaints.col.overdue", lang), kind="int"),
        column("on_time_pct", t("complaints.col.on_time", lang), kind="pct"),
        column("median_hours", t("complaints.col.median", lang), kind="num1"),
        column("avg_rating", t("complaints.col.rating", lang), kind="num1"),
    ]


def agency_rows(df: pd.DataFrame, lang: str) -> list[dict]:
    def num(v, digits=1):
        return None if v is None or pd.isna(v) else round(float(v), digits)

    return [
        {
            "agency": agency_name(r.key, lang),
            "received": int(r.received),
            "handled": int(r.handled),
            "open": int(r.open),
            "overdue": int(r.overdue),
            "on_time_pct": num(r.on_time_pct),
            "median_hours": num(r.median_hours),
            "avg_rating": num(r.avg_rating, 2),
        }  # fmt: skip
        for r in df.sort_values(["received", "key"], ascending=[False, True]).itertuples()
    ]


def cluster_view(zoom, bounds) -> tuple[int, tuple[int, int, int, int]] | None:
    """(zoom, cell span) to cluster for a map view: the visible cells and half a view more on each side.

    The margin means a short pan shows clusters already drawn, and whole cells keep every count complete. The
    span is snapped outward to a grid of 8 cells so that nearby views share one cache entry. None while the
    map has not reported a valid view.
    """
    try:
        z = max(MIN_ZOOM, min(MAX_ZOOM, int(round(float(zoom)))))
        (south, west), (north, east) = ((float(a), float(b)) for a, b in bounds)
    except (TypeError, ValueError):
        return None
    if not (south < north and west < east):
        return None
    dlat, dlon = (north - south) / 2, (east - west) / 2
    x0, x1, y0, y1 = cell_span(z, south - dlat, west - dlon, north + dlat, east + dlon)
    return z, (x0 // 8 * 8, x1 // 8 * 8 + 7, y0 // 8 * 8, y1 // 8 * 8 + 7)


# The complaints map's box on a 1920 px screen (half the page wide, .drill-map 440 px high): the first view is
# clustered for the zoom Leaflet will pick to fit its bounds into it. Another screen reports its own view and
# gets its clusters a moment later.
MAP_SIZE = (880, 440)


def fit_zoom(bounds, size: tuple[int, int] = MAP_SIZE) -> int:
    """The zoom at which Leaflet's fitBounds shows `bounds` [[s, w], [n, e]] whole in a `size` (px) map."""
    (south, west), (north, east) = bounds

    def y(lat: float) -> float:
        return (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0

    for zoom in range(MAX_ZOOM, MIN_ZOOM, -1):
        world = 256 * 2**zoom
        if (east - west) / 360.0 * world <= size[0] and (y(south) - y(north)) * world <= size[1]:
            return zoom
    return MIN_ZOOM


def initial_view(bounds) -> tuple[int, tuple[int, int, int, int]]:
    """(zoom, span) of the map's first view, as cluster_view would get it once the map reports itself."""
    zoom = fit_zoom(bounds)
    (south, west), (north, east) = bounds
    # fitBounds centres the bounds; the map shows more than them along the looser axis.
    lat_c, lon_c = (south + north) / 2, (west + east) / 2
    half_lon = MAP_SIZE[0] / (256 * 2**zoom) * 360.0 / 2
    half_lat = max((north - south) / 2, half_lon * MAP_SIZE[1] / MAP_SIZE[0])
    return cluster_view(zoom, [[lat_c - half_lat, lon_c - half_lon], [lat_c + half_lat, lon_c + half_lon]])


def clusters_geojson(df: pd.DataFrame, lang: str) -> dict:
    """Server-side clusters as GeoJSON points: n, late and open counts (assets/drill.js draws the mix), a tooltip.

    A cell with one report is that report: its class `k` (late, open, done) and its id, which a click opens.
    """
    features = []
    for r in df.itertuples(index=False):
        n, late, open_ = int(r.n), int(r.late), int(r.open)
        props: dict = {"n": n, "late": late, "open": open_}
        if n == 1:
            props["k"] = LATE if late else OPEN if open_ else DONE
        if isinstance(r.id, str):
            props["id"] = r.id
        if n > 1:
            props["cluster"] = True  # ui.drill_nav.feature_id ignores clusters: a click on one only zooms
        done = n - late - open_
        tip = t("complaints.cluster_tip", lang, n=number(n, lang), late=number(late, lang), open=number(open_, lang),
                done=number(done, lang))  # fmt: skip
        props["tooltip"] = tip
        geometry = {"type": "Point", "coordinates": [round(float(r.lon), 5), round(float(r.lat), 5)]}
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    return {"type": "FeatureCollection", "features": features}
