"""CSV exports of complaints and camera alerts: scoped, masked and audited exactly like the pages that show them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import Flask, Response, request

from data_sources import camera_query, complaints_query
from server.auth import allow_roles, current_viewer
from server.boundary import BadInput, text

# A cell that starts with one of these is a formula to Excel/LibreOffice: exported text must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXPORT_ROLES = ("officer", "dept_head", "admin")


def csv_cell(value: object) -> str:
    """One CSV cell: datetimes in ISO 8601, and text that a spreadsheet would run as a formula defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(rows: list[dict], columns: tuple[str, ...]) -> str:
    """Rows as CSV text with a header line."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(c)) for c in columns])
    return out.getvalue()


# Query parameters are checked here, at the route: a NUL or a control character never reaches PostgreSQL (which
# refuses NUL in text), an id is id-sized, and the answer to junk is a 400 that names the parameter.
MAX_ID = 128
MAX_SEARCH = 200
MAX_VALUES = 50


def _arg(name: str, max_len: int = MAX_ID) -> str | None:
    return text(request.args.get(name), name=name, max_len=max_len)


def _list_arg(name: str) -> list[str]:
    values = request.args.getlist(name)
    if len(values) > MAX_VALUES:
        raise BadInput(f"{name}: more than {MAX_VALUES} values")
    return [v for v in (text(v, name=name) for v in values) if v]


def _date_arg(name: str) -> datetime | None:
    value = _arg(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise BadInput(f"{name}: not an ISO 8601 date or time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _limit() -> int:
    value = _arg("limit", 20)
    if value is None:
        return 200
    if not value.isdigit():
        raise BadInput("limit: not a whole number")
    return int(value)  # the data layer caps it


def _csv_response(body: str, name: str) -> Response:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%MZ")
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


def register(server: Flask) -> None:
    """Attach the export routes (the guard admits officer, dept_head and admin; never wall screens)."""

    @server.get("/export/complaints.csv")
    @allow_roles(*EXPORT_ROLES)
    def export_complaints():
        """Complaints in the viewer's scope; query parameters can only narrow it (status, category, unit, agency, q)."""
        rows = complaints_query.list_complaints(
            viewer=current_viewer(),
            statuses=_list_arg("status"),
            categories=_list_arg("category"),
            unit_codes=_list_arg("unit"),
            agency_code=_arg("agency"),
            search=_arg("q", MAX_SEARCH),
            since=_date_arg("since"),
            until=_date_arg("until"),
            limit=_limit(),
        )
        return _csv_response(to_csv(rows, complaints_query.COLUMNS), "complaints")

    @server.get("/export/camera_alerts.csv")
    @allow_roles(*EXPORT_ROLES)
    def export_camera_alerts():
        """Camera alerts in the viewer's scope, plates and faces masked unless the viewer is cleared (then audited)."""
        rows = camera_query.list_camera_alerts(
            viewer=current_viewer(),
            alert_types=_list_arg("type"),
            unit_codes=_list_arg("unit"),
            camera_id=_arg("camera"),
            since=_date_arg("since"),
            until=_date_arg("until"),
            limit=_limit(),
        )
        return _csv_response(to_csv(rows, camera_query.COLUMNS), "camera-alerts")
