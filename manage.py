"""Command line: `run` (the whole stack), `init` (a database), `users` / `tokens` (sign-in), `servers` (embedded)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from data_sources import auth_cli, db, reference
from data_sources.auth_demo import ensure_demo_accounts
from data_sources.core.connections import get_engine
from data_sources.core.servers import POSTGRESQL, Servers, ServerUnavailable, embedded_servers, ensure_servers
from data_sources.core.settings import get_settings
from data_sources.core.supervisor import Supervisor

log = logging.getLogger("manage")
ROOT = Path(__file__).resolve().parent


def _prepare(servers: Servers, *, backfill: bool) -> list[str]:
    """Migrate, load reference data, create demo accounts and backfill history when the database has none.

    Returns the demo sign-in lines to print (empty unless DEMO_FEED is on).
    """
    servers.export()
    t0 = time.monotonic()
    db.migrate(servers.database_url)
    counts = reference.load_into(get_engine())
    log.info("schema migrated, reference loaded %s (%.1f s)", counts, time.monotonic() - t0)
    demo = ensure_demo_accounts(get_engine()) if get_settings().demo_feed else []
    _print_demo(demo)
    if backfill:
        _child(_BACKFILL).wait()
    return demo


_BACKFILL = ["-m", "pipeline.demo", "backfill", "--if-empty"]


def _print_demo(lines: list[str]) -> None:
    if lines:
        print("Demo sign-in (DEMO_FEED=true; see README 'Sign-in and roles'):", *lines, sep="\n", flush=True)


def _connect() -> tuple[Engine, Servers]:
    """Engine on the configured PostgreSQL, or the embedded one (`make run`'s, or started for this command and
    stopped at exit), migrated, for the users/tokens commands.
    """
    servers = ensure_servers(get_settings(), need=(POSTGRESQL,))
    servers.export()
    db.migrate(servers.database_url)
    return get_engine(), servers


def _child(args: list[str]) -> subprocess.Popen:
    # Children inherit DATABASE_URL / REDIS_URL from os.environ, so they use the same servers.
    return subprocess.Popen([sys.executable, *args], env=os.environ.copy())


def cmd_init(_: argparse.Namespace) -> int:
    """Prepare the configured (or embedded) database and exit."""
    servers = ensure_servers(get_settings())
    try:
        _prepare(servers, backfill=get_settings().demo_feed)
    finally:
        servers.stop()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Start everything and serve the dashboard until interrupted."""
    settings = get_settings()
    # This process owns the embedded servers (started, or taken over) and restarts one that dies.
    servers = ensure_servers(settings, supervise=True)
    if servers.embedded:
        log.info("embedded %s up (data under %s)", " and ".join(servers.embedded), settings.var_dir)
    supervisor = Supervisor(servers.owned)
    # History is backfilled beside the running app (the shell is usable at once and fills in within a
    # minute or two); the live feed starts after it, so it resumes the lifecycles of backfilled complaints.
    demo = _prepare(servers, backfill=False)
    backfill = _child(_BACKFILL) if settings.demo_feed else None
    # Worker class, hooks and limits live in gunicorn.conf.py, the file the Procfile's `web:` uses too.
    web = [
        "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--chdir", str(ROOT),
        "--bind", f"{settings.host}:{settings.port}", "--workers", str(args.workers), "--access-logfile", "-",
    ]  # fmt: skip
    children = [_child(["-m", "pipeline.archiver"]), _child(web)]
    log.info("dashboard on http://%s:%s  (health: /healthz)", settings.host, settings.port)
    _print_demo(demo)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # If any part dies, stop the rest: a half-running control room would look live while lying. An embedded
    # server is restarted instead (the others reconnect to its fixed socket), unless it keeps failing.
    gave_up = None
    while not stop and not gave_up and all(child.poll() is None for child in children):
        gave_up = supervisor.check()
        if backfill is not None and backfill.poll() is not None:
            log.info("backfill finished (exit %s); starting the live demo feed", backfill.returncode)
            children.append(_child(["-m", "pipeline.demo", "live"]))
            backfill = None
        time.sleep(0.5)
    for child in [*children, *([backfill] if backfill else [])]:
        if child.poll() is None:
            child.terminate()
    for child in [*children, *([backfill] if backfill else [])]:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    servers.stop()  # last: the archiver has flushed what it read
    if gave_up:
        print(f"manage.py run: {gave_up}", file=sys.stderr, flush=True)
    return 0 if stop and not gave_up else 1


def cmd_servers(args: argparse.Namespace) -> int:
    """The embedded servers: where they live, whether they answer, who owns them; `stop` ends unowned ones."""
    for server in embedded_servers(get_settings()).values():
        pid, up, free = server.running_pid(), server.answers(), server.acquire()
        owner = server.holder() if not free else "none" if pid is None else "none (left by a killed `make run`)"
        if args.action == "stop" and free and pid is not None:
            server.adopt()
            server.stop()
            pid, up, owner = None, False, "none (stopped now)"
        elif args.action == "stop" and not free:
            owner += ": stop that `make run` (Ctrl-C) instead"
        server.release()
        state = "answers" if up else "not running" if pid is None else "does not answer"
        print(f"{server.name:<11} {state:<16} pid {pid or '-':<8} {server.where}  owner: {owner}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="start servers (embedded if unset), feed, archiver and web")
    run.add_argument("--workers", type=int, default=2)
    run.set_defaults(func=cmd_run)
    sub.add_parser("init", help="migrate, load reference data, backfill if empty").set_defaults(func=cmd_init)
    auth_cli.add_parsers(sub, _connect)
    servers = sub.add_parser("servers", help="status of the embedded servers under VAR_DIR; stop ones nobody owns")
    servers.add_argument("action", choices=["status", "stop"], nargs="?", default="status")
    servers.set_defaults(func=cmd_servers)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ServerUnavailable as exc:
        print(f"manage.py {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
