"""CSV exports of complaints and camera alerts: scoped, masked and audited exactly like the pages that show them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import Flask, Response, request

from data_sources import camera_query, complaints_query
from ui.auth import allow_roles, current_viewer

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


def _list_arg(name: str) -> list[str]:
    return [v for v in request.args.getlist(name) if v][:50]


def _date_arg(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _limit() -> int:
    value = request.args.get("limit", "")
    return int(value) if value.isdigit() else 200


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
            agency_code=request.args.get("agency") or None,
            search=request.args.get("q") or None,
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
            camera_id=request.args.get("camera") or None,
            since=_date_arg("since"),
            until=_date_arg("until"),
            limit=_limit(),
        )
        return _csv_response(to_csv(rows, camera_query.COLUMNS), "camera-alerts")
