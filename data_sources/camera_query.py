"""AI camera alerts read for a Viewer: scoped to a dept_head's units, plates and faces masked or audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select

from data_sources import privacy
from data_sources.core.connections import get_engine
from data_sources.schema import camera_alerts
from data_sources.viewer import Viewer, require_rows, scoped, unit_scope

COLUMNS = (
    "event_id", "ts", "camera_id", "unit_code", "alert_type", "severity", "score", "plate", "person_name",
    "watchlist", "snapshot_url",
)  # fmt: skip
MAX_ROWS = 1000


def list_camera_alerts(
    *,
    viewer: Viewer,
    alert_types: Sequence[str] = (),
    unit_codes: Sequence[str] = (),
    camera_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    engine: Engine | None = None,
) -> list[dict]:
    """Newest alerts first: masked for viewers not cleared, and every unmasked plate or face is audited."""
    require_rows(viewer)
    table = camera_alerts
    stmt = select(*(table.c[name] for name in COLUMNS))
    stmt = scoped(stmt, unit_scope(viewer, unit_col=table.c.unit_code))
    if alert_types:
        stmt = stmt.where(table.c.alert_type.in_(list(alert_types)))
    if unit_codes:
        stmt = stmt.where(table.c.unit_code.in_(list(unit_codes)))
    if camera_id:
        stmt = stmt.where(table.c.camera_id == camera_id)
    if since:
        stmt = stmt.where(table.c.ts >= since)
    if until:
        stmt = stmt.where(table.c.ts < until)
    stmt = stmt.order_by(table.c.ts.desc(), table.c.event_id).limit(max(1, min(int(limit), MAX_ROWS)))
    # One transaction: the rows a cleared viewer sees and the audit row saying so commit together.
    with (engine or get_engine()).begin() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
        return privacy.protect_rows(conn, viewer, rows, subject="camera_alerts", id_field="event_id")


def count_camera_alerts(
    *, viewer: Viewer, since: datetime | None = None, engine: Engine | None = None
) -> dict[str, int]:
    """Alerts per type within the viewer's scope: an aggregate, so walls may read it and nothing is personal."""
    table = camera_alerts
    stmt = select(table.c.alert_type, func.count()).group_by(table.c.alert_type)
    stmt = scoped(stmt, unit_scope(viewer, unit_col=table.c.unit_code))
    if since:
        stmt = stmt.where(table.c.ts >= since)
    with (engine or get_engine()).connect() as conn:
        return {str(k): int(n) for k, n in conn.execute(stmt)}
