"""Overview page "/": one card per live domain with stream freshness, current state and history depth."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import dash
from dash import dcc, html

from data_sources.events import STREAMS
from data_sources.viewer import STAFF
from ui import ids
from ui.i18n import pick_language, t

dash.register_page(__name__, path="/", nav_key="nav.home", title="IOC Huế", roles=sorted(STAFF))

# Which current-state count speaks for each domain on its card.
NOW_KEY = {"camera": "camera_offline", "traffic": "traffic", "fire": "hotspots", "complaint": "complaints"}
# The history entry of each domain (fire shows danger-level history; hotspots are counted on the fire card too).
HISTORY_KEY = {"camera": "camera", "traffic": "traffic", "fire": "fire", "complaint": "complaint"}


def layout(lang: str | None = None, **_query: str) -> html.Div:
    """Rebuilt per visit; the cards are filled by callbacks.home on a 5 s tick."""
    lang = pick_language(lang)
    return html.Div(
        [
            html.H1(t("home.heading", lang)),
            html.P(t("home.intro", lang), className="muted"),
            html.Div(id=ids.HOME_CARDS, className="cards"),
            html.Div(id=ids.HOME_CHECKED, className="muted small"),
            dcc.Interval(id=ids.HOME_TICK, interval=5_000),
        ],
        className="page page-home",
    )


def _age_text(age: float | None, lang: str) -> str:
    return t("home.no_events", lang) if age is None else t("home.seconds_ago", lang, n=f"{age:.0f}")


def build_cards(report: dict, lang: str, *, warn_seconds: float, alarm_seconds: float) -> list[html.Div]:
    """Pure: turn a health report into one card per domain, coloured by the freshness of its stream."""
    streams = report["redis"].get("streams") or {}
    now = report["redis"].get("state") or {}
    history = report["postgres"].get("history") or {}
    cards = []
    for domain in STREAMS:
        s = streams.get(domain) or {}
        age = s.get("age_seconds")
        if not report["redis"]["ok"] or age is None or age >= alarm_seconds:
            level = "down"
        elif age >= warn_seconds:
            level = "stale"
        else:
            level = "ok"
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
                    html.Div(t(f"home.now.{domain}", lang, n=now.get(NOW_KEY[domain], "–"))),
                    html.Div(f"{t('home.in_stream', lang)}: {s.get('length', '–')}"),
                    html.Div(
                        [
                            html.Span(t("home.history_days", lang) + ": "),
                            html.Strong(t("home.days", lang, n=h.get("days", 0))),
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
    when = datetime.fromtimestamp(report["checked_at"], ZoneInfo("Asia/Ho_Chi_Minh"))
    return t("status.checked", lang, t=when.strftime("%H:%M:%S"))
