"""Duty officer console "/console": the live queue of alerts that need a person, the detail panel and the workflow."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import dcc, html
from sqlalchemy.exc import SQLAlchemyError

from data_sources import alerts_workflow, reference
from data_sources.core.settings import get_settings
from ui import console_rows, ids
from ui.console_rows import column_defs
from ui.i18n import pick_language, t

dash.register_page(
    __name__, path="/console", title="IOC Huế – Trực ban", nav_key="nav.console", roles=["officer", "admin"]
)

KINDS = ("camera_alert", "hotspot", "fire_danger", "complaint")
# Redis is checked this often: an outage shows on the banner within ~2 s (the issue allows 5 s).
HEALTH_MS = 2_000
BANNER_UP = "console-banner console-banner-up"
STATES = ("new", "acknowledged", "assigned", "escalated", "resolved", "reopened")


def js_config(lang: str) -> dict:
    """What assets/console.js needs: ids, the wall's push URL (the same wake-up channel) and its strings."""
    return {
        "lang": lang,
        "grid": ids.CONSOLE_GRID,
        "wake": ids.CONSOLE_WAKE,
        "search": ids.CONSOLE_SEARCH,
        "sound": ids.CONSOLE_SOUND,
        "root": ids.CONSOLE_ROOT,
        "comment": ids.CONSOLE_COMMENT,
        "ack": ids.console_action("acknowledge"),
        "push": dash.get_relative_path("/wall/push") + "?wake=only",  # wake-ups only: no wall Patch bodies
        "text": {s: t(f"console.sound.{s}", lang) for s in ("on", "muted", "blocked")},
    }


def _dropdown(id_: str, key: str, options: list[dict], lang: str) -> dcc.Dropdown:
    return dcc.Dropdown(id=id_, options=options, placeholder=t(key, lang), clearable=True, className="console-filter")


def toolbar(lang: str) -> html.Div:
    """Search, the four filters, CSV export and the sound toggle."""
    files = reference.load_files()
    name = "name" if lang == "vi" else "name_en"
    return html.Div(
        [
            dcc.Input(
                id=ids.CONSOLE_SEARCH,
                type="search",
                placeholder=t("console.search", lang),
                debounce=False,
                className="console-search",
            ),
            _dropdown(
                ids.CONSOLE_KIND,
                "console.filter.kind",
                [{"label": t(f"console.kind.{k}", lang), "value": k} for k in KINDS],
                lang,
            ),
            _dropdown(
                ids.CONSOLE_UNIT,
                "console.filter.unit",
                [{"label": u[name], "value": u["code"]} for u in files["units"]],
                lang,
            ),
            _dropdown(
                ids.CONSOLE_AGENCY,
                "console.filter.agency",
                [{"label": a["agency_code"], "value": a["agency_code"]} for a in files["agencies"]],
                lang,
            ),
            _dropdown(
                ids.CONSOLE_STATE,
                "console.filter.state",
                [{"label": t(f"console.state.{s}", lang), "value": s} for s in STATES],
                lang,
            ),
            html.Button(t("console.export", lang), id=ids.CONSOLE_EXPORT, n_clicks=0, className="console-button"),
            html.Button(
                t("console.sound.blocked", lang),
                id=ids.CONSOLE_SOUND,
                n_clicks=0,
                className="console-sound",
                **{"data-state": "blocked"},
            ),
        ],
        className="console-toolbar",
    )


def assignee_options(lang: str) -> list[dict]:
    """Agencies and officers to assign to (none while PostgreSQL is down: the shell banner says so)."""
    try:
        people = alerts_workflow.cached_assignees(database_url=get_settings().database_url)
    except SQLAlchemyError:
        return []
    return console_rows.assignee_options(people, lang)


def action_panel(lang: str) -> html.Div:
    """Comment, assignee and the five workflow buttons; the message says what happened (or who was first)."""
    return html.Div(
        [
            dcc.Textarea(id=ids.CONSOLE_COMMENT, placeholder=t("console.comment", lang), className="console-comment"),
            dcc.Dropdown(
                id=ids.CONSOLE_ASSIGNEE,
                options=assignee_options(lang),
                placeholder=t("console.assignee", lang),
                searchable=True,
                clearable=True,
                className="console-assignee",
            ),
            html.Div(
                [
                    html.Button(
                        t(f"console.act.{a}", lang),
                        id=ids.console_action(a),
                        n_clicks=0,
                        className=f"console-button console-{a}",
                    )
                    for a in ids.CONSOLE_ACTIONS
                ],
                className="console-actions",
            ),
            html.Div(id=ids.CONSOLE_MESSAGE, className="console-message", role="status"),
        ],
        className="console-workflow",
    )


def layout(**query: str) -> html.Div:
    """Rebuilt per visit; rows arrive through callbacks.console (the first pull loads the queue)."""
    lang = pick_language(query.get("lang"))
    return html.Div(
        [
            html.Div(
                [html.H2(t("console.title", lang)), html.Small(t("console.keys", lang))], className="console-head"
            ),
            # Hidden while Redis answers; callbacks.console.health shows it within one tick of an outage.
            html.Div(id=ids.CONSOLE_BANNER, className=BANNER_UP, role="alert", **{"data-state": "up"}),
            toolbar(lang),
            html.Div(
                [
                    dag.AgGrid(
                        id=ids.CONSOLE_GRID,
                        columnDefs=column_defs(lang),
                        rowData=[],
                        getRowId="params.data.alert_id",
                        defaultColDef={"sortable": True, "filter": True, "resizable": True},
                        dashGridOptions={
                            "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
                            "animateRows": False,
                        },
                        # Severity colours, and a flash on critical rows that arrived live (assets/console.css).
                        rowClassRules={
                            "sev-critical": "params.data.severity === 'critical'",
                            "sev-high": "params.data.severity === 'high'",
                            "console-flash": "params.data.flash === true",
                        },
                        csvExportParams={"fileName": "ioc-console.csv"},
                        className="console-grid",
                        style={"height": "70vh"},
                    ),
                    html.Div(
                        # Actions first: they stay in reach however long the detail below grows.
                        [action_panel(lang), html.Div(id=ids.CONSOLE_DETAIL, className="console-detail")],
                        className="console-side",
                    ),
                ],
                className="console-main",
                # AG Grid's built-in theme follows this attribute into its dark colour scheme (as ui/drill_grid.py).
                **{"data-ag-theme-mode": "dark"},
            ),
            dcc.Store(id=ids.CONSOLE_CONFIG, data=js_config(lang)),
            dcc.Store(id=ids.CONSOLE_WAKE, data=0),
            dcc.Store(id=ids.CONSOLE_CURSOR, data=None),
            dcc.Store(id=ids.CONSOLE_INCOMING, data=None),
            dcc.Store(id=ids.CONSOLE_HEALTH, data=None),
            dcc.Interval(id=ids.CONSOLE_HEALTH_TICK, interval=HEALTH_MS),
        ],
        id=ids.CONSOLE_ROOT,
        className="console-root",
        lang=lang,
    )
