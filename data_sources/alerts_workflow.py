"""The console's alert workflow in PostgreSQL: acknowledge, assign, escalate, resolve, reopen, with audit rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from data_sources import schema, schema_auth
from data_sources.core.cache import cache
from data_sources.core.connections import get_engine
from data_sources.schema import metadata
from data_sources.viewer import Viewer

TS = DateTime(timezone=True)

# Mirrors migrations/versions/0004_console_workflow.py.
console_alert = Table(
    "console_alert",
    metadata,
    Column("alert_id", String(160), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("assignee", String(120)),
    Column("comment", Text),
    Column("outcome", Text),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", TS, nullable=False, server_default=func.now()),
)
console_alert_audit = Table(
    "console_alert_audit",
    metadata,
    Column("audit_id", BigInteger, primary_key=True),
    Column("alert_id", String(160), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("at", TS, nullable=False, server_default=func.now()),
    Column("before", JSONB, nullable=False),
    Column("after", JSONB, nullable=False),
    Column("comment", Text),
)

NEW = "new"  # an alert nobody has touched: no row, version 0
OPEN_STATES = frozenset({NEW, "acknowledged", "assigned", "escalated", "reopened"})
# action -> (states it may start from, state it leads to)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "acknowledge": (frozenset({NEW, "reopened"}), "acknowledged"),
    "assign": (OPEN_STATES, "assigned"),
    "escalate": (OPEN_STATES, "escalated"),
    "resolve": (OPEN_STATES, "resolved"),
    "reopen": (frozenset({"resolved"}), "reopened"),
}
STAFF_ROLES = frozenset({"officer", "admin"})
FIELDS = ("state", "version", "assignee", "comment", "outcome", "updated_by")


class InvalidAction(ValueError):
    """The action does not apply to the alert's current state (e.g. resolving a resolved alert)."""


@dataclass(frozen=True)
class Outcome:
    """What an action did: `ok` with the new state, or a conflict naming who changed the alert first."""

    ok: bool
    state: dict
    conflict_by: str | None = None


def _plain(row) -> dict:
    return {name: row._mapping[name] for name in FIELDS} if row is not None else {"state": NEW, "version": 0}


def _current(conn, alert_id: str) -> dict:
    return _plain(conn.execute(select(console_alert).where(console_alert.c.alert_id == alert_id)).first())


def act(
    engine: Engine,
    *,
    viewer: Viewer,
    alert_id: str,
    action: str,
    version: int,
    comment: str | None = None,
    assignee: str | None = None,
    outcome: str | None = None,
) -> Outcome:
    """Apply one action if the alert is still at `version` (what the officer saw); else report who got there first.

    The first touch is an INSERT ... ON CONFLICT DO NOTHING and every later one an UPDATE ... WHERE version = :v,
    so of two officers acting on the same version exactly one statement changes a row; the change and its audit
    row commit together.
    """
    if viewer.role not in STAFF_ROLES:
        raise PermissionError("only officers and admins act on alerts")
    if action not in ACTIONS:
        raise InvalidAction(action)
    sources, target = ACTIONS[action]
    values = {"state": target, "updated_by": viewer.username, "updated_at": func.now()}
    if comment:
        values["comment"] = comment.strip()[:2000]
    if action == "assign":
        if not assignee or assignee.split(":", 1)[0] not in ASSIGNEE_KINDS:
            raise InvalidAction("assign needs an agency or an officer")
        values["assignee"] = assignee.strip()[:120]
    if action == "resolve":
        values["outcome"] = (outcome or comment or "").strip()[:2000] or None
    with engine.begin() as conn:
        before = _current(conn, alert_id)
        if before["version"] != version:
            return Outcome(ok=False, state=before, conflict_by=before.get("updated_by"))
        if before["state"] not in sources:
            raise InvalidAction(f"{action} from {before['state']}")
        if version == 0:
            stmt = (
                pg_insert(console_alert)
                .values(alert_id=alert_id, version=1, **values)
                .on_conflict_do_nothing(index_elements=["alert_id"])
            )
        else:
            stmt = (
                update(console_alert)
                .where(console_alert.c.alert_id == alert_id, console_alert.c.version == version)
                .values(version=console_alert.c.version + 1, **values)
            )
        row = conn.execute(stmt.returning(*(console_alert.c[name] for name in FIELDS))).first()
        if row is None:  # someone else's change committed between our read and our write
            # READ COMMITTED: this new statement sees their committed row, so we can name them.
            now = _current(conn, alert_id)
            return Outcome(ok=False, state=now, conflict_by=now.get("updated_by"))
        after = _plain(row)
        conn.execute(
            insert(console_alert_audit).values(
                alert_id=alert_id,
                actor=viewer.username,
                role=viewer.role,
                action=action,
                before=before,
                after=after,
                comment=comment or None,
            )
        )
    return Outcome(ok=True, state=after)


def states(engine: Engine, *, alert_ids: Iterable[str]) -> dict[str, dict]:
    """The workflow state of each alert that has one (absent ids are "new", version 0)."""
    wanted = list(dict.fromkeys(alert_ids))
    if not wanted:
        return {}
    stmt = select(console_alert).where(console_alert.c.alert_id.in_(wanted))
    with engine.connect() as conn:
        return {r.alert_id: _plain(r) for r in conn.execute(stmt)}


def trail(engine: Engine, *, alert_id: str, limit: int = 50) -> list[dict]:
    """The audit rows of one alert, oldest first."""
    stmt = (
        select(console_alert_audit)
        .where(console_alert_audit.c.alert_id == alert_id)
        .order_by(console_alert_audit.c.audit_id)
        .limit(limit)
    )
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(stmt)]


# Who an alert can be assigned to: an agency ("agency:<code>") or an officer account ("officer:<username>").
ASSIGNEE_KINDS = ("agency", "officer")


def assignees(engine: Engine) -> list[dict]:
    """Agencies (reference table) then enabled officer accounts, as {value, kind, code, name, name_en}."""
    ag, users = schema.agencies, schema_auth.users
    with engine.connect() as conn:
        agencies = conn.execute(select(ag.c.agency_code, ag.c.name, ag.c.name_en).order_by(ag.c.agency_code)).all()
        officers = conn.execute(
            select(users.c.username, users.c.display_name)
            .where(users.c.role == "officer", users.c.disabled_at.is_(None))
            .order_by(users.c.display_name)
        ).all()
    return [
        *({"value": f"agency:{a.agency_code}", "kind": "agency", "code": a.agency_code, "name": a.name,
           "name_en": a.name_en} for a in agencies),
        *({"value": f"officer:{o.username}", "kind": "officer", "code": o.username, "name": o.display_name,
           "name_en": o.display_name} for o in officers),
    ]  # fmt: skip


# Agencies change with a migration and accounts rarely: a minute's cache spares a query per page visit and per
# assignment check, and a new or disabled officer shows in the picklist within a minute.
@cache.memoize(timeout=60)
def cached_assignees(*, database_url: str) -> list[dict]:
    """`assignees`, cached per worker (keyed by database)."""
    return assignees(get_engine(database_url))
