"""Pure builders of the overview's domain cards from the health report (data_sources.health.report)."""

from __future__ import annotations

from datetime import datetime

from dash import html

from data_sources.core.huetime import HUE_TZ
from data_sources.events import STREAMS
from ui.i18n import t

# Which current-state count speaks for each domain on its card.
NOW_KEY = {"camera": "camera_offline", "traffic": "traffic", "fire": "hotspots", "complaint": "complaints"}
# The history entry of each domain (fire shows danger-level history; hotspots are counted on the fire card too).
HISTORY_KEY = {"camera": "camera", "traffic": "traffic", "fire": "fire", "complaint": "complaint"}


def _age_text(age: float | None, lang: str) -> str:
    if age is None:
        return t("home.no_events", lang)
    if age < 3600:
        return t("home.seconds_ago", lang, n=f"{age:.0f}") if age < 120 else t("wall.age.ago", lang, t=_span(age, lang))
    return t("wall.age.ago", lang, t=_span(age, lang))


def _span(seconds: float, lang: str) -> str:
    return (
        t("home.minutes", lang, n=f"{seconds / 60:.0f}")
        if seconds < 3600
        else t("home.hours", lang, n=f"{seconds / 3600:.0f}")
    )


def _source_line(s: dict, lang: str) -> str:
    """Who vouches for the source, and how often it is expected to speak."""
    live = s.get("liveness") or "unreported"
    cadence = s.get("cadence_seconds") or 0
    every = t("home.cadence", lang, t=_span(cadence, lang)) if cadence else t("home.cadence_none", lang)
    return f"{t(f'home.liveness.{live}', lang)} · {every}"


def _history_text(h: dict, loading: dict | None, lang: str) -> str:
    if loading is not None:
        return t("home.history_loading", lang, pct=f"{loading['percent']:.0f}")
    return t("home.days", lang, n=h.get("days", 0))


def build_cards(report: dict, lang: str) -> list[html.Div]:
    """Pure: turn a health report into one card per domain, coloured by its source health (data_sources.freshness).

    Quiet (alive, nothing new within its cadence) is healthy; down and late are not; while the first history
    load runs the cards say so with its progress instead of "down".
    """
    streams = report["redis"].get("streams") or {}
    now = report["redis"].get("state") or {}
    history = report["postgres"].get("history") or {}
    loading = report.get("loading")
    cards = []
    for domain in STREAMS:
        s = streams.get(domain) or {}
        age = s.get("data_age_seconds")
        level = s.get("state", "down") if report["redis"]["ok"] else "down"
        h = history.get(HISTORY_KEY[domain]) or {}
        cards.append(
            html.Div(
                [
                    html.Div(
                        [html.H2(t(f"domain.{domain}", lang)), html.Span(t(f"status.{level}", lang), className="pill")],
                        className="card-head",
                    ),
                    html.Div(
                        [html.Span(t("home.newest", lang) + ": "), html.Strong(_age_text(age, lang))],
                        className="age",
                    ),
                    html.Div(_source_line(s, lang), className="muted small source-line"),
                    html.Div(t(f"home.now.{domain}", lang, n=now.get(NOW_KEY[domain], "–"))),
                    html.Div(f"{t('home.in_stream', lang)}: {s.get('length', '–')}"),
                    html.Div(
                        [
                            html.Span(t("home.history_days", lang) + ": "),
                            html.Strong(_history_text(h, loading, lang)),
                            html.Span(" · " + t("home.rows", lang, n=f"{h.get('rows', 0):,}")),
                        ]
                    ),
                ],
                className=f"card status-{level}",
                id=f"home-card-{domain}",
                **{"data-status": level},
            )
        )
    dead = (streams.get("deadletter") or {}).get("length", 0)
    cards.append(html.Div(t("home.deadletter", lang, n=dead), className="card card-small", id="home-card-deadletter"))
    return cards


def checked_text(report: dict, lang: str) -> str:
    """'Checked at HH:MM:SS' in local (Huế) time of the check."""
    when = datetime.fromtimestamp(report["checked_at"], HUE_TZ)
    return t("status.checked", lang, t=when.strftime("%H:%M:%S"))
