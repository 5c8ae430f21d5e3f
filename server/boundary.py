"""The request boundary: what a browser sends is checked before any callback or route uses it; bad input is a 400.

One mechanism for every Dash callback: a server callback's type hints are its contract. Before Dash dispatches a
`/_dash-update-component` request (after the sign-in guard, so anonymous callers still get 401), each input and
state value is checked against the hint of the parameter it binds to; a value of the wrong type is refused with
`BadInput` (HTTP 400, one log line, no traceback). Deeper checks (a drill store's fields, an export parameter, an
alert id) call `text`/`check` and raise the same error. Everything else that goes wrong is a bug and stays a 500.
"""

from __future__ import annotations

import inspect
import logging
import re
import types
import typing
from collections.abc import Mapping
from functools import lru_cache

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, jsonify, request
from werkzeug.exceptions import BadRequest, NotFound

from server import logredact

log = logging.getLogger(__name__)

# Longest text a control or URL parameter may carry (ids, names, searches); a store or grid row is not "text".
MAX_TEXT = 2000
MAX_PATH = 2048
# C0 and C1 controls (tab, newline and carriage return are never part of an id, a filter or a path) and the
# bidi overrides/isolates that can make text read differently from what it is.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CALLBACK_PATH = "/_dash-update-component"
SUITES_PREFIX = "/_dash-component-suites/"


class BadInput(BadRequest):
    """A request value of the wrong type or shape: the caller's mistake (or attack), answered with 400."""

    def __init__(self, reason: str) -> None:
        super().__init__(description=reason)


def text(value: object, *, name: str, max_len: int = MAX_TEXT, optional: bool = True) -> str | None:
    """`value` if it is a plain string (no control or bidi characters, at most `max_len` long); None for
    None/"" when `optional`; BadInput otherwise."""
    if value is None or value == "":
        if optional:
            return None
        raise BadInput(f"{name}: required")
    if not isinstance(value, str):
        raise BadInput(f"{name}: expected text, got {type(value).__name__}")
    if len(value) > max_len:
        raise BadInput(f"{name}: longer than {max_len} characters")
    if _UNSAFE.search(value):
        raise BadInput(f"{name}: control characters")
    return value


def _matches(value: object, hint: object) -> bool:
    """Whether a JSON value fits a type hint (unions, None, builtins, list[...], dict[..., ...], Mapping,
    TypedDict; any other hint passes)."""
    if hint is typing.Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in typing.get_args(hint))
    if origin is list:
        args = typing.get_args(hint)
        return isinstance(value, list) and (not args or all(_matches(v, args[0]) for v in value))
    if origin in (dict, Mapping):
        args = typing.get_args(hint)
        return isinstance(value, dict) and (
            not args or all(_matches(k, args[0]) and _matches(v, args[1]) for k, v in value.items())
        )
    if typing.is_typeddict(hint):  # a store's shape: each key it declares, when present, of its type
        fields = typing.get_type_hints(hint)
        return isinstance(value, dict) and all(_matches(value[k], h) for k, h in fields.items() if k in value)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True  # a hint this check does not model (a TypeVar, a Literal...): the callback checks it itself


def check(value: object, hint: object, *, name: str) -> object:
    """`value` if it fits `hint`, else BadInput naming the parameter."""
    if not _matches(value, hint):
        raise BadInput(f"{name}: expected {_hint_name(hint)}, got {type(value).__name__}")
    return value


def _hint_name(hint: object) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


@lru_cache(maxsize=512)
def _parameters(func) -> tuple[tuple[str, object], ...] | None:
    """(name, hint) of the positional parameters a callback's values bind to, up to a *args (not checkable)."""
    try:
        hints = typing.get_type_hints(func)
        params = inspect.signature(func).parameters.values()
    except (NameError, TypeError, ValueError):
        return None
    out = []
    for p in params:
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            break
        out.append((p.name, hints.get(p.name, typing.Any)))
    return tuple(out)


def _values(items: object, where: str) -> list:
    """The values of a body's `inputs` or `state` list, as Dash will pass them (pattern inputs as lists)."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise BadInput(f"{where}: expected a list")
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append(item.get("value"))
        elif isinstance(item, list) and all(isinstance(i, dict) for i in item):
            out.append([i.get("value") for i in item])
        else:
            raise BadInput(f"{where}: expected objects")
    return out


def check_callback(app: Dash, body: Mapping) -> None:
    """Refuse a callback request whose values do not fit the callback's parameters (Dash's page router has no
    hints: the guard checks the path it is asked to render)."""
    entry = app.callback_map.get(body.get("output"))
    func = entry and entry.get("callback")
    if func is None:
        return
    inputs, state = _values(body.get("inputs"), "inputs"), _values(body.get("state"), "state")
    # Dash binds values by position: a body with more or fewer than the callback declares is not its request.
    if len(inputs) != len(entry.get("inputs") or ()) or len(state) != len(entry.get("state") or ()):
        raise BadInput("inputs/state: not the callback's")
    outputs, changed = body.get("outputs"), body.get("changedPropIds", [])
    if (
        not isinstance(outputs, dict | list)
        or not isinstance(changed, list)
        or not all(isinstance(c, str) for c in changed)
    ):
        raise BadInput("outputs/changedPropIds: malformed")
    values = inputs + state
    params = _parameters(inspect.unwrap(func))
    for (name, hint), value in zip(params or (), values, strict=False):
        check(value, hint, name=name)


def check_path(value: object, *, name: str = "pathname") -> str:
    """A same-site absolute path (what Dash's router and the language switch accept), else BadInput."""
    path = text(value, name=name, max_len=MAX_PATH, optional=False)
    if not path.startswith("/") or path.startswith("//"):
        raise BadInput(f"{name}: must start with a single /")
    return path


def safe_suite_path(path: str) -> bool:
    """A component-suite URL names a file inside a package: no `..` or `.` segments, backslashes or controls."""
    rest = path.removeprefix(SUITES_PREFIX)
    parts = rest.split("/")
    return not ("\\" in rest or _UNSAFE.search(rest) or any(p in ("", ".", "..") for p in parts))


def install(app: Dash) -> None:
    """Check every callback body and component-suite path before Dash sees it; BadInput answers 400 (call after
    server.auth.install, so the sign-in guard runs first). Also redacts tokens from this process's log lines."""
    server = app.server
    logredact.install()  # werkzeug's request log (app.run, the test server) carries /wall?token=... too

    @server.before_request
    def _boundary() -> None:
        if request.path.startswith(SUITES_PREFIX) and not safe_suite_path(request.path):
            raise NotFound()
        if request.path == CALLBACK_PATH and request.method == "POST":
            body = request.get_json(silent=True)
            if isinstance(body, dict):
                check_callback(app, body)

    server.register_error_handler(BadInput, _bad_input)
    server.register_error_handler(DependencyException, _unknown_suite)


def _bad_input(error: BadInput) -> Response:
    # One line, no traceback: a malformed request is the caller's problem, and the log must stay readable.
    log.info("bad request to %s: %s", request.path, error.description)
    response = jsonify(error="bad request", reason=error.description)
    response.status_code = 400
    return response


def _unknown_suite(error: DependencyException) -> Response:
    """Dash raises this for a component-suite file no package registered: a 404, not a server error. Elsewhere it
    is Dash's own complaint about the app (a bug) and stays a 500."""
    if not request.path.startswith(SUITES_PREFIX):
        raise error
    return NotFound().get_response()
