"""PostgreSQL tables of incidents: fused events, their links, timeline and checklist."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from data_sources.schema import metadata

TS = DateTime(timezone=True)

INCIDENT_TYPES = ("forest_fire", "traffic", "public_order", "infrastructure", "other")
INCIDENT_STATUSES = ("open", "responding", "contained", "closed")
STREAMS = ("camera", "fire", "traffic", "complaint")

# One incident: what happened, where (a unit, a centre and a radius covering its members), how bad, who owns it.
# incident_id is derived from the event that opened it, so fusing the same events twice opens nothing new.
# merged_into points at the incident that absorbed this one (its status is then 'closed').
incidents = Table(
    "incidents",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("status", String(12), nullable=False, server_default=text("'open'")),
    Column("severity", SmallInteger, nullable=False),  # SEVERITY_RANK: 0 low .. 3 critical
    Column("title", Text, nullable=False),
    Column("unit_code", String(16)),
    Column("agency_code", String(32)),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("radius_m", Float, nullable=False, server_default=text("0")),
    Column("owner", String(64)),
    Column("rule", String(64)),  # the fusion rule that opened it; NULL when a person opened it
    Column("opened_at", TS, nullable=False),
    Column("updated_at", TS, nullable=False, server_default=func.now()),
    Column("acknowledged_at", TS),
    Column("escalated_at", TS),
    Column("closed_at", TS),
    Column("merged_into", String(64), ForeignKey("incidents.incident_id")),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint(f"type IN {INCIDENT_TYPES!r}", name="type"),
    CheckConstraint(f"status IN {INCIDENT_STATUSES!r}", name="status"),
    CheckConstraint("severity BETWEEN 0 AND 3", name="severity"),
    Index("ix_incidents_status_opened", "status", "opened_at"),
    Index("ix_incidents_unit", "unit_code"),
    Index("ix_incidents_agency", "agency_code"),
)

# An event's membership of an incident. A link a person removed stays as state 'unlinked' (by that person), so the
# rules never link that event to that incident again; an event is linked to at most one incident at a time.
# rule / distance_m / dt_seconds / weight explain a fusion link; linked_by is 'fusion' or a username.
incident_links = Table(
    "incident_links",
    metadata,
    Column("incident_id", String(64), ForeignKey("incidents.incident_id"), primary_key=True),
    Column("event_id", String(160), primary_key=True),
    Column("stream", String(12), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("event_ts", TS, nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("unit_code", String(16)),
    Column("state", String(10), nullable=False, server_default=text("'linked'")),
    Column("rule", String(64)),
    Column("distance_m", Float),
    Column("dt_seconds", Float),
    Column("weight", Float),
    Column("linked_by", String(64), nullable=False),
    Column("linked_at", TS, nullable=False, server_default=func.now()),
    CheckConstraint(f"stream IN {STREAMS!r}", name="stream"),
    CheckConstraint("state IN ('linked', 'unlinked')", name="state"),
    Index("uq_incident_links_event_linked", "event_id", unique=True, postgresql_where=text("state = 'linked'")),
    Index("ix_incident_links_event_ts", "event_ts"),
)

# The incident's story across domains, append-only: opened, linked, unlinked, merged, split, status, owner,
# checklist, note, escalated. actor is 'fusion', 'escalation' or a username.
incident_timeline = Table(
    "incident_timeline",
    metadata,
    Column("entry_id", BigInteger, primary_key=True),
    Column("incident_id", String(64), ForeignKey("incidents.incident_id"), nullable=False),
    Column("at", TS, nullable=False, server_default=func.now()),
    Column("actor", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Index("ix_incident_timeline_incident", "incident_id", "entry_id"),
)

# The incident's checklist, copied from its type's SOP when it opens; each tick records who and when.
incident_checklist = Table(
    "incident_checklist",
    metadata,
    Column("incident_id", String(64), ForeignKey("incidents.incident_id"), primary_key=True),
    Column("item_key", String(48), primary_key=True),
    Column("position", SmallInteger, nullable=False),
    Column("label_vi", Text, nullable=False),
    Column("label_en", Text, nullable=False),
    Column("done_by", String(64)),
    Column("done_at", TS),
)
