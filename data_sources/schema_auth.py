"""PostgreSQL tables of sign-in and privacy: users, wall display tokens and the personal-data audit log."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from data_sources.schema import metadata

TS = DateTime(timezone=True)

# People who sign in with a password. Wall screens are not users: they hold display tokens (below).
# agency_code is not a foreign key on purpose: reference loading replaces the agencies table wholesale.
users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("agency_code", String(32)),
    Column("unit_codes", ARRAY(String(16)), nullable=False, server_default=text("'{}'")),
    # Cleared to see plates and face-match names unmasked (only ever honoured for officer and admin).
    Column("personal_data", Boolean, nullable=False, server_default=text("false")),
    Column("disabled_at", TS),
    # Bumped on disable or password change: every session that carries the old value stops working.
    Column("session_epoch", Integer, nullable=False, server_default=text("0")),
    Column("created_at", TS, nullable=False, server_default=func.now()),
    Column("last_signin_at", TS),
    CheckConstraint("role IN ('officer', 'dept_head', 'admin')", name="role"),
    CheckConstraint("role <> 'dept_head' OR agency_code IS NOT NULL", name="dept_head_agency"),
    CheckConstraint("username = lower(username)", name="username_lower"),
)

# Long-lived read-only credentials for wall screens; only a SHA-256 of the token is stored.
display_tokens = Table(
    "display_tokens",
    metadata,
    Column("token_id", Integer, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_by", Text, nullable=False),
    Column("created_at", TS, nullable=False, server_default=func.now()),
    Column("revoked_at", TS),
    Column("last_used_at", TS),
)

# Who saw which personal data (and other security events), when, from where. Append-only.
audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", BigInteger, primary_key=True),
    Column("ts", TS, nullable=False, server_default=func.now()),
    Column("actor", Text, nullable=False),
    Column("role", String(16)),
    Column("action", String(32), nullable=False),
    Column("subject", Text),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("remote_addr", String(64)),
    Index("ix_audit_log_ts", "ts"),
    Index("ix_audit_log_actor_ts", "actor", "ts"),
)
