"""The wall's URL options (layers, playlist, language, view), colour palettes and freshness thresholds."""

from __future__ import annotations

from data_sources.events import SEVERITY_RANK
from ui.i18n import LANGUAGES

LAYERS = ("cameras", "traffic", "fire", "complaints")
# The stream whose events feed each layer (and whose newest-event age the legend shows).
LAYER_STREAM = {"cameras": "camera", "traffic": "traffic", "fire": "fire", "complaints": "complaint"}
VIEWS: dict[str, tuple[str, ...]] = {
    "city": LAYERS,
    "cameras": ("cameras",),
    "traffic": ("traffic",),
    "fire": ("fire",),
    "complaints": ("complaints",),
}
TICKER_DEFAULT, TICKER_MIN, TICKER_MAX = 30, 5, 500
# Shorter rotations leave no time to read a view from across the room.
ROTATE_MIN_SECONDS = 10
HUE_BOUNDS = [[15.995, 107.057], [16.743, 108.195]]  # DOMAIN.md bounding box, south-west then north-east

# Colour-blind-safe palettes (ColorBrewer schemes marked safe for the common colour-vision deficiencies);
# every class also differs in lightness, size or shape, and the legend names it. docs/wall.md shows them.
SEVERITY_COLOURS = ["#abd9e9", "#ffffbf", "#fdae61", "#d7191c"]  # low, medium, high, critical (RdYlBu)
OFFLINE_COLOUR = "#8c96a0"  # grey, drawn as a hollow square with a cross: offline differs by shape too
CONGESTION_COLOURS = ["#2c7bb6", "#abd9e9", "#ffffbf", "#fdae61", "#d7191c"]  # levels 0-4 (RdYlBu, 5 classes)
FIRE_COLOURS = ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]  # levels I-V (YlOrRd, 5 classes)
DEADLINE_COLOURS = ["#2c7bb6", "#fdae61", "#d7191c"]  # on time, due within 24 h, overdue
HOTSPOT_AGE_HOURS = [6, 24, 48]  # newest class first; colours are FIRE_COLOURS[4], [3] and [1]
NO_DATA_COLOUR = "#56687a"

# Freshness thresholds in seconds (warn, alarm) of the panels that are not streams (streams and their layers
# show the state data_sources.freshness judged: cadence and liveness, not age alone).
KPI_AGE = (15, 60)  # KPI tiles refresh every 5 s
SPARK_AGE = (180, 600)  # sparklines refresh every minute from history cached for a minute
LINK_AGE = (12, 30)  # the push channel pings every 4 s


def _int(value: object, default: int, lo: int, hi: int) -> int:
    try:
        return max(lo, min(hi, int(str(value))))
    except (TypeError, ValueError):
        return default


def _names(value: object, allowed, default: tuple[str, ...]) -> list[str]:
    """'a,b,,x' -> the allowed names in the order given, without repeats; `default` when none is left."""
    picked: list[str] = []
    for name in str(value or "").split(","):
        name = name.strip().lower()
        if name in allowed and name not in picked:
            picked.append(name)
    return picked or list(default)


def _center(value: object) -> list[float] | None:
    try:
        lat, lon = (float(x) for x in str(value).split(","))
    except (TypeError, ValueError):
        return None
    return [lat, lon] if 15.9 <= lat <= 16.85 and 106.95 <= lon <= 108.3 else None


def parse_query(query: dict, *, default_lang: str, default_minutes: int) -> dict:
    """The wall's options from its URL query; anything unknown or out of range falls back to a default."""
    layers = _names(query.get("layers"), LAYERS, LAYERS)
    views = [v for v in _names(query.get("views"), VIEWS, ("city",)) if set(VIEWS[v]) & set(layers)] or ["city"]
    rotate = _int(query.get("rotate"), 0, 0, 24 * 3600)
    lang = query.get("lang")
    center = _center(query.get("center"))
    return {
        "lang": lang if lang in LANGUAGES else default_lang,
        "layers": layers,
        "views": views,
        "rotate": rotate if rotate >= ROTATE_MIN_SECONDS and len(views) > 1 else 0,
        "minutes": _int(query.get("minutes"), default_minutes, 1, 24 * 60),
        "ticker": _int(query.get("ticker"), TICKER_DEFAULT, TICKER_MIN, TICKER_MAX),
        "center": center,
        "zoom": _int(query.get("zoom"), 10, 8, 18) if center else None,
    }


def visible_layers(view: str, layers: list[str]) -> list[str]:
    """Layers drawn in `view`: the view's own, among those the URL selected."""
    return [name for name in VIEWS.get(view, LAYERS) if name in layers]


def root_class(view: str, layers: list[str]) -> str:
    """CSS classes of the wall root: the view, and one `show-<layer>` per visible layer (panes and legends)."""
    return " ".join(["wall", f"view-{view}", *(f"show-{name}" for name in visible_layers(view, layers))])


def severity_rank(severity: str) -> int:
    """0 (low) to 3 (critical)."""
    return SEVERITY_RANK.get(severity, 0)
