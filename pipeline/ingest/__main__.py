"""`python -m pipeline.ingest <format> <file | URL | -> [--follow]`: load a real feed into the event streams."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import redis

from data_sources.core.settings import get_settings
from pipeline.ingest import FORMATS, module_for
from pipeline.ingest.common import Sink
from pipeline.ingest.fetch import SourceError, read_source

EXIT_OK, EXIT_SOURCE, EXIT_REDIS = 0, 1, 3


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.ingest",
        description="Validate a real feed record by record and publish it to the Redis event streams.",
        epilog="Exit status: 0 read (whatever was rejected), 1 the source cannot be read, 3 Redis unreachable.",
    )
    parser.add_argument("format", choices=FORMATS)
    parser.add_argument(
        "source",
        nargs="?",
        help="file, http(s) URL or - for stdin; with --follow: a URL to poll or mqtt:// broker (default: settings)",
    )
    parser.add_argument("--follow", action="store_true", help="keep polling / subscribed until SIGINT or SIGTERM")
    parser.add_argument("--max-polls", type=int, help="with --follow: stop after this many polls (tests, cron)")
    parser.add_argument("--duration", type=float, help="with --follow: stop after this many seconds")
    parser.add_argument("--at", type=datetime.fromisoformat, help="observation time for feeds without one (TomTom)")
    parser.add_argument("--dry-run", action="store_true", help="validate and count only; publish nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    args = parser.parse_intermixed_args(argv)  # `--follow mqtt://host` as well as `mqtt://host --follow`
    if not args.follow and not args.source:
        parser.error("a source (file, URL or -) is needed unless --follow is given")
    if args.at is not None and args.at.tzinfo is None:
        parser.error("--at needs a time zone, e.g. 2026-11-23T08:00:00+07:00")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module = module_for(args.format)
    r = None
    if not args.dry_run:
        from data_sources.core.connections import get_redis
        from data_sources.core.servers import REDIS, use_servers

        try:
            use_servers(REDIS)  # REDIS_URL, or the embedded Redis of a running `make run`
            r = get_redis()
            r.ping()
        except (redis.RedisError, RuntimeError) as exc:
            print(f"ingest {args.format}: Redis unavailable: {exc}", file=sys.stderr)
            return EXIT_REDIS
    sink = Sink(source=args.format, r=r)
    status = EXIT_OK
    try:
        if args.follow:
            stop = threading.Event()
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
            if args.duration:
                timer = threading.Timer(args.duration, stop.set)
                timer.daemon = True  # ending earlier (--max-polls) must not wait for it
                timer.start()
            module.follow(sink, url=args.source, stop=stop, max_polls=args.max_polls)
            stop.set()
        else:
            doc = read_source(args.source)
            module.ingest(replace(doc, observed_at=args.at) if args.at else doc, sink)
            # A file read once vouches for its source for a while (LIVENESS_FILE_SECONDS), not forever.
            sink.alive(True, f"file {doc.label}", ttl=get_settings().liveness_file_seconds)
    except SourceError as exc:
        print(f"ingest {args.format}: {exc}", file=sys.stderr)
        status = EXIT_SOURCE
    except redis.RedisError as exc:
        print(f"ingest {args.format}: Redis failed: {exc}", file=sys.stderr)
        status = EXIT_REDIS
    try:
        sink.flush()
    except redis.RedisError as exc:
        print(f"ingest {args.format}: Redis failed: {exc}", file=sys.stderr)
        status = EXIT_REDIS
    summary = sink.summary
    if args.source and not args.follow:
        summary.source = f"{args.format} {args.source}"
    if status == EXIT_OK or summary.read:  # after an unreadable source, the error line says it all
        print(json.dumps(summary.as_dict(), ensure_ascii=False) if args.json else summary.render())
    return status


if __name__ == "__main__":
    get_settings()  # fail early on a malformed environment, before any source is touched
    raise SystemExit(main())
