"""Pure builders of the console queue: grid rows from queue items and workflow states, and the grid's columns."""

from __future__ import annotations

from datetime import UTC, datetime

from data_sources.core.huetime import HUE_TZ
from data_sources.events import SEVERITY_RANK
from ui.i18n import t

NEW_STATE = {"state": "new", "version": 0, "updated_by": None}


def _ref(item: dict) -> str:
    """What an officer searches by: plate, camera, complaint id (all in one column, so the quick filter finds them)."""
    parts = [item.get("plate"), item.get("person_name"), item.get("camera_id"), item.get("complaint_id")]
    return " · ".join(p for p in parts if p)


def grid_row(item: dict, state: dict | None, *, lang: str, units: dict[str, dict]) -> dict:
    """One queue row: sort keys (rank, ts), codes for the filters, labels for people."""
    st = state or NEW_STATE
    unit = units.get(item.get("unit_code") or "", {})
    return {
        "alert_id": item["alert_id"],
        "rank": SEVERITY_RANK[item["severity"]],
        "severity": item["severity"],
        "sev_label": t(f"console.sev.{item['severity']}", lang),
        "ts": item["ts"],
        "time": datetime.fromtimestamp(item["ts"], UTC).astimezone(HUE_TZ).strftime("%Y-%m-%d %H:%M:%S"),
        "kind": item["kind"],
        "kind_label": t(f"console.kind.{item['kind']}", lang),
        "type": item["type"],
        "type_label": t(f"console.type.{item['type']}", lang),
        "title": item.get("title") or "",
        "unit_code": item.get("unit_code") or "",
        "unit": unit.get("name" if lang == "vi" else "name_en", item.get("unit_code") or ""),
        "agency": item.get("agency_code") or "",
        "ref": _ref(item),
        "state": st["state"],
        "state_label": t(f"console.state.{st['state']}", lang),
        "version": st["version"],
        "by": st.get("updated_by") or "",
        "assignee": assignee_label(st.get("assignee")),
        "lat": item.get("lat"),
        "lon": item.get("lon"),
        "raw": item.get("raw") or {},  # already masked for the viewer (data_sources.console.protect)
    }


def grid_rows(items: list[dict], states: dict[str, dict], *, lang: str, units: dict[str, dict]) -> list[dict]:
    """Rows ordered by severity, then newest first (the grid keeps this order as its default sort)."""
    rows = [grid_row(i, states.get(i["alert_id"]), lang=lang, units=units) for i in items]
    return sorted(rows, key=lambda r: (-r["rank"], -r["ts"]))


def with_state(row: dict, state: dict, *, lang: str) -> dict:
    """A row after a workflow change (the grid updates it in place by alert_id)."""
    return {
        **row,
        "state": state["state"],
        "state_label": t(f"console.state.{state['state']}", lang),
        "version": state["version"],
        "by": state.get("updated_by") or "",
        "assignee": assignee_label(state.get("assignee")),
    }


def state_patch(alert_id: str, state: dict | None, *, lang: str) -> dict:
    """The workflow fields of one row, for patching it in place when another console changed it."""
    st = state or NEW_STATE
    return {
        "alert_id": alert_id,
        "state": st["state"],
        "state_label": t(f"console.state.{st['state']}", lang),
        "version": st["version"],
        "by": st.get("updated_by") or "",
        "assignee": assignee_label(st.get("assignee")),
    }


def assignee_label(value: str | None) -> str:
    """ "agency:CA-TP" -> "CA-TP", "officer:t-anna" -> "t-anna" (the grid column; the picklist has full names)."""
    return (value or "").split(":", 1)[-1]


def assignee_options(people: list[dict], lang: str) -> list[dict]:
    """Picklist options: agencies, then officers, each labelled with its kind, code and name."""
    name = "name" if lang == "vi" else "name_en"
    kinds = {kind: t(f"console.assignee.{kind}", lang) for kind in ("agency", "officer")}
    return [{"label": f"{kinds[p['kind']]} · {p['code']} – {p[name]}", "value": p["value"]} for p in people]


def column_defs(lang: str) -> list[dict]:
    """Columns: visible ones are what the CSV exports; codes used by the filters stay hidden."""

    def col(field: str, key: str, **extra) -> dict:
        return {"field": field, "headerName": t(f"console.col.{key}", lang), **extra}

    return [
        # Default order: severity rank, then time, both descending (sortIndex keeps the pair).
        {"field": "rank", "hide": True, "sort": "desc", "sortIndex": 0},
        col("sev_label", "severity", width=110, cellClass="sev-cell"),
        col("time", "time", width=170, sort="desc", sortIndex=1),
        col("kind_label", "kind", width=120),
        col("type_label", "type", width=190),
        col("ref", "ref", width=220),
        col("unit", "unit", width=150),
        col("agency", "agency", width=110),
        col("state_label", "state", width=130),
        col("by", "by", width=120),
        col("assignee", "assignee", width=120),
        col("title", "place", flex=1, minWidth=160),
        {"field": "kind", "hide": True},
        {"field": "type", "hide": True},
        {"field": "state", "hide": True},
        {"field": "unit_code", "hide": True},
        {"field": "alert_id", "hide": True},
    ]
