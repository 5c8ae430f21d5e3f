"""Pure builders of the wall's KPI tile texts, last-hour sparklines and connection banner, from plain figures."""

from __future__ import annotations

import dash_svg as svg
from dash import html

from ui.i18n import t

# Alert kinds in the order the tile lists them (detections only; offline cameras are counted apart).
ALERT_KINDS = ("fire_smoke", "face_match", "plate_watchlist", "congestion", "crowding")
SPARK_W, SPARK_H = 59, 100


def percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)} %"


def kpi_texts(summary: dict, lang: str) -> dict[str, tuple[str, str]]:
    """(big value, detail line) per tile from data_sources.live.summarize()."""
    by_kind = summary["alerts_by_kind"]
    kinds = [f"{t(f'wall.alert_short.{kind}', lang)} {by_kind[kind]}" for kind in ALERT_KINDS if by_kind.get(kind)]
    kinds.append(t("wall.kpi.offline", lang, n=summary["offline"]))
    return {
        "alerts": (str(summary["alerts"]), " · ".join(kinds)),
        "congestion": (
            percent(summary["congestion"]),
            t("wall.kpi.congestion_detail", lang, heavy=summary["heavy"], n=summary["segments_reporting"]),
        ),
        "fire": (
            str(summary["fire_high"]),
            t("wall.kpi.fire_detail", lang, n=summary["units_reporting"], hotspots=summary["hotspots_24h"]),
        ),
        "complaints": (str(summary["open"]), t("wall.kpi.complaints_detail", lang, overdue=summary["overdue"])),
    }


def on_time_text(history: dict, lang: str) -> str:
    """'On time, 30 days: 91 % (of 2,310)' from data_sources.wall_history.last_hour()."""
    return t("wall.kpi.on_time", lang, pct=percent(history["on_time"]), n=f"{history['on_time_n']:,}")


def _segments(values: list[float | None], top: float) -> list[str]:
    """SVG point lists, one per unbroken run of known values (a minute without data breaks the line)."""
    runs: list[list[str]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        y = SPARK_H - (SPARK_H * v / top if top else 0)
        runs[-1].append(f"{i},{y:.1f}")
    return [" ".join(run) for run in runs if run]


def sparkline(values: list[float | None], label: str) -> svg.Svg:
    """A last-hour line (one point a minute, oldest left) scaled to its own maximum; flat at zero when empty."""
    known = [v for v in values if v is not None]
    top = max(known) * 1.15 if known else 0  # headroom: a steady series reads as steady, not as a maximum
    lines = [
        svg.Polyline(points=pts, fill="none", className="spark-line", vectorEffect="non-scaling-stroke")
        for pts in _segments(values, top)
    ]
    return svg.Svg(
        [svg.Line(x1=0, x2=SPARK_W, y1=SPARK_H, y2=SPARK_H, className="spark-base"), *lines],
        viewBox=f"0 -4 {SPARK_W} {SPARK_H + 8}",
        preserveAspectRatio="none",
        className="spark",
        role="img",
        **{"aria-label": label},
    )


def banner(*, redis_ok: bool, states: dict[str, str], loading: dict | None, lang: str) -> tuple[list, str]:
    """The wall banner: Redis unreachable (red); sources down or late for their cadence (amber); history loading.

    A quiet source (alive, nothing new) is healthy and never named here (data_sources.freshness).
    """
    if not redis_ok:
        return [html.Div(t("wall.banner.redis_down", lang))], "wall-banner banner-down"
    lines = []
    for state in ("down", "late"):
        names = stale_streams(states, state)
        if names:
            lines.append(html.Div(t(f"banner.sources_{state}", lang, streams=", ".join(names_in(names, lang)))))
    if lines:  # a source down is red, data only late is amber
        return lines, "wall-banner banner-stale" + (" banner-source-down" if stale_streams(states, "down") else "")
    if loading is not None:
        return [html.Div(t("health.loading", lang, pct=f"{loading['percent']:.0f}"))], "wall-banner banner-loading"
    return [], "wall-banner hidden"


def stale_streams(states: dict[str, str], state: str) -> list[str]:
    """Streams in `state` ("down" or "late"), in the streams' order."""
    return [name for name, s in states.items() if s == state]


def names_in(streams: list[str], lang: str) -> list[str]:
    return [t(f"domain.{name}", lang) for name in streams]
