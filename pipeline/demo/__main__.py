"""Command line: `python -m pipeline.demo backfill [--days N] [--if-empty]` or `... live [--rate R] [--accel A]`."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from sqlalchemy import select

from data_sources import schema
from data_sources.core.connections import get_engine, get_redis
from data_sources.core.servers import POSTGRESQL, REDIS, ServerUnavailable, use_servers
from data_sources.core.settings import get_settings

log = logging.getLogger("demo")


def _has_history() -> bool:
    with get_engine().connect() as conn:
        return conn.execute(select(schema.traffic_readings.c.event_id).limit(1)).first() is not None


def cmd_backfill(args: argparse.Namespace) -> int:
    """Generate and store history (skipped with --if-empty when the database already has some)."""
    from pipeline.demo.backfill import backfill

    if args.if_empty and _has_history():
        log.info("history already present: backfill skipped")
        return 0
    backfill(get_engine(), get_redis(), days=args.days, seed=args.seed)
    return 0


def cmd_live(args: argparse.Namespace) -> int:
    """Publish live events until SIGINT/SIGTERM."""
    from pipeline.demo.live import run_live

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    run_live(get_redis(), rate=args.rate, accel=args.accel, seed=args.seed, stop_event=stop)
    return 0


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m pipeline.demo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    bf = sub.add_parser("backfill", help="write N days of history and seed the current state")
    bf.add_argument("--days", type=int, default=settings.backfill_days, help="default BACKFILL_DAYS")
    bf.add_argument("--if-empty", action="store_true", help="do nothing when traffic history already exists")
    bf.add_argument("--seed", type=int, default=settings.feed_seed, help="default FEED_SEED")
    bf.set_defaults(func=cmd_backfill)
    lv = sub.add_parser("live", help="publish events in real time")
    lv.add_argument("--rate", type=float, default=settings.feed_rate, help="volume multiplier (default FEED_RATE)")
    lv.add_argument("--accel", type=float, default=settings.feed_accel, help="pattern clock speed (FEED_ACCEL)")
    lv.add_argument("--seed", type=int, default=settings.feed_seed, help="default FEED_SEED")
    lv.set_defaults(func=cmd_live)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:  # the configured URLs, or the embedded servers of a running `make run`
        use_servers(*((POSTGRESQL, REDIS) if args.command == "backfill" else (REDIS,)))
    except ServerUnavailable as exc:
        parser.exit(2, f"demo {args.command}: {exc}\n")
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
