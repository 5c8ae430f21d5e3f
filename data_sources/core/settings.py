"""One Settings object read from the environment; every tunable of the app lives here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent.parent


class Settings(BaseSettings):
    """Environment-driven configuration; field names are the upper-case environment variables."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    # Empty means "start an embedded server under var/" (see data_sources.core.servers).
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
    # 32, not 30: the first events of sparse domains (hotspots) fall a day or two after the start.
    backfill_days: int = 32
    feed_seed: int = 20251123
    feed_rate: float = 1.0
    feed_accel: float = 1.0
    # Sign-in and sessions (see README "Sign-in and roles").
    session_idle_hours: float = 12.0
    # A signed-in user signs in again at least this often, however busy the tab.
    session_max_hours: float = 24.0
    # Behind HTTPS: Secure cookies and HSTS. Off by default so http://127.0.0.1 works in development.
    secure_cookies: bool = False
    # The longest one web process trusts a display-token or user check before asking PostgreSQL again.
    # Disabling a user, changing a password or revoking a token is announced through Redis and applies
    # within about a second; only while Redis is unreachable does an answer stand 3 s (server/auth.py).
    auth_cache_seconds: float = 60.0
    signin_attempts_per_minute: int = 5
    # Space-separated origins allowed to frame /wall (e.g. a video-wall controller); empty: nobody.
    wall_frame_ancestors: str = ""
    # Reverse proxies in front of gunicorn whose X-Forwarded-For/-Proto to trust (0: none).
    trusted_proxy_hops: int = 0
    # Real feeds (`python -m pipeline.ingest`, docs/ingest.md). Keys empty: that follow mode refuses to start.
    firms_map_key: str = ""
    firms_url: str = "https://firms.modaps.eosdis.nasa.gov"
    firms_sources: str = "VIIRS_SNPP_NRT,VIIRS_NOAA20_NRT,VIIRS_NOAA21_NRT,MODIS_NRT"
    firms_days: int = Field(default=1, ge=1, le=5)
    firms_poll_seconds: float = 900.0  # NRT files are refreshed every few hours; polling faster only costs quota
    open311_url: str = ""  # the GeoReport v2 requests.json URL (api_key/jurisdiction_id as query parameters)
    open311_poll_seconds: float = 60.0
    open311_lookback_hours: float = 24.0  # first poll after a start reaches back this far
    open311_channel: str = Field(default="web", pattern="^(hue_s|web|hotline|facebook|zalo|email)$")
    mqtt_url: str = "mqtt://127.0.0.1:1883"  # mqtt[s]://user:password@host:port
    frigate_topic_prefix: str = "frigate"
    frigate_url: str = ""  # Frigate's web UI, for snapshot links on alerts (empty: no links)
    tomtom_key: str = ""
    tomtom_url: str = "https://api.tomtom.com"
    # Flow Segment Data is one request per point: "hot" (the congestion hot spots), "all", or segment ids.
    tomtom_segments: str = "hot"
    here_key: str = ""
    here_url: str = "https://data.traffic.hereapi.com"
    traffic_poll_seconds: float = 120.0
    # A flow reading further than this from every road segment we model is counted as unmatched.
    traffic_match_metres: float = 100.0
    # The event contract's plausible-time window (docs/events.md, "Times"): how far ahead of this machine's
    # clock an event time may be before the event is dead-lettered (producers' clocks drift a little).
    event_future_skew_seconds: float = Field(default=300.0, ge=0.0, le=86_400.0)
    # How long (seconds) the wall and console remember which stream entry first carried an event id, so a
    # re-sent copy is not shown again (data_sources/once.py).
    seen_ttl_seconds: int = Field(default=6 * 3600, ge=600)
    # How long ingest remembers published event ids, so a re-ingested file or an overlapping poll adds nothing.
    ingest_seen_days: float = 30.0

    # ---- Source health (docs/operations.md "Source health"): the expected cadence of each stream, in seconds.
    # Data older than its cadence, from a source that should have spoken, reads "late"; 0 means the source speaks
    # only when something happens and is never late (AI cameras alert only on a detection).
    cadence_camera_seconds: float = Field(default=0.0, ge=0)
    # Flow readings come every 1-5 min per segment while polled: two missed 5-minute polls are late.
    cadence_traffic_seconds: float = Field(default=600.0, ge=0)
    # Danger bulletins are daily (FIRMS rows only when something burns): a day and a half without either is late.
    cadence_fire_seconds: float = Field(default=36 * 3600.0, ge=0)
    # About one report every 18 min by day; between 00:00 and 07:30 only urgent ones, so a night can be silent.
    cadence_complaint_seconds: float = Field(default=8 * 3600.0, ge=0)
    # Newest data younger than this reads "ok"; older (and not late) "quiet", which is healthy too.
    liveness_recent_seconds: float = Field(default=300.0, gt=0)
    # How long a one-shot file ingest (`python -m pipeline.ingest firms fires.csv`) vouches for its source.
    liveness_file_seconds: float = Field(default=86400.0, gt=0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once; tests call get_settings.cache_clear())."""
    return Settings()
