"""Camera drill-down builders: KPIs, alerts by kind/unit/hour/camera, uptime and plate-hit grids, map (pure)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from data_sources.history.common import Window
from ui import drill_figures as fig
from ui import drill_map
from ui.drill_controls import kpi
from ui.drill_grid import column
from ui.drill_labels import ALERT_TYPES, label, number, unit_name, when
from ui.i18n import t

TOP = 15
# Okabe–Ito: offline at the end of the window, below 99 % uptime, fine.
CAMERA_STYLES = (
    {"radius": 6, "color": "#D55E00", "fillColor": "#D55E00", "fillOpacity": 0.9, "weight": 1},
    {"radius": 5, "color": "#E69F00", "fillColor": "#E69F00", "fillOpacity": 0.85, "weight": 1},
    {"radius": 4, "color": "#56B4E9", "fillColor": "#56B4E9", "fillOpacity": 0.7, "weight": 1},
)
FLAKY_UPTIME = 99.0
# One colour per kind on every chart (Okabe–Ito), so "congestion" is the same orange everywhere.
KIND_COLOURS = dict(zip(ALERT_TYPES, ("#0072B2", "#CC79A7", "#D55E00", "#E69F00", "#009E73", "#999999"), strict=True))


def kpis(kinds: pd.DataFrame, uptime: pd.DataFrame, lang: str) -> list:
    total = int(kinds.n.sum()) if not kinds.empty else 0
    plates = int(kinds.loc[kinds.alert_type == "plate_watchlist", "n"].sum()) if not kinds.empty else 0
    offline = int(uptime.offline_now.sum()) if not uptime.empty else 0
    mean_up = float(uptime.uptime_pct.mean()) if not uptime.empty else None
    outages = int(uptime.outages.sum()) if not uptime.empty else 0
    return [
        kpi(t("cameras.kpi.alerts", lang), number(total, lang)),
        kpi(t("cameras.kpi.plates", lang), number(plates, lang), sub=t("cameras.kpi.plates_sub", lang)),
        kpi(t("cameras.kpi.offline", lang), number(offline, lang), sub=t("cameras.kpi.of", lang, n=len(uptime)),
            tone="alarm" if offline else "ok"),
        kpi(t("cameras.kpi.uptime", lang), f"{number(mean_up, lang, 2)} %",
            sub=t("cameras.kpi.outages", lang, n=number(outages, lang))),
    ]  # fmt: skip


def by_kind(kinds: pd.DataFrame, lang: str) -> go.Figure:
    if kinds.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    df = kinds.groupby("alert_type", as_index=False).n.sum().sort_values(["n", "alert_type"], ascending=[False, True])
    colours = [KIND_COLOURS.get(k, fig.MUTED) for k in df.alert_type]
    return fig.hbar(
        [label("alert", k, lang) for k in df.alert_type], df.n, keys=list(df.alert_type),
        text=[number(v, lang) for v in df.n], lang=lang, colours=colours, x_title=t("cameras.alerts_axis", lang),
    )  # fmt: skip


def by_unit(kinds: pd.DataFrame, lang: str, selected: str | None) -> go.Figure:
    if kinds.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    df = kinds.groupby("unit_code", as_index=False).n.sum()
    df = df.sort_values(["n", "unit_code"], ascending=[False, True]).head(TOP)
    colours = ["#ffffff" if u == selected else fig.ACCENT for u in df.unit_code]
    return fig.hbar(
        [unit_name(u, lang) for u in df.unit_code], df.n, keys=list(df.unit_code),
        text=[number(v, lang) for v in df.n], lang=lang, colours=colours, x_title=t("cameras.alerts_axis", lang),
    )  # fmt: skip


def _stack(df: pd.DataFrame, index: str, lang: str, order: list) -> tuple[list, list[str]]:
    """(series, colours) for fig.stacked: one series per alert kind present, in a fixed order and colour."""
    wide = df.pivot_table(index=index, columns="alert_type", values="n", aggfunc="sum").reindex(order).fillna(0)
    kinds = [k for k in ALERT_TYPES if k in wide.columns]
    return [(label("alert", k, lang), list(wide[k])) for k in kinds], [KIND_COLOURS[k] for k in kinds]


def by_hour(hours: pd.DataFrame, lang: str) -> go.Figure:
    """Alerts by local hour of day, stacked by kind."""
    if hours.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    order = list(range(24))
    series, colours = _stack(hours, "hour_of_day", lang, order)
    return fig.stacked(
        [f"{h:02d}h" for h in order], series, lang=lang, axis_title=t("cameras.alerts_axis", lang), colours=colours
    )


def by_camera(cams: pd.DataFrame, lang: str) -> go.Figure:
    """The busiest cameras, stacked by kind; a click opens the camera."""
    if cams.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    totals = cams.groupby(["camera_id", "name"], as_index=False).n.sum()
    totals = totals.sort_values(["n", "camera_id"], ascending=[False, True])
    order = list(totals.camera_id)
    names = dict(zip(totals.camera_id, totals.name, strict=True))
    series, colours = _stack(cams, "camera_id", lang, order)
    return fig.stacked(
        [f"{names[c]} ({c})" for c in order], series, lang=lang, keys=order, horizontal=True,
        axis_title=t("cameras.alerts_axis", lang), colours=colours,
    )  # fmt: skip


def units_geojson(kinds: pd.DataFrame, lang: str) -> dict:
    values = kinds.groupby("unit_code").n.sum().to_dict() if not kinds.empty else {}
    top = max(values.values(), default=0) or 1
    edges = tuple(top * f for f in (0.05, 0.2, 0.45, 0.7))
    return drill_map.units_choropleth(
        values,
        lambda v: drill_map.bin_colour(v, edges),
        lambda code, v: t("cameras.map_tip", lang, unit=unit_name(code, lang), n=number(v, lang)),
    )


def camera_state(row) -> int:
    """Index into CAMERA_STYLES: offline at the end, below 99 % uptime, fine."""
    if row["offline_now"]:
        return 0
    return 1 if row["uptime_pct"] < FLAKY_UPTIME else 2


def cameras_geojson(uptime: pd.DataFrame, lang: str) -> dict:
    """Every camera in scope, coloured by its uptime; the tooltip names it."""
    rows = uptime.rename(columns={"camera_id": "id"}).to_dict("records")
    return drill_map.points(
        rows,
        camera_state,
        lambda r: f"{r['name']} ({r['id']}): {number(r['uptime_pct'], lang, 2)} %",
    )


def uptime_columns(lang: str, search: str) -> list[dict]:
    return [
        column("camera_id", t("cameras.col.camera", lang), link="/cameras/", suffix=search, width=120),
        column("name", t("cameras.col.name", lang), width=260),
        column("unit", t("drill.col.unit", lang)),
        column("uptime_pct", t("cameras.col.uptime", lang), kind="pct"),
        column("outages", t("cameras.col.outages", lang), kind="int"),
        column("offline_h", t("cameras.col.offline_h", lang), kind="num1"),
        column("offline_now", t("cameras.col.offline_now", lang)),
    ]


def uptime_rows(uptime: pd.DataFrame, lang: str) -> list[dict]:
    yes, no = t("complaint.yes", lang), t("complaint.no", lang)
    return [
        {
            "camera_id": r.camera_id,
            "name": r.name,
            "unit": unit_name(r.unit_code, lang),
            "uptime_pct": round(float(r.uptime_pct), 2),
            "outages": int(r.outages),
            "offline_h": round(float(r.offline_s) / 3600, 1),
            "offline_now": yes if r.offline_now else no,
        }  # fmt: skip
        for r in uptime.itertuples()
    ]


def plate_columns(lang: str, search: str) -> list[dict]:
    return [
        column("time", t("drill.col.time", lang), width=150),
        column("camera_id", t("cameras.col.camera", lang), link="/cameras/", suffix=search, width=120),
        column("unit", t("drill.col.unit", lang)),
        column("plate", t("cameras.col.plate", lang)),
        column("watchlist", t("cameras.col.watchlist", lang), width=300),
        column("score", t("cameras.col.score", lang), kind="num1"),
    ]


def plate_rows(hits: list[dict], lang: str) -> list[dict]:
    """Plate hits as the data layer returned them: already masked (or audited) for this viewer."""
    return [
        {
            "time": when(h["ts"]),
            "camera_id": h["camera_id"],
            "unit": unit_name(h["unit_code"], lang),
            "plate": h["plate"] or "",
            "watchlist": h["watchlist"] or "",
            "score": round(float(h["score"]) * 100, 1) if h["score"] is not None else None,
        }  # fmt: skip
        for h in hits
    ]


def series_figure(series: pd.DataFrame, win: Window, lang: str) -> go.Figure:
    """One camera's alerts per bucket, stacked by kind."""
    if series.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    order = sorted(series.bucket.unique())
    stacks, colours = _stack(series, "bucket", lang, order)
    x = [pd.Timestamp(b) for b in order]
    figure = fig.stacked(x, stacks, lang=lang, axis_title=t("cameras.alerts_axis", lang), colours=colours, dates=True)
    # The whole window on the axis, so a quiet camera's few alerts are seen in context.
    return figure.update_xaxes(range=[win.since, win.until])


def capabilities(camera: dict, lang: str) -> str:
    """'Loại: giao thông · chức năng: biển số, ùn tắc'."""
    caps = ", ".join(label("cap", c, lang) for c in camera["capabilities"].split(";") if c)
    return t("camera.caps", lang, kind=label("camkind", camera["kind"], lang), caps=caps)


def camera_kpis(series: pd.DataFrame, row: dict | None, lang: str) -> list:
    """Alerts in the window, uptime and outages, offline now; `row` is the camera's uptime row (None: no row)."""
    total = int(series.n.sum()) if not series.empty else 0
    row = row or {}
    return [
        kpi(t("cameras.kpi.alerts", lang), number(total, lang)),
        kpi(t("cameras.col.uptime", lang), f"{number(row.get('uptime_pct'), lang, 2)} %",
            sub=t("cameras.kpi.outages", lang, n=number(row.get("outages", 0), lang))),
        kpi(t("cameras.col.offline_now", lang),
            t("complaint.yes", lang) if row.get("offline_now") else t("complaint.no", lang),
            tone="alarm" if row.get("offline_now") else "ok"),
    ]  # fmt: skip
