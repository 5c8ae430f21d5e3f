"""Where the embedded servers live: fixed places under VAR_DIR, and sockets that always fit a unix socket path."""

from __future__ import annotations

from pathlib import Path

from data_sources.core.embedded import MAX_SOCKET_PATH, Places
from data_sources.core.embedded_servers import EmbeddedPostgres, EmbeddedRedis


def test_emb_places001_fixed_places_under_var_dir():
    places = Places.of("/srv/ioc/var")
    assert places.redis_socket == Path("/srv/ioc/var/redis/redis.sock")
    assert places.pg_socket_dir == places.pg_data == Path("/srv/ioc/var/pg")
    assert places.lock("redis") == Path("/srv/ioc/var/run/redis.lock")
    assert EmbeddedRedis(places).url() == "unix:///srv/ioc/var/redis/redis.sock"
    assert EmbeddedPostgres(places).url() == "postgresql+psycopg://postgres@/ioc?host=%2Fsrv%2Fioc%2Fvar%2Fpg&port=5432"


def test_emb_places002_a_deep_var_dir_puts_sockets_in_a_fixed_short_folder():
    deep = "/srv/" + "/".join(["a-rather-long-folder-name"] * 5) + "/var"
    places = Places.of(deep)
    for socket in (places.redis_socket, places.pg_socket_dir / ".s.PGSQL.5432"):
        assert len(str(socket)) <= MAX_SOCKET_PATH and str(socket).startswith("/tmp/ioc-")
    # Every process computes the same place from the same VAR_DIR, and another VAR_DIR gets another place.
    assert Places.of(deep).redis_socket == places.redis_socket
    assert Places.of(deep + "2").redis_socket != places.redis_socket
    assert places.pg_data == Path(deep) / "pg"  # data stays under VAR_DIR
