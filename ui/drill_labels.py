"""Names and number/date formats of the drill-down pages, in the viewer's language (pure, reference data only)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from data_sources import reference
from data_sources.core.huetime import HUE_TZ
from data_sources.viewer import Viewer
from ui.i18n import CATALOG, t

ALERT_TYPES = ("plate_watchlist", "face_match", "fire_smoke", "congestion", "crowding", "camera_offline")
CATEGORIES = (
    "urban_order", "environment", "waste", "street_lights", "infrastructure", "trees_parks", "heritage", "security",
    "traffic",
)  # fmt: skip
CHANNELS = ("hue_s", "web", "hotline", "facebook", "zalo", "email")
LEVELS = ("I", "II", "III", "IV", "V")


@lru_cache(maxsize=1)
def _units() -> dict[str, dict]:
    return {u["code"]: u for u in reference.load_files()["units"]}


@lru_cache(maxsize=1)
def _agencies() -> dict[str, dict]:
    return {a["agency_code"]: a for a in reference.load_files()["agencies"]}


def unit_codes() -> frozenset[str]:
    return frozenset(_units())


def agency_codes() -> frozenset[str]:
    return frozenset(_agencies())


def unit_name(code: str | None, lang: str) -> str:
    """'Phú Xuân' / 'Phu Xuan'; an unknown code shows itself, a missing one (None, NaN) a dash."""
    if not isinstance(code, str):
        return "–"
    unit = _units().get(code)
    if unit is None:
        return code
    return unit["name_en"] if lang == "en" else unit["name"]


def agency_name(code: str | None, lang: str) -> str:
    """The agency's name; a report not yet dispatched (None, or NaN out of pandas) is "not assigned"."""
    if not isinstance(code, str) or not code:
        return t("drill.unassigned", lang)
    agency = _agencies().get(code)
    if agency is None:
        return code
    return agency["name_en"] if lang == "en" else agency["name"]


def label(group: str, value: object, lang: str) -> str:
    """Translated enum value ('category', 'channel', 'alert', 'status', 'confidence'); unknown values show as is."""
    key = f"drill.{group}.{value}"
    return t(key, lang) if key in CATALOG else str(value)


def level_name(level: int | None, lang: str) -> str:
    """'IV – nguy hiểm'."""
    if not level or not 1 <= int(level) <= 5:
        return "–"
    return f"{LEVELS[int(level) - 1]} – {t(f'drill.level.{int(level)}', lang)}"


def unit_options(viewer: Viewer, lang: str, *, agency_only: bool = False) -> list[dict]:
    """Dropdown options: every unit for officers (and agency-wide heads of complaints), else the viewer's own."""
    codes = list(_units())
    if not viewer.sees_all and (viewer.unit_codes or not agency_only):
        codes = [c for c in codes if c in viewer.unit_codes]
    return sorted(({"label": unit_name(c, lang), "value": c} for c in codes), key=lambda o: o["label"])


def my_units(viewer: Viewer) -> tuple[str, ...]:
    """The units a department head is limited to (none for officers: they see the whole city)."""
    return () if viewer.sees_all else tuple(viewer.unit_codes)


def agency_options(viewer: Viewer, lang: str) -> list[dict]:
    codes = list(_agencies()) if viewer.sees_all else [viewer.agency_code] if viewer.agency_code else []
    return sorted(({"label": agency_name(c, lang), "value": c} for c in codes), key=lambda o: o["label"])


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    """1234.5 -> '1.234,5' (vi) or '1,234.5' (en); None -> '–'."""
    if value is None or value != value:  # NaN
        return "–"
    text = f"{value:,.{digits}f}"
    return text.translate(str.maketrans(",.", ".,")) if lang == "vi" else text


def when(value: datetime | None) -> str:
    """Local time as 'YYYY-MM-DD HH:MM': sorts correctly as text in grids and CSV, reads the same in both languages."""
    if value is None or value != value:
        return ""
    return value.astimezone(HUE_TZ).strftime("%Y-%m-%d %H:%M")


def day_text(value: datetime, lang: str) -> str:
    """'23/11/2026' (vi) or '23 Nov 2026' (en)."""
    local = value.astimezone(HUE_TZ)
    return local.strftime("%d/%m/%Y") if lang == "vi" else local.strftime("%d %b %Y")


def plotly_separators(lang: str) -> str:
    """Plotly's decimal and thousands separators for the language."""
    return ",." if lang == "vi" else ".,"


def units_note(viewer: Viewer, lang: str) -> str | None:
    """Tell a department head that they see their units only (the SQL makes it so; this says it)."""
    if viewer.sees_all:
        return None
    names = ", ".join(unit_name(c, lang) for c in viewer.unit_codes) or t("drill.scope.none", lang)
    return t("drill.scope.units", lang, units=names)


def agency_note(viewer: Viewer, lang: str) -> str | None:
    """The same for complaints, which a department head sees by agency (and units, when set)."""
    if viewer.sees_all:
        return None
    where = agency_name(viewer.agency_code, lang)
    if viewer.unit_codes:
        where += " · " + ", ".join(unit_name(c, lang) for c in viewer.unit_codes)
    return t("drill.scope.agency", lang, agency=where)
