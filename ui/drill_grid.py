"""dash-ag-grid tables of the drill-down pages: dark theme, translated, a CSV export of exactly what is shown."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import html

from ui.i18n import t
from ui.ids import DrillGrid

# Keys of AG Grid's own texts (filter menus, overlays) that the catalog translates as drill.grid.<key>.
GRID_TEXTS = (
    "noRowsToShow", "loadingOoo", "filterOoo", "contains", "notContains", "equals", "notEqual", "startsWith",
    "endsWith", "blank", "notBlank", "andCondition", "orCondition", "lessThan", "greaterThan", "inRange",
    "lessThanOrEqual", "greaterThanOrEqual", "to", "searchOoo", "selectAll",
)  # fmt: skip


def column(
    field: str, header: str, *, kind: str = "text", link: str | None = None, suffix: str = "", width: int | None = None
) -> dict:
    """A column: kind 'text', 'int', 'num1' or 'pct' (one decimal, the header says %); `link` opens item pages."""
    col: dict = {"field": field, "headerName": header}
    if kind != "text":
        col |= {"type": "numericColumn", "filter": "agNumberColumnFilter"}
        # Formatted in the browser by assets/drill.js; AG Grid exports the formatted text, so CSV == screen.
        digits = {"int": 0, "num1": 1, "pct": 1}[kind]
        col["valueFormatter"] = {"function": f"drillNumber(params.value, {digits})"}
    if link:
        # The link keeps the page's query (range, language) so the item page and its way back match the view.
        col |= {"cellRenderer": "DrillLink", "cellRendererParams": {"prefix": link, "suffix": suffix}}
    if width:
        col["width"] = width
    return col


def grid(ids: DrillGrid, columns: list[dict], *, lang: str, file_name: str, height: int = 420) -> html.Div:
    """A sortable, filterable grid (rows arrive by callback) with a CSV button above it."""
    locale = {key: t(f"drill.grid.{key}", lang) for key in GRID_TEXTS}
    return html.Div(
        [
            html.Div(
                html.Button(t("drill.export_csv", lang), id=ids.export, className="drill-button", n_clicks=0),
                className="grid-tools",
            ),
            dag.AgGrid(
                id=ids.grid,
                columnDefs=columns,
                rowData=[],
                defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 90, "flex": 1},
                dashGridOptions={"localeText": locale, "animateRows": False, "suppressCellFocus": True},
                csvExportParams={"fileName": file_name},
                className="drill-grid",
                style={"height": f"{height}px"},
            ),
        ],
        className="grid-wrap",
        # AG Grid's built-in theme follows this attribute into its dark colour scheme.
        **{"data-ag-theme-mode": "dark"},
    )
