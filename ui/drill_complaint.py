"""One citizen report's page: its facts and its whole timeline with the time each step took (pure)."""

from __future__ import annotations

from datetime import datetime

from dash import html

from ui.drill_complaints import hours_text
from ui.drill_labels import agency_name, label, unit_name, when
from ui.i18n import t


def _hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def lateness(detail: dict, now: datetime, lang: str) -> html.Span:
    """'on time' / 'late by 2,5 days' / 'open, due in 5 h' as a coloured pill."""
    deadline, closed = detail.get("deadline"), detail.get("handled_at") or detail.get("closed_at")
    if deadline is None:
        return html.Span("–")
    end = closed or now
    late = _hours(deadline, end)
    if late > 0:
        return html.Span(t("complaint.late", lang, d=hours_text(late, lang)), className="pill-late")
    if closed is None:
        return html.Span(t("complaint.due_in", lang, d=hours_text(-late, lang)), className="pill-ok")
    return html.Span(t("complaint.on_time", lang), className="pill-ok")


def facts(detail: dict, now: datetime, lang: str) -> html.Div:
    """Everything the report says about itself, as a definition list plus its text and result."""
    received, closed = detail["received_at"], detail.get("handled_at") or detail.get("closed_at")
    took = hours_text(_hours(received, closed), lang) if closed else t("complaint.still_open", lang)
    rating = detail.get("rating")
    rows = [
        ("complaint.f.status", label("status", detail["status"], lang)),
        ("complaint.f.category", label("category", detail["category"], lang)),
        ("complaint.f.channel", label("channel", detail["channel"], lang)),
        ("drill.col.unit", unit_name(detail["unit_code"], lang)),
        ("complaint.f.agency", agency_name(detail.get("agency_code"), lang)),
        ("complaint.f.received", when(received)),
        ("complaint.f.deadline", when(detail.get("deadline"))),
        ("complaint.f.closed", when(closed) or "–"),
        ("complaint.f.took", took),
        ("complaint.f.urgent", t("complaint.yes", lang) if detail["urgent"] else t("complaint.no", lang)),
        ("complaint.f.rating", f"{rating} / 5" if rating else "–"),
    ]
    items: list = []
    for key, value in rows:
        items += [html.Dt(t(key, lang)), html.Dd(value)]
    items += [html.Dt(t("complaint.f.on_time", lang)), html.Dd(lateness(detail, now, lang))]
    return html.Div(
        [
            html.Dl(items, className="facts"),
            html.H3(t("complaint.f.description", lang)),
            html.P(detail["description"] or "–"),  # shown as text, never as HTML (Dash escapes it)
            html.H3(t("complaint.f.result", lang)),
            html.P(detail.get("result") or t("complaint.no_result", lang)),
        ]
    )


def timeline(detail: dict, lang: str, now: datetime) -> html.Ol:
    """Every lifecycle step in order: when, who, how long after the step before, and whether past the deadline.

    The deadline shows in red once it has passed without a resolution before it.
    """
    deadline = detail.get("deadline")
    handled = detail.get("handled_at") or detail.get("closed_at")
    items, previous = [], None
    for step in detail["steps"]:
        ts = step["ts"]
        late = deadline is not None and ts > deadline and step["status"] not in ("received", "verified")
        took = (
            t("complaint.after", lang, d=hours_text(_hours(previous, ts), lang))
            if previous
            else t("complaint.first", lang)
        )
        who = agency_name(step["agency_code"], lang) if step.get("agency_code") else t("complaint.ioc", lang)
        body = [
            html.Div(when(ts), className="step-when"),
            html.Div(label("status", step["status"], lang), className="step-title"),
            html.Div(who),
            html.Div(took, className="step-took"),
        ]
        if step.get("rating"):
            body.append(html.Div(t("complaint.rated", lang, n=step["rating"])))
        items.append(html.Li(body, className="late" if late else ""))
        previous = ts
    if deadline is not None:
        items.append(
            html.Li(
                [
                    html.Div(when(deadline), className="step-when"),
                    html.Div(t("complaint.f.deadline", lang), className="step-title"),
                ],
                className="deadline late" if (handled or now) > deadline else "deadline",
            )
        )
    items.sort(key=lambda li: li.children[0].children)  # the deadline lands where it falls in time
    return html.Ol(items, className="timeline")


def heading(detail: dict, lang: str) -> str:
    return f"{detail['complaint_id']} – {detail['title']}"
