"""The one SQLAlchemy engine and the Redis clients of a process, created lazily from settings."""

from __future__ import annotations

from functools import lru_cache

import redis
from sqlalchemy import Engine, create_engine

from data_sources.core.settings import get_settings


def sqlalchemy_url(url: str) -> str:
    """Pin the psycopg 3 driver whatever scheme the operator wrote (postgres://, postgresql://)."""
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


@lru_cache(maxsize=4)
def get_engine(url: str | None = None) -> Engine:
    """Engine for `url` (default: DATABASE_URL); pooled, pre-pinged so a restarted PostgreSQL heals."""
    url = url or get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set: start through manage.py, which fills it in")
    return create_engine(
        sqlalchemy_url(url),
        pool_pre_ping=True,
        # A gevent web worker runs hundreds of requests at once on this one pool (gunicorn.conf.py). Past
        # pool_size, SQLAlchemy opens an overflow connection per checkout and closes it on return: under load
        # that churns PostgreSQL backends (each a fork) until connects time out. Keep ten open; queue past 15.
        pool_size=10,
        max_overflow=5,
        # Fail fast when PostgreSQL is down so pages can show a banner instead of hanging. Sessions in UTC: every
        # local-time rule names Huế's zone in the SQL (data_sources.core.huetime), so the session's zone changes no
        # answer, only the tzinfo psycopg gives timestamps: datetime.timezone.utc, whatever the server's default,
        # which pandas turns into a datetime column far faster than a zoneinfo zone.
        connect_args={"connect_timeout": 3, "options": "-c TimeZone=UTC"},
    )


@lru_cache(maxsize=4)
def get_redis(url: str | None = None) -> redis.Redis:
    """Client for short commands: a 2 s socket timeout turns an outage into a quick, visible error."""
    url = url or get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set: start through manage.py, which fills it in")
    # redis-py 8 caps a pool at 100 connections and fails past that; a gevent web worker can have several
    # hundred requests in flight (gunicorn.conf.py), each holding one for a command or two.
    return redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=10, decode_responses=False,
        max_connections=1000,
    )  # fmt: skip


# The longest BLOCK a web process asks for is 4 s (server.live_feed.BLOCK_MS). A read still waiting well
# past that is a half-open connection (a failed-over or unplugged Redis that sent no reset): without a timeout
# the wall's change feed would wait on it for ever and every wall would stop moving while still saying "live".
BLOCKING_SOCKET_TIMEOUT_S = 10


@lru_cache(maxsize=4)
def get_blocking_redis(url: str | None = None) -> redis.Redis:
    """Client for XREAD BLOCK: a socket timeout well past the longest block, not the 2 s of `get_redis`."""
    url = url or get_settings().redis_url
    if not url:
        raise RuntimeError("REDIS_URL is not set: start through manage.py, which fills it in")
    return redis.Redis.from_url(
        url, socket_timeout=BLOCKING_SOCKET_TIMEOUT_S, socket_connect_timeout=2, decode_responses=False
    )


def reset_connections() -> None:
    """Forget cached clients (tests switch servers; a forked worker must not share sockets)."""
    for factory in (get_engine, get_redis, get_blocking_redis):
        factory.cache_clear()
