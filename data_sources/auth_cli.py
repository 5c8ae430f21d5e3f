"""`manage.py users ...` and `manage.py tokens ...`: manage accounts, and wall display tokens."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine

from data_sources import auth, privacy, reference
from data_sources.auth import AccountError, describe_time
from data_sources.viewer import USER_ROLES

CLI_ACTOR = "cli"


def add_parsers(sub: argparse._SubParsersAction, connect: Callable[[], tuple[Engine, object]]) -> None:
    """Register the `users` and `tokens` command groups; `connect` returns a migrated engine and a keep-alive."""
    users = sub.add_parser("users", help="create, disable, enable, list accounts; change a password")
    usub = users.add_subparsers(dest="action", required=True)
    create = usub.add_parser("create", help="create an account (asks for the password)")
    create.add_argument("username")
    create.add_argument("--role", required=True, choices=USER_ROLES)
    create.add_argument("--display-name")
    create.add_argument("--agency", help="agency_code (required for dept_head)")
    create.add_argument("--units", default="", help="comma-separated unit codes a dept_head is limited to")
    create.add_argument("--no-personal-data", action="store_true", help="officer/admin who must see plates masked")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    for name, text in (("disable", "disable an account and end its sessions"), ("enable", "re-enable an account")):
        usub.add_parser(name, help=text).add_argument("username")
    passwd = usub.add_parser("passwd", help="set a new password (ends the account's sessions)")
    passwd.add_argument("username")
    passwd.add_argument("--password-stdin", action="store_true")
    usub.add_parser("list", help="list accounts")
    users.set_defaults(func=lambda args: _users(args, *connect()))

    tokens = sub.add_parser("tokens", help="issue, revoke, list wall display tokens")
    tsub = tokens.add_subparsers(dest="action", required=True)
    tsub.add_parser("issue", help="issue a token for one wall screen (printed once)").add_argument("name")
    tsub.add_parser("revoke", help="revoke a token by id or name").add_argument("ident")
    tsub.add_parser("list", help="list tokens (never the tokens themselves)")
    tokens.set_defaults(func=lambda args: _tokens(args, *connect()))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise AccountError("the two passwords differ")
    return first


def _users(args: argparse.Namespace, engine: Engine, _servers: object = None) -> int:
    try:
        if args.action == "create":
            files = reference.load_files()
            if args.agency and args.agency not in {a["agency_code"] for a in files["agencies"]}:
                raise AccountError(f"unknown agency {args.agency!r}")
            units = tuple(u.strip() for u in args.units.split(",") if u.strip())
            unknown = set(units) - {u["code"] for u in files["units"]}
            if unknown:
                raise AccountError(f"unknown unit codes: {', '.join(sorted(unknown))}")
            principal = auth.create_user(
                engine,
                username=args.username,
                password=_read_password(args.password_stdin),
                role=args.role,
                display_name=args.display_name,
                agency_code=args.agency,
                unit_codes=units,
                personal_data=False if args.no_personal_data else None,
            )
            _audit(engine, "user_created", principal.name, {"role": principal.role})
            print(f"created {principal.name} ({principal.role})")
        elif args.action in ("disable", "enable"):
            if not auth.set_disabled(engine, args.username, disabled=args.action == "disable"):
                raise AccountError(f"no user {args.username!r}")
            _audit(engine, f"user_{args.action}d", args.username, {})
            print(f"{args.action}d {args.username}")
        elif args.action == "passwd":
            if not auth.set_password(engine, args.username, _read_password(args.password_stdin)):
                raise AccountError(f"no user {args.username!r}")
            _audit(engine, "password_changed", args.username, {})
            print(f"password changed for {args.username}")
        else:
            print(f"{'username':<16} {'role':<10} {'agency':<14} {'units':<14} {'pd':<3} {'disabled':<17} last sign-in")
            for u in auth.list_users(engine):
                units = ",".join(u["unit_codes"]) or "-"
                print(
                    f"{u['username']:<16} {u['role']:<10} {u['agency_code'] or '-':<14} {units:<14} "
                    f"{'yes' if u['personal_data'] else 'no':<3} {describe_time(u['disabled_at']):<17} "
                    f"{describe_time(u['last_signin_at'])}"
                )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _tokens(args: argparse.Namespace, engine: Engine, _servers: object = None) -> int:
    try:
        if args.action == "issue":
            token_id, raw = auth.issue_token(engine, name=args.name, created_by=CLI_ACTOR)
            _audit(engine, "token_issued", args.name, {"token_id": token_id})
            print(f"token {token_id} for {args.name!r} (shown once, store it in the wall's start URL):\n{raw}")
            print(f"open: /wall?token={raw}   or send: Authorization: Bearer {raw}")
        elif args.action == "revoke":
            if not auth.revoke_token(engine, args.ident):
                raise AccountError(f"no active token {args.ident!r}")
            _audit(engine, "token_revoked", args.ident, {})
            print(f"revoked {args.ident}")
        else:
            print(f"{'id':>4} {'name':<24} {'created':<17} {'revoked':<17} last used")
            for tok in auth.list_tokens(engine):
                print(
                    f"{tok['token_id']:>4} {tok['name']:<24} {describe_time(tok['created_at']):<17} "
                    f"{describe_time(tok['revoked_at']):<17} {describe_time(tok['last_used_at'])}"
                )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _audit(engine: Engine, action: str, subject: str, detail: dict) -> None:
    privacy.audit(engine, actor=CLI_ACTOR, role="admin", action=action, subject=subject, detail=detail)
