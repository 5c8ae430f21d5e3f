"""The state of a drill-down page as URL query parameters: parse, change, serialise, and turn into a time window."""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from data_sources.core.huetime import HUE_TZ
from data_sources.history.common import Window

RANGES = ("24h", "7d", "30d", "90d", "custom")
DEFAULT_RANGE = "7d"
# A custom range may reach back this far: enough for the whole history of the complaints map.
MAX_CUSTOM_DAYS = 3 * 366
MAX_SPAN = timedelta(days=MAX_CUSTOM_DAYS + 1)
FIVE_MINUTES = timedelta(minutes=5)
# Query parameters in the order they are written, so one view always has exactly one URL.
PARAMS = ("range", "from", "to", "unit", "agency", "lang")
# Unit, agency, segment, camera and complaint ids are short; anything longer in a store is not one of them.
MAX_KEY = 128


@dataclass(frozen=True)
class DrillState:
    """What a drill-down page shows: the range, optional custom dates, unit and agency filters, language."""

    range: str = DEFAULT_RANGE
    start: date | None = None
    end: date | None = None
    unit: str | None = None
    agency: str | None = None
    lang: str | None = None


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def normalise(state: DrillState, today: date) -> DrillState:
    """Custom ranges get dates (default: the last 7 days), in order and no longer than MAX_CUSTOM_DAYS."""
    if state.range not in RANGES:
        state = replace(state, range=DEFAULT_RANGE)
    if state.range != "custom":
        return replace(state, start=None, end=None)
    end = min(state.end or today, today)
    start = state.start or end - timedelta(days=6)
    start, end = min(start, end), max(start, end)
    start = max(start, end - timedelta(days=MAX_CUSTOM_DAYS - 1))
    return replace(state, start=start, end=end)


def parse(
    query: Mapping[str, object], *, today: date, units: Container[str] = (), agencies: Container[str] = ()
) -> DrillState:
    """A DrillState from URL query values; anything unknown falls back to the default instead of failing."""
    unit = query.get("unit")
    agency = query.get("agency")
    lang = query.get("lang")
    state = DrillState(
        range=str(query.get("range") or DEFAULT_RANGE),
        start=_date(query.get("from")),
        end=_date(query.get("to")),
        unit=unit if isinstance(unit, str) and unit in units else None,
        agency=agency if isinstance(agency, str) and agency in agencies else None,
        lang=lang if lang in ("vi", "en") else None,
    )
    return normalise(state, today)


def to_search(state: DrillState) -> str:
    """'?range=30d&unit=19768': the query string that reproduces this state."""
    values = {
        "range": state.range,
        "from": state.start.isoformat() if state.start else None,
        "to": state.end.isoformat() if state.end else None,
        "unit": state.unit,
        "agency": state.agency,
        "lang": state.lang,
    }
    return "?" + urlencode([(k, values[k]) for k in PARAMS if values[k]])


def change(state: DrillState, today: date, **changes: object) -> DrillState:
    """A new state with some fields changed (empty strings clear a filter), normalised."""
    clean = {k: (v or None) for k, v in changes.items()}
    if "range" in clean and clean["range"] is None:
        clean["range"] = DEFAULT_RANGE
    for key in ("start", "end"):
        if key in clean:
            clean[key] = _date(clean[key])
    return normalise(replace(state, **clean), today)


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), HUE_TZ)


def window(state: DrillState, now: datetime) -> Window:
    """The half-open time window of a state at `now`.

    The end is the next 5-minute boundary, so a window (and its cache entries) stays the same for 5 minutes.
    24 h and 7 d are whole hours back from the current hour, drawn hourly; 30 d and 90 d are whole local days
    back from today, drawn daily; a custom range covers its local days, drawn hourly up to a week.
    """
    local = now.astimezone(HUE_TZ)
    until = local.replace(second=0, microsecond=0) - timedelta(minutes=local.minute % 5) + FIVE_MINUTES
    hour = local.replace(minute=0, second=0, microsecond=0)
    today = local.date()
    if state.range == "24h":
        return Window(hour - timedelta(hours=23), until, "hour")
    if state.range == "30d":
        return Window(_local_midnight(today - timedelta(days=29)), until, "day")
    if state.range == "90d":
        return Window(_local_midnight(today - timedelta(days=89)), until, "day")
    if state.range == "custom" and state.start and state.end:
        since = _local_midnight(state.start)
        end = min(_local_midnight(state.end + timedelta(days=1)), until)
        return Window(since, end, "hour" if end - since <= timedelta(days=7) else "day")
    return Window(hour - timedelta(hours=167), until, "hour")


def to_store(state: DrillState, win: Window) -> dict:
    """What a page keeps in its dcc.Store: the state and the one window every callback of the visit uses."""
    plain = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(state).items()}
    return {"state": plain, "since": win.since.isoformat(), "until": win.until.isoformat(), "grain": win.grain}


def _key(value: object) -> str | None:
    """A filter key from the store: a short plain string (an id), or None. The store lives in the browser, and
    whatever it holds reaches SQL: anything else (a dict, a number, a NUL) makes the store malformed."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_KEY or not value.isprintable():
        raise ValueError("not a key")
    return value


def from_store(data: Mapping | None) -> tuple[DrillState, Window] | None:
    """The state and window a layout stored, or None when the store is empty or malformed."""
    if not isinstance(data, Mapping) or not isinstance(data.get("state"), Mapping):
        return None
    try:
        raw = data["state"]
        state = DrillState(
            range=str(raw.get("range") or DEFAULT_RANGE),
            start=_date(raw.get("start")),
            end=_date(raw.get("end")),
            unit=_key(raw.get("unit")),
            agency=_key(raw.get("agency")),
            lang=raw.get("lang") if raw.get("lang") in ("vi", "en") else None,
        )
        win = Window(datetime.fromisoformat(data["since"]), datetime.fromisoformat(data["until"]), data["grain"])
    except (KeyError, TypeError, ValueError):
        return None
    # The store lives in the browser: never trust it with a window wider than the URL could ask for.
    if win.since.tzinfo is None or win.until.tzinfo is None:
        return None
    if win.grain not in ("5min", "hour", "day") or not timedelta(0) < win.until - win.since <= MAX_SPAN:
        return None
    return state, win
