"""Who is looking: roles, the `Viewer` every scoped data function requires, and the SQL scoping rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Select, false, true

Role = Literal["wall", "officer", "dept_head", "admin"]
ROLES: tuple[Role, ...] = ("wall", "officer", "dept_head", "admin")
USER_ROLES: tuple[Role, ...] = ("officer", "dept_head", "admin")  # roles a password account may hold
STAFF: frozenset[str] = frozenset(USER_ROLES)
EVERYONE: frozenset[str] = frozenset(ROLES)
# Only these roles may ever see plates and face-match names unmasked (and then only if the account is cleared).
PERSONAL_DATA_ROLES: frozenset[str] = frozenset({"officer", "admin"})


class AccessDenied(PermissionError):
    """The viewer's role may not read this kind of data at all (not merely a smaller scope of it)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in subject as the data layer sees it; built on the server, never from request input."""

    role: Role
    username: str
    agency_code: str | None = None
    unit_codes: tuple[str, ...] = ()
    cleared_for_personal_data: bool = False
    # Where the request came from, for the audit log only.
    remote_addr: str | None = None

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}")
        if self.role == "dept_head" and not self.agency_code:
            raise ValueError("a dept_head viewer needs an agency_code")
        if self.cleared_for_personal_data and self.role not in PERSONAL_DATA_ROLES:
            # Fail loudly: a wall or dept_head flagged as cleared is a configuration error, not a privilege.
            raise ValueError(f"role {self.role!r} can never be cleared for personal data")

    @property
    def sees_all(self) -> bool:
        """Officers and admins read every agency and unit; everyone else is scoped or aggregated."""
        return self.role in ("officer", "admin")

    @property
    def audit_name(self) -> str:
        """How this viewer is named in the audit log."""
        return f"token:{self.username}" if self.role == "wall" else self.username


def require_rows(viewer: Viewer) -> None:
    """Raise AccessDenied for viewers that may only see aggregates (wall screens)."""
    if viewer.role == "wall":
        raise AccessDenied("wall displays see aggregated data only")


def agency_scope(viewer: Viewer, *, agency_col: ColumnElement, unit_col: ColumnElement) -> ColumnElement[bool]:
    """WHERE clause for agency-owned rows (complaints): a dept_head sees their agency, within their units if set.

    The values are bound parameters taken from the Viewer, so nothing a client sends can widen the scope.
    """
    if viewer.sees_all or viewer.role == "wall":
        return true()
    clause = agency_col == viewer.agency_code
    if viewer.unit_codes:
        clause = clause & unit_col.in_(viewer.unit_codes)
    return clause


def unit_scope(viewer: Viewer, *, unit_col: ColumnElement) -> ColumnElement[bool]:
    """WHERE clause for place-owned rows (cameras, fire, traffic): a dept_head sees only their units."""
    if viewer.sees_all or viewer.role == "wall":
        return true()
    # No units configured means nothing, never everything.
    return unit_col.in_(viewer.unit_codes) if viewer.unit_codes else false()


def scoped(stmt: Select, clause: ColumnElement[bool]) -> Select:
    """Apply a scope clause; a separate step so a reviewer can grep for every scoped query."""
    return stmt.where(clause)


def scope_of(viewer: Viewer) -> Viewer:
    """The part of a Viewer that decides what SQL returns, used as cache key: same scope, same cache entry.

    Officers and admins all see everything; a dept_head is their agency and units. Names, addresses and
    clearance never change an aggregate, so they are dropped (and never reach a cache key).
    """
    if viewer.sees_all:
        return Viewer(role="officer", username="*")
    return Viewer(
        role=viewer.role, username="*", agency_code=viewer.agency_code, unit_codes=tuple(sorted(viewer.unit_codes))
    )
