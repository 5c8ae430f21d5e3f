"""One Settings object read from the environment; every tunable of the app lives here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Environment-driven configuration; field names are the upper-case environment variables."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Empty means "start an embedded server under var/" (see data_sources.servers).
    database_url: str = ""
    redis_url: str = ""
    port: int = 8050
    host: str = "127.0.0.1"
    demo_feed: bool = True
    tile_url: str = ""
    language: str = Field(default="vi", pattern="^(vi|en)$")
    secret_key: str = "dev-only-change-me"
    # Key prefix lets several deployments (or test sessions) share one Redis.
    redis_prefix: str = "ioc:"
    # Upper bound per stream (approximate MAXLEN): bounds Redis memory; history lives in PostgreSQL.
    stream_maxlen: int = 100_000
    # Hotspots and alerts older than this leave the "current state" views.
    live_window_minutes: int = 60
    var_dir: Path = ROOT / "var"
    backfill_days: int = 30
    feed_seed: int = 20251123
    feed_rate: float = 1.0
    feed_accel: float = 1.0
    stale_warn_seconds: float = 10.0
    stale_alarm_seconds: float = 60.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests call get_settings.cache_clear())."""
    return Settings()
