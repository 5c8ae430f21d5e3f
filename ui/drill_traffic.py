"""Traffic drill-down builders: KPI tiles, unit bars, hour-of-week heat map, comparison, segments (pure)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ui import drill_figures as fig
from ui import drill_map
from ui.drill_controls import kpi
from ui.drill_grid import column
from ui.drill_labels import number, unit_name
from ui.i18n import t

# Heavy-congestion share (% of 5-minute buckets at level 3–4): class edges of the map and bar colours.
HEAVY_EDGES = (2.0, 5.0, 10.0, 20.0)
HEAVY_SCALE = [[i / 4, c] for i, c in enumerate(drill_map.SEQUENTIAL)]
TOP = 10
TOP_UNITS = 15  # the bars show the worst units; the dropdown and the map reach every unit


def heavy_colour(value: float | None) -> str:
    return drill_map.bin_colour(value, HEAVY_EDGES)


def _mean(df: pd.DataFrame, period: str, col: str) -> float | None:
    values = df.loc[df["period"] == period, col].dropna() if not df.empty else pd.Series(dtype=float)
    return float(values.mean()) if len(values) else None


def kpis(compare: pd.DataFrame, segments: pd.DataFrame, lang: str) -> list:
    """Heavy share now vs a week earlier, mean speed, and the worst segment."""
    now, prev = _mean(compare, "this", "heavy_pct"), _mean(compare, "prev", "heavy_pct")
    speed = _mean(compare, "this", "avg_speed")
    delta = None if now is None or prev is None else now - prev
    tone = "" if delta is None else "alarm" if delta > 1 else "ok" if delta < -1 else ""
    sub = t("traffic.kpi.prev", lang, v=number(prev, lang, 1)) if prev is not None else t("drill.no_prev", lang)
    worst = segments.iloc[0] if not segments.empty else None
    return [
        kpi(t("traffic.kpi.heavy", lang), f"{number(now, lang, 1)} %", sub=sub, tone=tone),
        kpi(
            t("traffic.kpi.delta", lang),
            "–" if delta is None else f"{'+' if delta > 0 else ''}{number(delta, lang, 1)} %",
            sub=t("traffic.kpi.delta_sub", lang),
            tone=tone,
        ),
        kpi(t("traffic.kpi.speed", lang), f"{number(speed, lang, 1)} km/h"),
        kpi(
            t("traffic.kpi.worst", lang),
            worst["road_name"] if worst is not None else "–",
            sub=f"{worst['segment_id']} · {number(worst['heavy_pct'], lang, 1)} %" if worst is not None else None,
        ),
    ]


def unit_bars(units: pd.DataFrame, lang: str, selected: str | None) -> go.Figure:
    if units.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    df = units.sort_values(["heavy_pct", "unit_code"], ascending=[False, True]).head(TOP_UNITS)
    colours = ["#ffffff" if c == selected else heavy_colour(v) for c, v in zip(df.unit_code, df.heavy_pct, strict=True)]
    return fig.hbar(
        [unit_name(c, lang) for c in df.unit_code], df.heavy_pct.round(1), keys=list(df.unit_code),
        text=[f"{number(v, lang, 1)} %" for v in df.heavy_pct], lang=lang, colours=colours,
        x_title=t("traffic.heavy_axis", lang),
    )  # fmt: skip


def units_geojson(units: pd.DataFrame, lang: str) -> dict:
    values = dict(zip(units.unit_code, units.heavy_pct, strict=True)) if not units.empty else {}
    return drill_map.units_choropleth(
        values, heavy_colour, lambda code, v: f"{unit_name(code, lang)}: {number(v, lang, 1)} %"
    )


def heatmap(how: pd.DataFrame, lang: str) -> go.Figure:
    """7 x 24 heat map of heavy-congestion share, Monday on top, local hours across."""
    if how.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    grid = how.pivot_table(index="dow", columns="hour", values="heavy_pct")
    grid = grid.reindex(index=range(1, 8), columns=range(24))
    z = [[None if pd.isna(v) else round(float(v), 1) for v in row] for row in grid.to_numpy()]
    days = [t(f"drill.dow.{d}", lang) for d in range(1, 8)]
    return fig.heatmap(
        z, x=[f"{h:02d}h" for h in range(24)], y=days, lang=lang, colorscale=HEAVY_SCALE, zmin=0,
        zmax=max(20.0, float(how.heavy_pct.max())), colorbar_title="%",
        hover=t("traffic.heat_hover", lang) + "<extra></extra>", height=300,
    )  # fmt: skip


def compare_figure(compare: pd.DataFrame, lang: str) -> go.Figure:
    if compare.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    series = []
    for period, colour, dash in (("prev", fig.MUTED, "dot"), ("this", fig.ACCENT, "solid")):
        df = compare[compare.period == period].sort_values("bucket")
        series.append(
            {
                "name": t(f"traffic.period.{period}", lang),
                "x": df.bucket,
                "y": df.heavy_pct.round(1),
                "colour": colour,
                "dash": dash,
            }  # fmt: skip
        )
    return fig.lines(series, lang=lang, y_title=t("traffic.heavy_axis", lang))


def worst_figure(segments: pd.DataFrame, lang: str) -> go.Figure:
    top = segments.head(TOP)
    if top.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    labels = [f"{r.road_name} ({r.segment_id})" for r in top.itertuples()]
    return fig.hbar(
        labels, top.heavy_pct.round(1), keys=list(top.segment_id),
        text=[f"{number(v, lang, 1)} %" for v in top.heavy_pct], lang=lang,
        colours=[heavy_colour(v) for v in top.heavy_pct], x_title=t("traffic.heavy_axis", lang),
    )  # fmt: skip


def grid_columns(lang: str, search: str = "") -> list[dict]:
    return [
        column("segment_id", t("traffic.col.segment", lang), link="/traffic/segments/", suffix=search, width=120),
        column("road_name", t("traffic.col.road", lang)),
        column("unit", t("drill.col.unit", lang)),
        column("heavy_pct", t("traffic.col.heavy", lang), kind="pct"),
        column("avg_speed", t("traffic.col.speed", lang), kind="num1"),
        column("min_speed", t("traffic.col.min_speed", lang), kind="num1"),
        column("free_flow_kmh", t("traffic.col.free_flow", lang), kind="int"),
    ]


def grid_rows(segments: pd.DataFrame, lang: str) -> list[dict]:
    return [
        {
            "segment_id": r.segment_id,
            "road_name": r.road_name,
            "unit": unit_name(r.unit_code, lang),
            "heavy_pct": round(float(r.heavy_pct), 1),
            "avg_speed": round(float(r.avg_speed), 1),
            "min_speed": round(float(r.min_speed), 1),
            "free_flow_kmh": int(r.free_flow_kmh),
        }  # fmt: skip
        for r in segments.itertuples()
    ]


def segments_geojson(segments: pd.DataFrame, lang: str) -> dict:
    return drill_map.segment_lines(
        segments.to_dict("records"),
        lambda r: heavy_colour(r["heavy_pct"]),
        lambda r: f"{r['road_name']} ({r['segment_id']}): {number(r['heavy_pct'], lang, 1)} %",
    )


def segment_kpis(history: pd.DataFrame, segment: dict, lang: str) -> list:
    """Mean speed now and a week earlier, the lowest 5-minute/hourly speed, and speed as a share of free flow."""
    this = history[history.period == "this"] if not history.empty else history
    prev = history[history.period == "prev"] if not history.empty else history
    speed = float(this.avg_speed.mean()) if len(this) else None
    before = float(prev.avg_speed.mean()) if len(prev) else None
    lowest = float(this.min_speed.min()) if len(this) else None
    ff = float(segment["free_flow_kmh"])
    ratio = None if speed is None else 100 * speed / ff
    tone = "" if ratio is None else "alarm" if ratio < 40 else "warn" if ratio < 60 else "ok"
    return [
        kpi(t("segment.kpi.speed", lang), f"{number(speed, lang, 1)} km/h", sub=t("segment.kpi.ff", lang, v=int(ff))),
        kpi(t("segment.kpi.ratio", lang), f"{number(ratio, lang, 0)} %", tone=tone),
        kpi(t("segment.kpi.prev", lang), f"{number(before, lang, 1)} km/h"),
        kpi(t("segment.kpi.lowest", lang), f"{number(lowest, lang, 1)} km/h"),
    ]


def speed_figure(history: pd.DataFrame, segment: dict, lang: str) -> go.Figure:
    """Mean speed (and the lowest) per bucket, the same period a week earlier, and the free-flow speed."""
    if history.empty or not (history.period == "this").any():
        return fig.empty(t("drill.no_data", lang), lang, height=380)
    this = history[history.period == "this"].sort_values("bucket")
    prev = history[history.period == "prev"].sort_values("bucket")
    ff = float(segment["free_flow_kmh"])
    series = [
        {"name": t("segment.free_flow", lang), "x": [this.bucket.iloc[0], this.bucket.iloc[-1]], "y": [ff, ff],
         "colour": fig.OK, "dash": "dash", "width": 1},
        {"name": t("traffic.period.prev", lang), "x": prev.bucket, "y": prev.avg_speed.round(1), "colour": fig.MUTED,
         "dash": "dot"},
        {"name": t("segment.lowest", lang), "x": this.bucket, "y": this.min_speed.round(1), "colour": "#f46d43",
         "width": 1},
        {"name": t("segment.mean", lang), "x": this.bucket, "y": this.avg_speed.round(1), "colour": fig.ACCENT},
    ]  # fmt: skip
    return fig.lines(series, lang=lang, y_title="km/h", height=380, y_range=[0, ff * 1.15])


def segment_geojson(segment: dict) -> dict:
    """The one segment, highlighted, so the reader sees where it is."""
    return drill_map.segment_lines([segment], lambda _: fig.ACCENT, lambda r: f"{r['road_name']} ({r['segment_id']})")
