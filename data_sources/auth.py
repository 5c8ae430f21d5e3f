"""Accounts and wall display tokens in PostgreSQL: argon2 password hashes, hashed tokens, the signed-in Principal."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, insert, select, update

from data_sources.core.connections import get_redis
from data_sources.core.streams import keys
from data_sources.schema_auth import display_tokens, users
from data_sources.viewer import PERSONAL_DATA_ROLES, USER_ROLES, Role, Viewer

# argon2id with the library's RFC 9106 "low memory" defaults (64 MiB, 3 passes): ~50 ms per sign-in.
_HASHER = PasswordHasher()
# Verified against when the username is unknown, so timing does not reveal which usernames exist.
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 12
TOKEN_PREFIX = "ioc_wall_"

log = logging.getLogger(__name__)


class AccountError(ValueError):
    """A request to create or change an account or token that breaks a rule (message is user-facing)."""


@dataclass(frozen=True)
class Principal:
    """A signed-in subject (a user or a wall display token) in the shape Flask-Login expects."""

    kind: str  # "user" | "token"
    key: int
    name: str
    display_name: str
    role: Role
    epoch: int = 0
    agency_code: str | None = None
    unit_codes: tuple[str, ...] = field(default_factory=tuple)
    personal_data: bool = False

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """Session id: kind, key and epoch, so a password change or disable ends every old session."""
        return f"{self.kind[0]}:{self.key}:{self.epoch}"

    def viewer(self) -> Viewer:
        """The data layer's view of this principal; clearance only ever applies to officer and admin."""
        return Viewer(
            role=self.role,
            username=self.name,
            agency_code=self.agency_code,
            unit_codes=self.unit_codes,
            cleared_for_personal_data=self.personal_data and self.role in PERSONAL_DATA_ROLES,
        )


def parse_session_id(value: str) -> tuple[str, int, int] | None:
    """('u'|'t', key, epoch) from Principal.get_id(), or None when the value is malformed."""
    parts = value.split(":")
    if len(parts) != 3 or parts[0] not in ("u", "t") or not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return parts[0], int(parts[1]), int(parts[2])


# ---------------------------------------------------------------- passwords and users


def hash_password(password: str) -> str:
    """argon2id hash of a password that satisfies the length rule."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def _user_principal(row) -> Principal:
    return Principal(
        kind="user",
        key=row.user_id,
        name=row.username,
        display_name=row.display_name,
        role=row.role,
        epoch=row.session_epoch,
        agency_code=row.agency_code,
        unit_codes=tuple(row.unit_codes or ()),
        personal_data=row.personal_data,
    )


def create_user(
    engine: Engine,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    agency_code: str | None = None,
    unit_codes: tuple[str, ...] = (),
    personal_data: bool | None = None,
) -> Principal:
    """Insert an account; officers and admins are cleared for personal data unless told otherwise."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AccountError("username: 2-64 characters a-z 0-9 . _ -")
    if role not in USER_ROLES:
        raise AccountError(f"role must be one of {', '.join(USER_ROLES)} (wall screens use display tokens)")
    if role == "dept_head" and not agency_code:
        raise AccountError("a dept_head needs --agency")
    cleared = (role in PERSONAL_DATA_ROLES) if personal_data is None else personal_data
    if cleared and role not in PERSONAL_DATA_ROLES:
        raise AccountError(f"role {role} cannot be cleared for personal data")
    with engine.begin() as conn:
        if conn.execute(select(users.c.user_id).where(users.c.username == username)).first():
            raise AccountError(f"user {username!r} already exists")
        row = conn.execute(
            insert(users)
            .values(
                username=username,
                display_name=display_name or username,
                password_hash=hash_password(password),
                role=role,
                agency_code=agency_code,
                unit_codes=list(unit_codes),
                personal_data=cleared,
            )
            .returning(*users.c)
        ).one()
    return _user_principal(row)


def authenticate(engine: Engine, *, username: str, password: str) -> Principal | None:
    """The principal for a correct username and password of an enabled account, else None."""
    username = username.strip().lower()
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled_at is not None:
        return None
    with engine.begin() as conn:
        values: dict = {"last_signin_at": func.now()}
        if _HASHER.check_needs_rehash(row.password_hash):
            values["password_hash"] = _HASHER.hash(password)
        conn.execute(update(users).where(users.c.user_id == row.user_id).values(**values))
    return _user_principal(row)


def load_user(engine: Engine, user_id: int, epoch: int) -> Principal | None:
    """The principal of an enabled account whose session epoch still matches, else None."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.user_id == user_id)).first()
    if row is None or row.disabled_at is not None or row.session_epoch != epoch:
        return None
    return _user_principal(row)


def set_disabled(engine: Engine, username: str, *, disabled: bool) -> bool:
    """Disable (ending every session) or re-enable an account; False when there is no such user."""
    values = {"disabled_at": func.now() if disabled else None, "session_epoch": users.c.session_epoch + 1}
    with engine.begin() as conn:
        result = conn.execute(update(users).where(users.c.username == username.lower()).values(**values))
    announce_change()
    return result.rowcount == 1


def set_password(engine: Engine, username: str, password: str) -> bool:
    """Replace a password and end the account's other sessions; False when there is no such user."""
    values = {"password_hash": hash_password(password), "session_epoch": users.c.session_epoch + 1}
    with engine.begin() as conn:
        result = conn.execute(update(users).where(users.c.username == username.lower()).values(**values))
    announce_change()
    return result.rowcount == 1


# ---------------------------------------------------------------- telling web processes that sign-ins changed


def generation_key() -> str:
    """Redis counter bumped on every account or token change: web processes cache sign-in answers until it moves."""
    return f"{keys().prefix}auth:generation"


def generation(r: redis.Redis) -> int:
    """The current change counter (0 before the first change)."""
    return int(r.get(generation_key()) or 0)


def announce_change() -> None:
    """After a committed disable, password change or token revocation: every web process drops its cached
    answers within about a second. If Redis is unreachable at that moment the change still applies, later:
    as the cached answers expire (AUTH_CACHE_SECONDS at most)."""
    try:
        get_redis().incr(generation_key())
    except (redis.RedisError, RuntimeError) as exc:  # RuntimeError: no Redis configured (a CLI on its own)
        log.warning("could not announce a sign-in change through Redis (%s): it applies as caches expire", exc)


def list_users(engine: Engine) -> list[dict]:
    """Every account without its password hash, by username."""
    cols = [c for c in users.c if c.name != "password_hash"]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(users.c.username))]


# ---------------------------------------------------------------- wall display tokens


def hash_token(raw: str) -> str:
    """SHA-256 hex: tokens carry 256 random bits, so a fast hash is enough and lets every request check one."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(engine: Engine, *, name: str, created_by: str, raw: str | None = None) -> tuple[int, str]:
    """Create a display token; returns (token_id, raw token). The raw token is shown once and never stored."""
    raw = raw or TOKEN_PREFIX + secrets.token_urlsafe(32)
    if len(raw) < 20:
        raise AccountError("a display token needs at least 20 characters")
    with engine.begin() as conn:
        if conn.execute(select(display_tokens.c.token_id).where(display_tokens.c.name == name)).first():
            raise AccountError(f"a token named {name!r} already exists")
        token_id = conn.execute(
            insert(display_tokens)
            .values(name=name, token_hash=hash_token(raw), created_by=created_by)
            .returning(display_tokens.c.token_id)
        ).scalar_one()
    return token_id, raw


def revoke_token(engine: Engine, ident: str) -> bool:
    """Revoke by id or name; False when no active token matched."""
    where = display_tokens.c.token_id == int(ident) if ident.isdigit() else display_tokens.c.name == ident
    with engine.begin() as conn:
        result = conn.execute(
            update(display_tokens).where(where, display_tokens.c.revoked_at.is_(None)).values(revoked_at=func.now())
        )
    announce_change()
    return result.rowcount > 0


def _token_principal(row) -> Principal:
    return Principal(kind="token", key=row.token_id, name=row.name, display_name=row.name, role="wall")


def token_by_raw(engine: Engine, raw: str) -> Principal | None:
    """The wall principal for an active raw token, else None."""
    if not raw or len(raw) > 200:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(display_tokens).where(
                display_tokens.c.token_hash == hash_token(raw), display_tokens.c.revoked_at.is_(None)
            )
        ).first()
    return _token_principal(row) if row else None


def load_token(engine: Engine, token_id: int) -> Principal | None:
    """The wall principal of an active token id, else None; notes when it was last used (at most once a minute)."""
    with engine.begin() as conn:
        row = conn.execute(
            select(display_tokens, func.now().label("now")).where(
                display_tokens.c.token_id == token_id, display_tokens.c.revoked_at.is_(None)
            )
        ).first()
        if row is None:
            return None
        if row.last_used_at is None or (row.now - row.last_used_at).total_seconds() > 60:
            conn.execute(
                update(display_tokens).where(display_tokens.c.token_id == token_id).values(last_used_at=row.now)
            )
    return _token_principal(row)


def list_tokens(engine: Engine) -> list[dict]:
    """Every display token (never the token itself), newest first."""
    cols = [c for c in display_tokens.c if c.name != "token_hash"]
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).order_by(display_tokens.c.token_id.desc()))
        return [dict(r._mapping) for r in rows]


def describe_time(value: datetime | None) -> str:
    """Short local-agnostic text for CLI listings."""
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"
