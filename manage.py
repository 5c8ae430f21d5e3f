"""Command line: `run` starts the whole stack (servers, data, feed, archiver, web); `init` prepares a database."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time

from data_sources import db, reference
from data_sources.connections import get_engine, reset_connections
from data_sources.servers import Servers, ensure_servers
from data_sources.settings import get_settings

log = logging.getLogger("manage")


def _prepare(servers: Servers, *, backfill: bool) -> None:
    """Migrate, load reference data and backfill history when the database has none."""
    os.environ["DATABASE_URL"] = servers.database_url
    os.environ["REDIS_URL"] = servers.redis_url
    get_settings.cache_clear()
    reset_connections()
    t0 = time.monotonic()
    db.migrate(servers.database_url)
    counts = reference.load_into(get_engine())
    log.info("schema migrated, reference loaded %s (%.1f s)", counts, time.monotonic() - t0)
    if backfill:
        _child(["-m", "data_sources.demo", "backfill", "--if-empty"]).wait()


def _child(args: list[str]) -> subprocess.Popen:
    # Children inherit DATABASE_URL / REDIS_URL from os.environ, so they use the same servers.
    return subprocess.Popen([sys.executable, *args], env=os.environ.copy())


def cmd_init(_: argparse.Namespace) -> int:
    """Prepare the configured (or embedded) database and exit."""
    servers = ensure_servers(get_settings())
    _prepare(servers, backfill=get_settings().demo_feed)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Start everything and serve the dashboard until interrupted."""
    settings = get_settings()
    servers = ensure_servers(settings)
    if servers.embedded:
        log.info("started embedded %s (data under %s)", " and ".join(servers.embedded), settings.var_dir)
    _prepare(servers, backfill=settings.demo_feed)
    children = [_child(["-m", "data_sources.archiver"])]
    if settings.demo_feed:
        children.append(_child(["-m", "data_sources.demo", "live"]))
    web = [
        "-m", "gunicorn", "app:server",
        "--bind", f"{settings.host}:{settings.port}",
        "--worker-class", "gthread", "--workers", str(args.workers), "--threads", "16",
        "--no-control-socket", "--graceful-timeout", "5", "--access-logfile", "-",
    ]  # fmt: skip
    children.append(_child(web))
    log.info("dashboard on http://%s:%s  (health: /healthz)", settings.host, settings.port)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # If any part dies, stop the rest: a half-running control room would look live while lying.
    while not stop and all(child.poll() is None for child in children):
        time.sleep(0.5)
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0 if stop else 1


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start servers (embedded if unset), feed, archiver and web")
    run.add_argument("--workers", type=int, default=2)
    run.set_defaults(func=cmd_run)
    sub.add_parser("init", help="migrate, load reference data, backfill if empty").set_defaults(func=cmd_init)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
