"""Pure builders of the console's detail panel: map inset with nearby cameras, the raw event and the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dash_leaflet as dl
from dash import html

from data_sources.core.huetime import HUE_TZ
from ui.i18n import t

# Offline vector basemap from assets/geo (unit boundaries, river, roads): no internet tiles in the control room.
BASEMAP = (
    ("/assets/geo/units.geojson", {"color": "#8a8f98", "weight": 1, "fillOpacity": 0.03}),
    ("/assets/geo/river.geojson", {"color": "#4aa3df", "weight": 3}),
    ("/assets/geo/roads.geojson", {"color": "#c9b458", "weight": 2}),
)


def map_inset(row: dict, cameras: list[dict]) -> dl.Map | html.Div:
    """A small map centred on the alert, the alert in red and nearby cameras as small blue dots."""
    if row.get("lat") is None or row.get("lon") is None:
        return html.Div(className="console-nomap")
    centre = [row["lat"], row["lon"]]
    dots = [
        dl.CircleMarker(center=[c["lat"], c["lon"]], radius=4, color="#1f6feb", children=dl.Tooltip(c["name"]))
        for c in cameras
    ]
    return dl.Map(
        [
            *(dl.GeoJSON(url=url, style=style) for url, style in BASEMAP),
            *dots,
            dl.CircleMarker(center=centre, radius=9, color="#d1242f", fillOpacity=0.8),
        ],
        center=centre,
        zoom=15,
        className="console-map",
        attributionControl=False,
    )


def trail_list(rows: list[dict], lang: str) -> html.Component:
    """Who did what and when, with the state before -> after (text only: comments are user input)."""
    if not rows:
        return html.P(t("console.detail.none", lang), className="console-trail-empty")
    items = []
    for r in rows:
        at = r["at"].astimezone(UTC).astimezone(HUE_TZ).strftime("%H:%M:%S %d/%m")
        change = f"{r['before'].get('state')} → {r['after'].get('state')}"
        note = f" — {r['comment']}" if r.get("comment") else ""
        items.append(html.Li(f"{at} · {r['actor']} · {r['action']} · {change}{note}", className="console-trail-row"))
    return html.Ol(items, className="console-trail")


def _event_line(e: dict) -> str:
    what = e.get("alert_type") or e.get("status") or e.get("confidence") or e.get("level")
    extra = e.get("severity") or e.get("title") or ""
    at = datetime.fromisoformat(e["ts"]).astimezone(HUE_TZ).strftime("%Y-%m-%d %H:%M:%S")
    return f"{at} · {what} · {extra}".rstrip(" ·")


def place_list(events: list[dict], lang: str) -> html.Component:
    """The last events at the alert's place, or a complaint's steps (its timeline), newest first; text only."""
    if not events:
        return html.P(t("console.detail.none", lang))
    return html.Ul([html.Li(_event_line(e)) for e in events], className="console-place")


def unknown(lang: str) -> list:
    """The panel for a selected id the server does not know (nothing the browser sent about it is shown)."""
    return [html.P(t("console.unknown", lang), className="console-hint console-unknown")]


def detail(row: dict | None, trail: list[dict], cameras: list[dict], lang: str, place: list[dict] = ()) -> list:
    """The panel's children for one selected row (or the hint to pick one)."""
    if not row:
        return [html.P(t("console.pick", lang), className="console-hint")]
    return [
        html.H3(
            f"{row['sev_label']} · {row.get('type_label') or row['type']}",
            className=f"console-detail-title sev-{row['severity']}",
        ),
        html.P(" · ".join(x for x in (row["ref"], row["unit"], row["agency"], row["time"]) if x)),
        map_inset(row, cameras),
        html.Small(t("console.detail.nearby", lang, n=len(cameras))),
        html.H4(t("console.detail.trail", lang)),
        trail_list(trail, lang),
        html.H4(t("console.detail.timeline" if row["kind"] == "complaint" else "console.detail.place", lang)),
        place_list(list(place), lang),
        html.H4(t("console.detail.raw", lang)),
        html.Pre(json.dumps(row.get("raw") or {}, ensure_ascii=False, indent=1, default=str), className="console-raw"),
    ]
