"""Plotly figures of the drill-down pages in the dark control-room theme (pure: data in, figure out)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from ui.drill_labels import plotly_separators

PANEL = "#121c27"
GRID = "#24364a"
TEXT = "#e6edf3"
MUTED = "#8fa3b8"
ACCENT = "#4fb3ff"
OK = "#2ec27e"
# Okabe–Ito: distinguishable with every common colour-vision deficiency, readable on the dark panel.
QUALITATIVE = ("#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#0072B2", "#999999")
# Initial figure of every graph: the panel's colour, so nothing flashes white before the first callback.
PLACEHOLDER = {"layout": {"paper_bgcolor": PANEL, "plot_bgcolor": PANEL, "xaxis": {"visible": False},
                          "yaxis": {"visible": False}}}  # fmt: skip
FONT = "Inter, Segoe UI, Noto Sans, DejaVu Sans, sans-serif"
# Plotly graph options shared by every chart: no logo, no tools a department head would not use.
CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d", "toggleSpikelines"],
    "responsive": True,
}


# Dates as numbers (23/11, 14:00): the same in Vietnamese and English, and plotly never prints English month names.
TIME_FORMATS = [
    {"dtickrange": [None, 86_400_000], "value": "%H:%M<br>%d/%m"},
    {"dtickrange": [86_400_000, None], "value": "%d/%m<br>%Y"},
]


def time_axis(fig: go.Figure) -> go.Figure:
    """Numeric day/month tick labels and hover text on a date x axis."""
    return fig.update_xaxes(type="date", tickformatstops=TIME_FORMATS, hoverformat="%d/%m/%Y %H:%M")


def styled(fig: go.Figure, lang: str, *, height: int = 320, legend: bool = True) -> go.Figure:
    """Apply the dark theme, the language's number separators and compact margins."""
    fig.update_layout(
        template="plotly_dark",
        paper_bgcolor=PANEL,
        plot_bgcolor=PANEL,
        font={"color": TEXT, "family": FONT, "size": 13},
        margin={"l": 8, "r": 16, "t": 12, "b": 8},
        height=height,
        separators=plotly_separators(lang),
        showlegend=legend,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "bgcolor": "rgba(0,0,0,0)"},
        hoverlabel={"bgcolor": "#182535", "font": {"color": TEXT}},
        bargap=0.25,
    )
    fig.update_xaxes(gridcolor=GRID, zerolinecolor=GRID, automargin=True)
    fig.update_yaxes(gridcolor=GRID, zerolinecolor=GRID, automargin=True)
    return fig


def empty(message: str, lang: str, *, height: int = 320) -> go.Figure:
    """A blank panel that says why it is blank (no data in the window, nothing in scope)."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"color": MUTED, "size": 15}, x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return styled(fig, lang, height=height, legend=False)


def hbar(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    keys: Sequence[str],
    text: Sequence[str],
    lang: str,
    colours: Sequence[str] | str = ACCENT,
    hover: str = "%{y}: %{text}<extra></extra>",
    x_title: str | None = None,
    height: int | None = None,
    x_range: Sequence[float] | None = None,
) -> go.Figure:
    """Horizontal bars, first row on top; each bar carries its key in customdata so a click can drill into it.

    With a fixed `x_range` (shares), short bars get their label outside so a 0 % bar still says so.
    """
    where = [("inside" if v >= 0.45 * x_range[1] else "outside") for v in values] if x_range else "auto"
    fig = go.Figure(
        go.Bar(
            x=list(values), y=list(labels), orientation="h", customdata=list(keys), text=list(text),
            textposition=where, marker={"color": colours if isinstance(colours, str) else list(colours)},
            hovertemplate=hover, cliponaxis=False,
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(title=x_title, range=list(x_range) if x_range else None)
    return styled(fig, lang, height=height or max(220, 28 * len(labels) + 60), legend=False)


def stacked(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    lang: str,
    keys: Sequence[str] | None = None,
    horizontal: bool = False,
    height: int | None = None,
    axis_title: str | None = None,
    colours: Sequence[str] = QUALITATIVE,
    dates: bool = False,
) -> go.Figure:
    """Stacked bars: one trace per (name, values) over `categories` (Okabe–Ito colours unless given)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(series):
        xy = {"y": list(categories), "x": list(values)} if horizontal else {"x": list(categories), "y": list(values)}
        fig.add_bar(
            name=name, orientation="h" if horizontal else "v", customdata=list(keys or categories),
            marker={"color": colours[i % len(colours)]}, **xy,
        )  # fmt: skip
    fig.update_layout(barmode="stack")
    if horizontal:
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_xaxes(title=axis_title)
    else:
        fig.update_xaxes(type="date" if dates else "category")
        fig.update_yaxes(title=axis_title)
    size = height or (max(260, 26 * len(categories) + 80) if horizontal else 320)
    fig = styled(fig, lang, height=size)
    return time_axis(fig) if dates else fig


def lines(
    series: Sequence[dict], *, lang: str, y_title: str | None = None, height: int = 320, y_range=None
) -> go.Figure:
    """Line chart; each series dict has name, x, y and optionally colour, dash, fill ("tonexty") and width."""
    fig = go.Figure()
    for s in series:
        fig.add_scatter(
            x=list(s["x"]), y=list(s["y"]), name=s["name"], mode="lines",
            line={"color": s.get("colour", ACCENT), "dash": s.get("dash", "solid"), "width": s.get("width", 2),
                  "shape": s.get("shape", "linear")},
            fill=s.get("fill"), fillcolor=s.get("fillcolour"), hovertemplate=s.get("hover"),
        )  # fmt: skip
    fig.update_yaxes(title=y_title, range=y_range)
    fig.update_layout(hovermode="x unified")
    return time_axis(styled(fig, lang, height=height))


def heatmap(
    z: Sequence[Sequence[float | None]],
    *,
    x: Sequence,
    y: Sequence[str],
    lang: str,
    colorscale,
    zmin: float,
    zmax: float,
    colorbar_title: str,
    hover: str,
    height: int = 320,
    keys: Sequence[str] | None = None,
    tickvals: Sequence[float] | None = None,
    ticktext: Sequence[str] | None = None,
) -> go.Figure:
    """A heat map (drawn as an image by plotly: no WebGL, works under the page's CSP)."""
    colorbar = {"title": {"text": colorbar_title}, "thickness": 12}
    if tickvals is not None:
        colorbar |= {"tickvals": list(tickvals), "ticktext": list(ticktext or tickvals)}
    fig = go.Figure(
        go.Heatmap(
            z=[list(row) for row in z], x=list(x), y=list(y), colorscale=colorscale, zmin=zmin, zmax=zmax,
            hovertemplate=hover, colorbar=colorbar, xgap=1, ygap=1, hoverongaps=False,
            customdata=[[k] * len(x) for k in keys] if keys is not None else None,
        )
    )  # fmt: skip
    fig.update_yaxes(autorange="reversed", type="category")
    return styled(fig, lang, height=height, legend=False)
