"""Pure builders for the wall: public events -> keyed layer changes, Patch operations, and alert-ticker rows."""

from __future__ import annotations

import json

from dash import Patch

from data_sources.events import CLOSED_STATUSES, fire_scope
from ui.i18n import t
from ui.wall_config import severity_rank

KEYED = ("traffic", "fire", "cameras", "hotspots", "complaints")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V"}


def _round(x: float) -> float:
    return round(x, 5)  # ~1 m: enough for a wall map, and it keeps each update small


def camera_change(ev: dict, place: dict) -> dict:
    """What a camera event changes on its marker: the offline flag, or the latest alert's severity and time."""
    where = {"la": _round(place["lat"]), "lo": _round(place["lon"])}
    if ev["alert_type"] == "camera_offline":
        return {**where, "o": 1}
    if ev["alert_type"] == "camera_online":
        return {**where, "o": 0}
    return {**where, "s": severity_rank(ev["severity"]), "t": round(ev["ts"])}


def complaint_entry(ev: dict) -> dict | None:
    """An open complaint's marker (position, deadline, urgency); None once it is closed."""
    if ev["status"] in CLOSED_STATUSES:
        return None
    deadline = ev.get("deadline")
    return {
        "la": _round(ev["lat"]),
        "lo": _round(ev["lon"]),
        "d": round(deadline) if deadline else None,
        "u": 1 if ev.get("urgent") else 0,
    }


def hotspot_entry(ev: dict) -> dict:
    return {"la": _round(ev["lat"]), "lo": _round(ev["lon"]), "t": round(ev["ts"]), "c": ev["confidence"][0]}


def layer_changes(events: list[dict], cameras: dict[str, dict]) -> dict[str, dict]:
    """The net change per key of each layer after `events` (arrival order; a newer event for a key wins)."""
    out: dict[str, dict] = {name: {} for name in KEYED}
    newest: dict[tuple[str, str], float] = {}

    def newer(layer: str, key: str, ts: float) -> bool:
        if newest.get((layer, key), float("-inf")) > ts:
            return False
        newest[(layer, key)] = ts
        return True

    for ev in events:
        kind, ts = ev["kind"], ev["ts"]
        if kind == "traffic_reading" and newer("traffic", ev["segment_id"], ts):
            out["traffic"][ev["segment_id"]] = [ev["congestion_level"], round(ts)]
        elif kind == "fire_danger" and newer("fire", fire_scope(ev), ts):
            out["fire"][fire_scope(ev)] = [ev["level"], round(ts)]
        elif kind == "camera_alert" and ev["camera_id"] in cameras and newer("cameras", ev["camera_id"], ts):
            change = camera_change(ev, cameras[ev["camera_id"]])
            out["cameras"][ev["camera_id"]] = {**out["cameras"].get(ev["camera_id"], {}), **change}
        elif kind == "hotspot":
            out["hotspots"][ev["event_id"]] = hotspot_entry(ev)
        elif kind == "complaint" and newer("complaints", ev["complaint_id"], ts):
            out["complaints"][ev["complaint_id"]] = complaint_entry(ev)
    return out


def live_patch(changes: dict[str, dict], rows: list[list], cap: int, gone: list[list] = ()) -> Patch | None:
    """One Patch of the page's live store: per layer, assign (cameras: merge) each changed key or delete it
    (None); ticker rows a newer version replaces (`gone`) are taken out by value, new rows (oldest first) go
    on top and as many leave the bottom, so the list never passes `cap` and holds one row per event id.

    None when nothing changed. Untouched layers keep their identity in the browser, so their builders skip.
    """
    patch = Patch()
    for layer, entries in changes.items():
        for key, entry in entries.items():
            if entry is None:
                del patch[layer][key]
            elif layer == "cameras":  # an offline flag must not wipe the alert, nor an alert the flag
                patch[layer][key].update(entry)
            else:
                patch[layer][key] = entry
    for row in gone:
        patch["ticker"].remove(row)
    rows = rows[-cap:]
    for row in rows:
        patch["ticker"].prepend(row)
    for _ in rows:
        del patch["ticker"][cap]
    return patch if patch.to_plotly_json()["operations"] else None


# ---------------------------------------------------------------- ticker rows


def ticker_severity(ev: dict) -> str | None:
    """Severity of an event as a ticker row, or None when it does not belong in the ticker."""
    kind = ev["kind"]
    if kind == "camera_alert":
        return None if ev["alert_type"] == "camera_online" else ev["severity"]
    if kind == "hotspot":
        return "high" if ev["confidence"] == "high" else "medium"
    if kind == "fire_danger":
        return {4: "high", 5: "critical"}.get(ev["level"])
    if kind == "complaint" and ev["status"] == "received":
        return "high" if ev.get("urgent") else "low"
    return None


def _unit(places: dict, code: str | None, lang: str) -> str:
    names = places["units"].get(code or "")
    return names["name_en" if lang == "en" else "name"] if names else (code or "")


def nearest_unit(places: dict, lat: float, lon: float) -> str:
    """Code of the unit whose centre is nearest (a satellite hotspot often comes without one)."""
    units = places["units"]
    return min(units, key=lambda code: (units[code]["lat"] - lat) ** 2 + (units[code]["lon"] - lon) ** 2)


def ticker_text(ev: dict, places: dict, lang: str) -> tuple[str, str]:
    """(what, where) of a ticker row: only types, places and units, never a plate, a name or free text."""
    kind = ev["kind"]
    if kind == "camera_alert":
        camera = places["cameras"].get(ev["camera_id"])
        return t(f"wall.alert.{ev['alert_type']}", lang), camera["name"] if camera else ev["camera_id"]
    if kind == "hotspot":
        code = ev.get("unit_code") or nearest_unit(places, ev["lat"], ev["lon"])
        # "VIIRS_NOAA20" -> "VIIRS": the instrument is what an operator recognises across the room.
        return t("wall.ticker.hotspot", lang, source=ev["source"].split("_")[0]), _unit(places, code, lang)
    if kind == "fire_danger":
        area = places["areas"].get(ev.get("area_id") or "")
        where = _unit(places, ev["unit_code"], lang) + (f" – {area}" if area else "")
        return t("wall.ticker.fire_level", lang, level=ROMAN[ev["level"]]), where
    what = t("wall.ticker.complaint_urgent" if ev.get("urgent") else "wall.ticker.complaint", lang)
    category = t("wall.category." + ev["category"], lang)
    return f"{what}: {category}", _unit(places, ev["unit_code"], lang)


def ticker_row(ev: dict, places: dict, lang: str) -> list | None:
    """[event id, epoch time, severity, severity label, what, where] of an alert, or None for events that are not
    alerts. A pure function of the event's public fields and the language, so the row a newer version replaces
    can be rebuilt exactly (and taken out of a page's list by value); assets/wall.js writes the time.

    assets/wall.js draws each row as <li data-alert-id="<event id>"> with text only (never HTML), so the
    ticker costs the page one Store however long it is, instead of five Dash components per row.
    """
    severity = ticker_severity(ev)
    if severity is None:
        return None
    what, where = ticker_text(ev, places, lang)
    return [ev["event_id"], ev["ts"], severity, t(f"wall.sev.{severity}", lang), what, where]


def ticker_rows(
    events: list[dict], places: dict, lang: str, *, since: float | None = None
) -> tuple[list[list], list[list]]:
    """Rows for the alert events among `events` (oldest first), one per event id (the last version wins), and
    the rows of the versions they replace (`replaces`, see data_sources.once), for the page to take away.

    Events whose own time is before `since` (the live window's start) make no row: the ticker is "the newest
    alerts", and an old event (a resync after a quiet spell, a late delivery) is on the map, not in that list.
    """
    rows: dict[str, list] = {}
    gone: list[list] = []
    for ev in events:
        if since is not None and (ev.get("ts") or 0) < since:
            continue
        row = ticker_row(ev, places, lang)
        if row is None:
            continue
        rows.pop(row[0], None)  # re-inserted: a later version of an event takes the later place
        rows[row[0]] = row
        if ev.get("replaces"):
            old = ticker_row(json.loads(ev["replaces"]), places, lang)
            if old is not None and old != row:
                gone.append(old)
    return list(rows.values()), gone


# ---------------------------------------------------------------- the present, for a fresh page or a resync


def present(snap: dict, places: dict) -> dict[str, dict]:
    """Full keyed tables of every layer from a current-state snapshot (see data_sources.live.snapshot).

    With a `ticker` list added, this is the page's live store as a fresh page (or a resync) receives it.
    """
    cameras = places["cameras"]
    cams: dict[str, dict] = {}
    for ev in snap["camera"]:
        if ev["camera_id"] in cameras and ev["alert_type"] not in ("camera_offline", "camera_online"):
            cams[ev["camera_id"]] = camera_change(ev, cameras[ev["camera_id"]])
    for ev in snap["camera_offline"]:
        if ev["camera_id"] in cameras:
            cams[ev["camera_id"]] = {**cams.get(ev["camera_id"], {}), **camera_change(ev, cameras[ev["camera_id"]])}
    complaints = {ev["complaint_id"]: complaint_entry(ev) for ev in snap["complaints"]}
    return {
        "traffic": {ev["segment_id"]: [ev["congestion_level"], round(ev["ts"])] for ev in snap["traffic"]},
        "fire": {fire_scope(ev): [ev["level"], round(ev["ts"])] for ev in snap["fire"]},
        "cameras": cams,
        "hotspots": {ev["event_id"]: hotspot_entry(ev) for ev in snap["hotspots"]},
        "complaints": {key: value for key, value in complaints.items() if value is not None},
    }
