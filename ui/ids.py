"""Component ids, each defined once; the prefix names the page that owns the component."""

from dataclasses import dataclass

# Shell (every page)
SHELL_BANNER = "shell-banner"
SHELL_HEALTH_TICK = "shell-health-tick"
SHELL_KIOSK_PATHS = "shell-kiosk-paths"
SHELL_CLOCK = "shell-clock"
SHELL_USER = "shell-user"
SHELL_SIGNOUT = "shell-signout"

# Overview page "/"
HOME_CARDS = "home-cards"
HOME_TICK = "home-tick"
HOME_CHECKED = "home-checked"

# Wall display "/wall" (a kiosk: layouts/wall.py, callbacks/wall.py, assets/wall.js)
WALL_ROOT = "wall-root"
WALL_MAP = "wall-map"
WALL_TRAFFIC = "wall-traffic"
WALL_FIRE_UNITS = "wall-fire-units"
WALL_FIRE_AREAS = "wall-fire-areas"
WALL_HOTSPOTS = "wall-hotspots"
WALL_CAMERAS = "wall-cameras"
WALL_COMPLAINTS = "wall-complaints"
WALL_LIVE = "wall-live"
WALL_TICKER = "wall-ticker"
WALL_CONFIG = "wall-config"
WALL_OPTIONS = "wall-options"
WALL_WAKE = "wall-wake"
WALL_CURSOR = "wall-cursor"
WALL_HEALTH = "wall-health"
WALL_BANNER = "wall-banner"
WALL_OFFLINE = "wall-offline"
WALL_VIEW_TITLE = "wall-view-title"
WALL_CLOCK = "wall-clock"
WALL_HEALTH_TICK = "wall-health-tick"
WALL_KPI_TICK = "wall-kpi-tick"
WALL_SPARK_TICK = "wall-spark-tick"
WALL_MINUTE_TICK = "wall-minute-tick"
WALL_ROTATE_TICK = "wall-rotate-tick"
WALL_KPI_AT = "wall-kpi-at"
WALL_SPARK_AT = "wall-spark-at"
WALL_KPIS = ("alerts", "congestion", "fire", "complaints")


def wall_kpi(name: str, part: str) -> str:
    """Id of one part ("value", "detail", "spark") of a KPI tile named in WALL_KPIS."""
    return f"wall-kpi-{name}-{part}"


# Duty officer console "/console" (layouts/console.py, callbacks/console.py, assets/console.js)
CONSOLE_ROOT = "console-root"
CONSOLE_GRID = "console-grid"
CONSOLE_SEARCH = "console-search"
CONSOLE_KIND = "console-kind"
CONSOLE_UNIT = "console-unit"
CONSOLE_AGENCY = "console-agency"
CONSOLE_STATE = "console-state"
CONSOLE_EXPORT = "console-export"
CONSOLE_CONFIG = "console-config"
CONSOLE_WAKE = "console-wake"
CONSOLE_CURSOR = "console-cursor"
CONSOLE_INCOMING = "console-incoming"
CONSOLE_SOUND = "console-sound"
CONSOLE_DETAIL = "console-detail"
CONSOLE_COMMENT = "console-comment"
CONSOLE_ASSIGNEE = "console-assignee"
CONSOLE_MESSAGE = "console-message"
# Redis outage banner: data-state="down"/"up" (also class console-banner-down/-up); the health tick drives it.
CONSOLE_BANNER = "console-banner"
CONSOLE_HEALTH_TICK = "console-health-tick"
CONSOLE_HEALTH = "console-health"
CONSOLE_ACTIONS = ("acknowledge", "assign", "escalate", "resolve", "reopen")


def console_action(action: str) -> str:
    """Id of the button for one workflow action named in CONSOLE_ACTIONS."""
    return f"console-act-{action}"


# ---------------------------------------------------------------- drill-down pages
# /traffic, /fire, /cameras, /complaints and their item pages (layouts/<page>.py, callbacks/<page>.py).


@dataclass(frozen=True)
class DrillFilters:
    """A drill-down page's URL, state store and filter controls."""

    url: str
    store: str
    range: str
    dates: str
    unit: str
    agency: str


@dataclass(frozen=True)
class DrillMap:
    """A drill-down map, its clickable unit layer, the selected-unit outline and its data layer."""

    map: str
    units: str
    selected: str
    layer: str


@dataclass(frozen=True)
class DrillGrid:
    """A grid and its CSV export button."""

    grid: str
    export: str


def _filters(page: str) -> DrillFilters:
    return DrillFilters(*(f"{page}-{part}" for part in ("url", "store", "range", "dates", "unit", "agency")))


def _map(page: str) -> DrillMap:
    return DrillMap(*(f"{page}-map{part}" for part in ("", "-units", "-selected", "-layer")))


def _grid(name: str) -> DrillGrid:
    return DrillGrid(f"{name}-grid", f"{name}-export")


TRAFFIC = _filters("traffic")
TRAFFIC_MAP = _map("traffic")
TRAFFIC_GRID = _grid("traffic-segments")
TRAFFIC_KPIS = "traffic-kpis"
TRAFFIC_UNITS = "traffic-units"
TRAFFIC_HEATMAP = "traffic-heatmap"
TRAFFIC_COMPARE = "traffic-compare"
TRAFFIC_WORST = "traffic-worst"
SEGMENT = _filters("segment")
SEGMENT_MAP = _map("segment")
SEGMENT_KPIS = "segment-kpis"
SEGMENT_SPEED = "segment-speed"

FIRE = _filters("fire")
FIRE_MAP = _map("fire")
FIRE_GRID = _grid("fire-hotspots")
FIRE_KPIS = "fire-kpis"
FIRE_LEVELS = "fire-levels"
FIRE_SEASON = "fire-season"
FIRE_UNIT = _filters("fireunit")
FIRE_UNIT_MAP = _map("fireunit")
FIRE_UNIT_GRID = _grid("fireunit-bulletins")
FIRE_UNIT_KPIS = "fireunit-kpis"
FIRE_UNIT_LEVELS = "fireunit-levels"

CAMERAS = _filters("cameras")
CAMERAS_MAP = _map("cameras")
CAMERAS_UPTIME_GRID = _grid("cameras-uptime")
CAMERAS_PLATES_GRID = _grid("cameras-plates")
CAMERAS_KPIS = "cameras-kpis"
CAMERAS_KINDS = "cameras-kinds"
CAMERAS_UNITS = "cameras-units"
CAMERAS_TOP = "cameras-top"
CAMERAS_HOURS = "cameras-hours"
CAMERA = _filters("camera")
CAMERA_PLATES_GRID = _grid("camera-plates")
CAMERA_KPIS = "camera-kpis"
CAMERA_SERIES = "camera-series"

COMPLAINTS = _filters("complaints")
COMPLAINTS_MAP = _map("complaints")
COMPLAINTS_DUE_GRID = _grid("complaints-due")
COMPLAINTS_AGENCY_GRID = _grid("complaints-agencies")
COMPLAINTS_KPIS = "complaints-kpis"
COMPLAINTS_AGENCIES = "complaints-agencies"
COMPLAINTS_UNITS = "complaints-units"
COMPLAINTS_BACKLOG = "complaints-backlog"
COMPLAINTS_CATEGORIES = "complaints-categories"
COMPLAINTS_CHANNELS = "complaints-channels"
COMPLAINTS_RATINGS = "complaints-ratings"
COMPLAINT_STORE = "complaint-store"
COMPLAINT_DETAIL = "complaint-detail"
COMPLAINT_TIMELINE = "complaint-timeline"
