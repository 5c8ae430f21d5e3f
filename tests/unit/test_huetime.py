"""One definition of Huế's time zone: every local-time rule reads data_sources.core.huetime."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from data_sources.core.huetime import HUE_TZ, HUE_TZ_NAME

ROOT = Path(__file__).resolve().parents[2]
# Migrations are frozen history.
ALLOWED = {"data_sources/core/huetime.py"}
ZONE = re.compile(r"Asia/Ho_Chi_Minh|timedelta\(hours=7\)|ZoneInfo\(")


def test_hue_is_utc_plus_seven():
    assert HUE_TZ_NAME == "Asia/Ho_Chi_Minh"
    assert datetime(2026, 11, 23, 1, 0, tzinfo=UTC).astimezone(HUE_TZ).isoformat() == "2026-11-23T08:00:00+07:00"


def test_no_other_module_defines_the_zone_again():
    found = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.split("/")[0] in {".venv", "migrations", "var", "node_modules"} or rel in ALLOWED:
            continue
        if rel == "tests/unit/test_huetime.py":
            continue
        found += [f"{rel}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1) if ZONE.search(line)]
    assert found == []
