"""Huế's time zone: the one definition every local-time rule uses (by name in SQL and in the browser's clock)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

# Vietnam keeps UTC+7 all year (no daylight saving), but the named zone also reads older offsets right.
HUE_TZ_NAME = "Asia/Ho_Chi_Minh"
HUE_TZ = ZoneInfo(HUE_TZ_NAME)
