"""Personal data: masking of plates and face-match names for roles not cleared, and the audit log of unmasked views."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, Insert, insert, select

from data_sources.schema_auth import audit_log
from data_sources.viewer import Viewer

# Vietnamese plates: province 2 digits, series letters (+ optional digit), then 4-5 digits, e.g. 75A-123.45.
# Lazy series digit: written without separators, "75A12345" reads as series 75A, so no extra digit shows.
_PLATE = re.compile(r"^(\d{2}[A-Z]{1,2}\d??)([-\s]?)(\d{2,3})(\.?)(\d{2})$")
MASK = "***"
# The fields of a camera alert (and of any row built from one) that identify a person.
PERSONAL_FIELDS = ("plate", "person_name")


def mask_plate(plate: str | None) -> str | None:
    """'75A-123.45' -> '75A-***.45': the province/series and the last two digits stay, enough to talk about it."""
    if not plate:
        return plate
    text = plate.strip().upper()
    m = _PLATE.match(text)
    if m:
        series, dash, _middle, dot, tail = m.groups()
        return f"{series}{dash or '-'}{MASK}{dot}{tail}"
    # Unknown shape: keep almost nothing rather than guess.
    return text[:2] + MASK if len(text) > 4 else MASK


def mask_name(name: str | None) -> str | None:
    """A face-match identity is hidden entirely: even initials narrow a watch list down to a person."""
    return MASK if name else name


def mask_row(row: dict, viewer: Viewer) -> dict:
    """A copy of a row with personal fields masked unless the viewer is cleared."""
    if viewer.cleared_for_personal_data:
        return dict(row)
    out = dict(row)
    if out.get("plate"):
        out["plate"] = mask_plate(out["plate"])
    if out.get("person_name"):
        out["person_name"] = mask_name(out["person_name"])
    return out


def has_personal_data(row: dict) -> bool:
    """True when a row carries any personal field in the clear."""
    return any(row.get(f) for f in PERSONAL_FIELDS)


def protect_rows(conn: Connection, viewer: Viewer, rows: Sequence[dict], *, subject: str, id_field: str) -> list[dict]:
    """Mask rows for viewers not cleared; for cleared viewers, audit the ids whose personal data they now see."""
    stmt = view_audit(viewer, rows, subject=subject, id_field=id_field)
    if stmt is not None:
        conn.execute(stmt)
    return shown_rows(viewer, rows)


def shown_rows(viewer: Viewer, rows: Sequence[dict]) -> list[dict]:
    """What the viewer may see of `rows`: masked copies, or plain copies for a cleared viewer."""
    if not viewer.cleared_for_personal_data:
        return [mask_row(r, viewer) for r in rows]
    return [dict(r) for r in rows]


def view_audit(viewer: Viewer, rows: Sequence[dict], *, subject: str, id_field: str) -> Insert | None:
    """The audit row a cleared viewer's view of `rows` needs (None: not cleared, or nothing personal in the clear)."""
    if not viewer.cleared_for_personal_data:
        return None
    shown = [r[id_field] for r in rows if has_personal_data(r)]
    if not shown:
        return None
    return audit_insert(
        actor=viewer.audit_name,
        role=viewer.role,
        action="view_personal_data",
        subject=subject,
        detail={"ids": shown[:500], "count": len(shown)},
        remote_addr=viewer.remote_addr,
    )


def audit_insert(
    *,
    actor: str,
    role: str | None,
    action: str,
    subject: str | None = None,
    detail: dict | None = None,
    remote_addr: str | None = None,
) -> Insert:
    """The INSERT of one audit row (inline: nothing is read back, so no RETURNING)."""
    return (
        insert(audit_log)
        .values(actor=actor, role=role, action=action, subject=subject, detail=detail or {}, remote_addr=remote_addr)
        .inline()
    )


def write_audit(conn: Connection, **fields) -> None:
    """Append one audit row (the fields of `audit_insert`) in the caller's transaction, so a view and its audit
    commit together."""
    conn.execute(audit_insert(**fields))


def audit(engine: Engine, **kwargs) -> None:
    """write_audit in a transaction of its own (sign-in, sign-out, token and account changes)."""
    with engine.begin() as conn:
        write_audit(conn, **kwargs)


def recent_audit(
    engine: Engine, *, actor: str | None = None, actions: Iterable[str] = (), limit: int = 100
) -> list[dict]:
    """Newest audit rows first, optionally for one actor and some actions."""
    stmt = select(audit_log).order_by(audit_log.c.audit_id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(audit_log.c.actor == actor)
    actions = list(actions)
    if actions:
        stmt = stmt.where(audit_log.c.action.in_(actions))
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]
