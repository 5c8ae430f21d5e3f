"""Citizen reports read for a Viewer: rows scoped to a dept_head's agency and units, counts for everyone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func, select

from data_sources.core.connections import get_engine
from data_sources.schema import complaints
from data_sources.viewer import Viewer, agency_scope, require_rows, scoped

# What a complaint row shows. There is no reporter column anywhere: the contract never carries one.
COLUMNS = (
    "complaint_id", "status", "category", "unit_code", "agency_code", "channel", "lat", "lon", "title",
    "description", "urgent", "received_at", "deadline", "closed_at", "result", "rating", "updated_at",
)  # fmt: skip
# Group-by keys a caller may ask for; the column comes from this table, never from the request.
COUNT_BY = {"unit_code": complaints.c.unit_code, "category": complaints.c.category, "status": complaints.c.status}
MAX_ROWS = 1000


def _like_pattern(text: str) -> str:
    """Substring pattern with LIKE's own wildcards escaped, so user text only ever matches literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_complaints(
    *,
    viewer: Viewer,
    statuses: Sequence[str] = (),
    categories: Sequence[str] = (),
    unit_codes: Sequence[str] = (),
    agency_code: str | None = None,
    search: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
    engine: Engine | None = None,
) -> list[dict]:
    """Newest complaints first within the viewer's scope; the filters can only narrow that scope."""
    require_rows(viewer)
    table = complaints
    stmt = select(*(table.c[name] for name in COLUMNS))
    stmt = scoped(stmt, agency_scope(viewer, agency_col=table.c.agency_code, unit_col=table.c.unit_code))
    if statuses:
        stmt = stmt.where(table.c.status.in_(list(statuses)))
    if categories:
        stmt = stmt.where(table.c.category.in_(list(categories)))
    if unit_codes:
        stmt = stmt.where(table.c.unit_code.in_(list(unit_codes)))
    if agency_code:
        stmt = stmt.where(table.c.agency_code == agency_code)
    if search:
        pattern = _like_pattern(search[:200])
        stmt = stmt.where(table.c.title.ilike(pattern, escape="\\") | table.c.description.ilike(pattern, escape="\\"))
    if since:
        stmt = stmt.where(table.c.received_at >= since)
    if until:
        stmt = stmt.where(table.c.received_at < until)
    stmt = stmt.order_by(table.c.received_at.desc(), table.c.complaint_id).limit(max(1, min(int(limit), MAX_ROWS)))
    with (engine or get_engine()).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


def count_complaints(
    *, viewer: Viewer, by: str = "unit_code", open_only: bool = False, engine: Engine | None = None
) -> dict[str, int]:
    """Complaint counts per unit, category or status within the viewer's scope (walls see the whole city)."""
    if by not in COUNT_BY:
        raise ValueError(f"cannot count complaints by {by!r}")
    key = COUNT_BY[by]
    table = complaints
    stmt = select(key, func.count()).group_by(key)
    stmt = scoped(stmt, agency_scope(viewer, agency_col=table.c.agency_code, unit_col=table.c.unit_code))
    if open_only:
        stmt = stmt.where(table.c.closed_at.is_(None))
    with (engine or get_engine()).connect() as conn:
        return {str(k): int(n) for k, n in conn.execute(stmt)}
