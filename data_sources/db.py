"""Database lifecycle: Alembic migrations, reference loading and history counts."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, func, or_, select, text

from data_sources import plausible, schema
from data_sources.core.settings import ROOT

log = logging.getLogger(__name__)


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema revision."""
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    # ConfigParser interpolation would choke on a '%' in a password.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


# Domain -> (fact table counted, time column with a b-tree index for min/max): what "history per domain"
# means for /healthz and the shell. Traffic's raw ts has only a BRIN index, so its span comes from the rollup.
HISTORY = {
    "camera": (schema.camera_alerts, schema.camera_alerts.c.ts),
    "traffic": (schema.traffic_readings, schema.traffic_5min.c.bucket),
    "fire": (schema.fire_danger, schema.fire_danger.c.ts),
    "hotspot": (schema.hotspots, schema.hotspots.c.ts),
    "complaint": (schema.complaint_events, schema.complaint_events.c.ts),
}


_RELTUPLES = text("SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(:t)")


def history_summary(engine: Engine) -> dict[str, dict]:
    """Per domain: row count (planner estimate for big tables), oldest and newest event time, and how many
    rows lie outside the contract's time window (stored before it; they are left out of the span)."""
    out = {}
    low, high = plausible.FLOOR, datetime.fromtimestamp(plausible.ceiling(), UTC)
    with engine.connect() as conn:
        for domain, (table, ts) in HISTORY.items():
            # Only plausible times are loaded: a year-0001 row reads back as 1 BC, which no Python datetime holds.
            inside = ts.between(low, high)
            oldest, newest = conn.execute(select(func.min(ts), func.max(ts)).where(inside)).one()
            # Two index range scans at the ends of the ts index: cheap, and zero in a healthy database.
            implausible = conn.execute(select(func.count()).where(or_(ts < low, ts > high))).scalar_one()
            # reltuples keeps this O(1) on multi-million-row tables; exact counts are for tests.
            estimate = conn.execute(_RELTUPLES, {"t": table.name}).scalar_one_or_none() or 0
            if implausible:
                log.warning("history %s: %d row(s) with an implausible time left out of its span", domain, implausible)
            out[domain] = {
                "rows": int(estimate),
                "oldest": oldest.isoformat() if oldest else None,
                "newest": newest.isoformat() if newest else None,
                "days": round((newest - oldest).total_seconds() / 86400, 1) if oldest else 0.0,
                "implausible": implausible,
            }
    return out


def exact_count(engine: Engine, table_name: str) -> int:
    """Exact row count of one schema table."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(schema.metadata.tables[table_name])).scalar_one()
