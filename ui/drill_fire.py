"""Forest-fire drill-down builders: danger-level timeline, days at level IV+, hotspot map and grids (pure)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from data_sources.core.huetime import HUE_TZ
from data_sources.history.common import Window
from data_sources.history.fire import DANGEROUS
from ui import drill_figures as fig
from ui import drill_map
from ui.drill_controls import kpi
from ui.drill_grid import column
from ui.drill_labels import LEVELS, label, level_name, number, unit_name, when
from ui.i18n import t

# Levels I–V on the shared five-class scale (docs/drilldown.md): I recedes, V is dark red.
LEVEL_COLOURS = drill_map.SEQUENTIAL
LEVEL_SCALE = [[f, c] for i, c in enumerate(LEVEL_COLOURS) for f in (i / 5, (i + 1) / 5)]
CONFIDENCE = ("high", "nominal", "low")
HOTSPOT_STYLES = (
    {"radius": 6, "color": "#ffffff", "fillColor": "#d73027", "fillOpacity": 0.95, "weight": 1},
    {"radius": 5, "color": "#ffffff", "fillColor": "#f46d43", "fillOpacity": 0.9, "weight": 1},
    {"radius": 4, "color": "#ffffff", "fillColor": "#fdae61", "fillOpacity": 0.8, "weight": 1},
)


def level_colour(level: float | None) -> str:
    if level is None or level != level:
        return drill_map.NO_DATA
    return LEVEL_COLOURS[min(max(int(level), 1), 5) - 1]


def kpis(daily: pd.DataFrame, season: pd.DataFrame, hotspots: pd.DataFrame, lang: str) -> list:
    """Highest level in the period (and where), units at IV+ on the last day, season days at IV+, hotspots."""
    top = int(daily["level"].max()) if not daily.empty else None
    where = (
        ", ".join(unit_name(u, lang) for u in daily.loc[daily["level"] == top, "unit_code"].unique()[:3]) if top else ""
    )
    last = daily[daily.day == daily.day.max()] if not daily.empty else daily
    dangerous_now = int((last["level"] >= DANGEROUS).sum()) if not last.empty else 0
    season_days = int(season.days.max()) if not season.empty else 0
    return [
        kpi(t("fire.kpi.max", lang), level_name(top, lang), sub=where,
            tone="alarm" if top and top >= DANGEROUS else "warn" if top == 3 else ""),
        kpi(t("fire.kpi.now", lang), number(dangerous_now, lang), sub=t("fire.kpi.now_sub", lang),
            tone="alarm" if dangerous_now else "ok"),
        kpi(t("fire.kpi.season", lang), t("drill.days", lang, n=season_days), sub=t("fire.kpi.season_sub", lang)),
        kpi(t("fire.kpi.hotspots", lang), number(len(hotspots), lang)),
    ]  # fmt: skip


def levels_heatmap(daily: pd.DataFrame, lang: str) -> go.Figure:
    """Units (rows) by local day (columns), coloured by the day's highest level; a row click drills in."""
    if daily.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    wide = daily.pivot_table(index="unit_code", columns="day", values="level", aggfunc="max")
    wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index]
    z = [[None if pd.isna(v) else int(v) for v in row] for row in wide.to_numpy()]
    return fig.heatmap(
        z, x=[d.strftime("%d/%m") for d in wide.columns], y=[unit_name(u, lang) for u in wide.index], lang=lang,
        colorscale=LEVEL_SCALE, zmin=0.5, zmax=5.5, colorbar_title=t("fire.level", lang),
        hover=t("fire.heat_hover", lang) + "<extra></extra>", height=max(300, 22 * len(wide) + 90),
        keys=list(wide.index), tickvals=[1, 2, 3, 4, 5], ticktext=list(LEVELS),
    )  # fmt: skip


def season_bars(season: pd.DataFrame, lang: str, selected: str | None) -> go.Figure:
    df = season[season.days > 0] if not season.empty else season
    if df.empty:
        return fig.empty(t("fire.no_dangerous_days", lang), lang)
    colours = ["#ffffff" if u == selected else level_colour(m) for u, m in zip(df.unit_code, df.max_level, strict=True)]
    return fig.hbar(
        [unit_name(u, lang) for u in df.unit_code], df.days, keys=list(df.unit_code),
        text=[t("drill.days", lang, n=int(d)) for d in df.days], lang=lang, colours=colours,
        x_title=t("fire.days_axis", lang),
    )  # fmt: skip


def units_geojson(daily: pd.DataFrame, lang: str) -> dict:
    values = daily.groupby("unit_code")["level"].max().to_dict() if not daily.empty else {}
    return drill_map.units_choropleth(
        values, level_colour, lambda code, v: f"{unit_name(code, lang)}: {level_name(v, lang) if v else '–'}"
    )


def hotspots_geojson(hotspots: pd.DataFrame, lang: str) -> dict:
    rows = hotspots.rename(columns={"event_id": "id"}).to_dict("records")
    return drill_map.points(
        rows,
        lambda r: CONFIDENCE.index(r["confidence"]) if r["confidence"] in CONFIDENCE else 2,
        lambda r: f"{when(r['ts'])} · {r['source']} · FRP {number(r['frp'], lang, 1)} MW",
    )


def hotspot_columns(lang: str) -> list[dict]:
    return [
        column("time", t("drill.col.time", lang), width=150),
        column("unit", t("drill.col.unit", lang)),
        column("area", t("fire.col.area", lang)),
        column("source", t("fire.col.source", lang)),
        column("confidence", t("fire.col.confidence", lang)),
        column("frp", t("fire.col.frp", lang), kind="num1"),
    ]


def hotspot_rows(hotspots: pd.DataFrame, lang: str) -> list[dict]:
    return [
        {
            "time": when(r.ts),
            "unit": unit_name(r.unit_code, lang) if r.unit_code else "–",
            "area": r.area_id or "–",
            "source": r.source,
            "confidence": label("confidence", r.confidence, lang),
            "frp": None if pd.isna(r.frp) else round(float(r.frp), 1),
        }  # fmt: skip
        for r in hotspots.itertuples()
    ]


def bulletin_figure(bulletins: pd.DataFrame, win: Window, lang: str) -> go.Figure:
    """Danger level of one unit as a step line (each bulletin holds until the next), I–V on the axis."""
    if bulletins.empty:
        return fig.empty(t("drill.no_data", lang), lang)
    df = bulletins.groupby("ts", as_index=False)["level"].max().sort_values("ts")
    x = [*df.ts, win.until.astimezone(HUE_TZ)]
    y = [*df["level"], df["level"].iloc[-1]]
    figure = fig.lines(
        [{"name": t("fire.level", lang), "x": x, "y": y, "colour": LEVEL_COLOURS[3], "shape": "hv"}],
        lang=lang, height=300, y_range=[0.5, 5.5],
    )  # fmt: skip
    for level in range(1, 6):
        figure.add_hrect(y0=level - 0.5, y1=level + 0.5, fillcolor=LEVEL_COLOURS[level - 1], opacity=0.12, line_width=0)
    figure.update_yaxes(tickvals=[1, 2, 3, 4, 5], ticktext=[level_name(v, lang) for v in range(1, 6)])
    return figure.update_layout(showlegend=False)


def bulletin_columns(lang: str) -> list[dict]:
    return [
        column("time", t("drill.col.time", lang), width=150),
        column("area", t("fire.col.area", lang)),
        column("level", t("fire.level", lang)),
    ]


def bulletin_rows(bulletins: pd.DataFrame, lang: str) -> list[dict]:
    return [
        {"time": when(r.ts), "area": r.area_id or t("fire.whole_unit", lang), "level": level_name(r.level, lang)}
        for r in bulletins.sort_values("ts", ascending=False).itertuples()
    ]
