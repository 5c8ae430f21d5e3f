"""Drill-down pages during a PostgreSQL outage: say "history unavailable" where a panel would say "no data"."""

from __future__ import annotations

import textwrap

from dash import callback_context, dcc, html, no_update
from sqlalchemy import exc as sa_exc

from ui import drill_figures as fig
from ui.drill_controls import page_link
from ui.drill_state import DrillState, from_store
from ui.i18n import pick_language, t
from ui.outage import on_callback_error

# As ui.outage: the server is unreachable (refused, timed out, cut mid-query); anything else is a bug.
PG_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError)
UNAVAILABLE = "drill-unavailable"


def _language() -> str:
    """The page's language from the drill store among the callback's inputs and states, else the usual choice."""
    for item in [*callback_context.inputs_list, *callback_context.states_list]:
        parsed = from_store(item.get("value")) if isinstance(item, dict) and item.get("property") == "data" else None
        if parsed is not None:
            return pick_language(parsed[0].lang)
    return pick_language()


def message(lang: str) -> html.Div:
    """What a drill panel shows instead of its data while PostgreSQL is unreachable."""
    return html.Div(
        [html.Strong(t("drill.history_unavailable.title", lang)), " ", t("drill.history_unavailable", lang)],
        className=UNAVAILABLE,
        role="status",
    )


# Characters per line of a chart's message: plotly annotations do not wrap, and a line wider than a half-width
# panel was cut at both edges (seen in the flt201 screenshots).
CHART_LINE = 38


def figure(lang: str):
    """A blank chart saying history is unavailable, its message wrapped by hand to fit a half-width panel."""
    lines = [
        t("drill.history_unavailable.title", lang),
        *textwrap.wrap(t("drill.history_unavailable", lang), CHART_LINE),
    ]
    return fig.empty("<br>".join(lines), lang)


def outputs_for(outputs: list | dict, lang: str) -> list | object:
    """Per output of a failed drill callback: figures and the first text block say so, the rest keep their state.

    An empty chart would read "no data in this period", which during an outage is false; a grid or a map
    keeps what it had (no_update) and the banner above says why nothing new arrives.
    """
    single = isinstance(outputs, dict)
    said = False
    values = []
    for out in [outputs] if single else outputs:
        prop = out.get("property") if isinstance(out, dict) else None
        if prop == "figure":
            values.append(figure(lang))
        elif prop == "children" and not said:
            values.append(message(lang))
            said = True
        else:
            values.append(no_update)
    return values[0] if single else values


def on_drill_error(err: Exception):
    """`on_error` of drill-down callbacks: ui.outage's handling (banner; bugs re-raised), and on a PostgreSQL
    outage the panels say "history unavailable" instead of keeping a blank or misleading "no data" picture."""
    kept = on_callback_error(err)  # re-raises anything that is not an outage
    if not isinstance(err, PG_DOWN):
        return kept
    return outputs_for(callback_context.outputs_list, _language())


def unavailable_page(lang: str, state: DrillState, back_path: str) -> html.Div:
    """An item page whose heading needs PostgreSQL: the same frame as "not found", saying history is unavailable."""
    return html.Div(
        [
            html.H1(t("drill.history_unavailable.title", lang)),
            html.P(t("drill.history_unavailable", lang), className=UNAVAILABLE, role="status"),
            dcc.Link(t("drill.back", lang), href=page_link(back_path, state), className="drill-button"),
        ],
        className="page drill-page not-found",
    )
