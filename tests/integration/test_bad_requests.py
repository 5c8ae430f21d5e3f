"""Bad requests are 4xx, never 500: wrong types at the callback boundary, junk in exports and paths, /lang/ paths."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from server import access
from tests.auth_helpers import PAGE, callback_body, csrf_header, ensure_started

# Shapes sent in place of every input and state of a callback (and of a drill store's fields).
JUNK = {
    "dict": {"x": 1},
    "list": ["x", {"y": 2}],
    "huge": "x" * 200_000,
    "int": 12345,
    "nul": "a\x00b",
    "float": 1e308,
    "bidi": "\u202eabc",
}
DRILL_STORES = ("traffic-store", "fire-store", "cameras-store", "complaints-store", "segment-store", "camera-store",
                "fireunit-store", "complaint-store")  # fmt: skip


@pytest.fixture
def started(ioc_app, accounts, rkeys):
    ensure_started(ioc_app)
    return ioc_app


@pytest.fixture
def no_tracebacks(caplog):
    """Fails the test if anything logged an exception (a 500's traceback) while it ran."""
    caplog.set_level(logging.INFO)
    yield
    crashes = [r.getMessage() for r in caplog.records if r.exc_info]
    assert not crashes, crashes[:3]


def _server_callbacks(app) -> list[str]:
    return [k for k, e in app.callback_map.items() if e.get("callback") is not None and not access.is_router(k, e)]


def _deps(app, key: str) -> list[dict]:
    entry = app.callback_map[key]
    return [*entry.get("inputs", []), *entry.get("state", [])]


def _post(client, body) -> object:
    return client.post("/_dash-update-component", json=body, headers=csrf_header(client))


def _store(value) -> dict:
    """A drill store as a layout writes it, with `value` as unit, agency and item."""
    now = datetime.now(UTC)
    state = {"range": "7d", "start": None, "end": None, "unit": value, "agency": value, "lang": "vi"}
    return {"state": state, "since": (now - timedelta(days=7)).isoformat(), "until": now.isoformat(), "grain": "hour",
            "item": value}  # fmt: skip


def test_bad001_wrong_types_in_any_callback_are_4xx(started, auth_client, no_tracebacks):
    """Every server callback, each input and state replaced by each junk shape (and by nothing): never a 500."""
    client = auth_client("admin")
    codes: dict[int, int] = {}
    for key in _server_callbacks(started):
        deps = _deps(started, key)
        for junk in JUNK.values():
            body = callback_body(started, key, {(str(d["id"]), d["property"]): junk for d in deps})
            status = _post(client, body).status_code
            codes[status] = codes.get(status, 0) + 1
            assert status < 500, (key, junk if len(str(junk)) < 50 else "huge", status)
        for body in ({"output": key}, {"output": key, "inputs": "x"}, {"output": key, "inputs": [1, 2]}):
            assert _post(client, body).status_code < 500, (key, body)
    assert codes.get(400, 0) > 50  # the boundary refused most of them with a reason, not by accident


@pytest.mark.parametrize("shape", ["dict", "list", "int", "nul", "huge", "bidi"])
def test_bad002_drill_store_with_a_bad_unit_is_400(started, auth_client, no_tracebacks, shape):
    """A dict (or list, number, NUL...) as `unit` in a drill page's store: 400 from every drill callback."""
    client = auth_client("admin")
    checked = 0
    for key in _server_callbacks(started):
        deps = [d for d in _deps(started, key) if d["property"] == "data" and d["id"] in DRILL_STORES]
        if not deps or any(d["property"] in ("zoom", "bounds") for d in _deps(started, key)):
            continue
        body = callback_body(started, key, {(d["id"], "data"): _store(JUNK[shape]) for d in deps})
        response = _post(client, body)
        # Draw callbacks refuse the store; navigation callbacks (store as State) find no state and change nothing.
        nothing = response.status_code in (200, 204) and '"response":{}' in response.text
        assert response.status_code == 400 or nothing, (key, response.status_code, response.text[:200])
        checked += response.status_code == 400
    assert checked >= 15


def test_bad003_store_sent_as_the_wrong_type_to_a_typed_callback_is_400(started, auth_client, no_tracebacks):
    client = auth_client("officer")
    key = next(k for k in _server_callbacks(started) if "console-banner.children" in k)
    response = _post(client, callback_body(started, key, {("console-config", "data"): ["not", "a", "dict"]}))
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad request", "reason": "config: expected dict | None, got list"}


@pytest.mark.parametrize(
    "query",
    ["unit=%00", "agency=%00", "q=%00", "since=%00", "status=%00", "category=%00", "q=a%0Db", "since=yesterday",
     "limit=-1", "limit=%00", "q=" + "x" * 5000, "unit=" + "&unit=".join(["x"] * 60), "agency=%E2%80%AEx"],
)  # fmt: skip
def test_bad004_junk_in_an_export_parameter_is_400(started, auth_client, no_tracebacks, query):
    response = auth_client("officer").get(f"/export/complaints.csv?{query}")
    assert response.status_code == 400, response.text[:300]
    assert response.get_json()["error"] == "bad request"


@pytest.mark.parametrize("query", ["camera=%00", "type=%00", "unit=%00", "until=%00"])
def test_bad005_junk_in_a_camera_export_parameter_is_400(started, auth_client, no_tracebacks, query):
    assert auth_client("officer").get(f"/export/camera_alerts.csv?{query}").status_code == 400


def test_bad006_good_export_parameters_still_export(started, auth_client, no_tracebacks):
    client = auth_client("officer")
    response = client.get("/export/complaints.csv?status=received&q=Lê Lợi&since=2026-01-01&limit=99999999999")
    assert response.status_code == 200 and response.mimetype == "text/csv"


@pytest.mark.parametrize("pathname", ["wall", "traffic", "", "//evil.example", "\x00", "/a\x00b", "/" + "x" * 5000])
def test_bad007_router_pathname_that_is_no_path_is_400(started, auth_client, no_tracebacks, pathname):
    client = auth_client("officer")
    key = next(k for k, e in started.callback_map.items() if access.is_router(k, e))
    response = _post(client, callback_body(started, key, {("_pages_location", "pathname"): pathname}))
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["/_dash-component-suites/dash/../../app.py", "/_dash-component-suites/dash/%2e%2e/%2e%2e/app.py",
     "/_dash-component-suites/dash/./deps/../../../app.py", "/_dash-component-suites/dash/..%5C..%5Capp.py",
     "/_dash-component-suites/dash//etc/passwd", "/_dash-component-suites/nope/x.js"],
)  # fmt: skip
@pytest.mark.parametrize("role", [None, "officer"])
def test_bad008_component_suite_traversal_is_4xx(started, auth_client, no_tracebacks, path, role):
    response = auth_client(role).get(path)
    assert 400 <= response.status_code < 500
    assert b"import" not in response.data and b"Dash" not in response.data[:200]


def test_bad009_only_the_real_languages_are_public(started, auth_client, no_tracebacks):
    anonymous = auth_client(None)
    for lang in ("vi", "en"):
        response = anonymous.get(f"/lang/{lang}", headers={"Referer": "http://localhost/traffic?range=30d"})
        assert response.status_code == 302 and response.location == "/traffic?range=30d"
        assert f"ioc_lang={lang}" in response.headers["Set-Cookie"]
    for path in ("/lang/x/y", "/lang/xx", "/lang/", "/lang/vi/extra"):
        assert anonymous.get(path).status_code == 401, path
        response = anonymous.get(path, headers=PAGE)
        assert response.status_code == 302 and response.location.startswith("/login?next="), path
        assert b"_dash-config" not in response.data


def test_bad010_good_callbacks_still_answer_and_real_errors_still_surface(started, auth_client):
    """The boundary refuses only bad input: a well-formed request still runs, and a bug is still a loud 500."""
    client = auth_client("officer")
    key = next(k for k in _server_callbacks(started) if "console-banner.children" in k)
    assert _post(client, callback_body(started, key, {("console-config", "data"): {"lang": "en"}})).status_code == 200
    from server import boundary

    with pytest.raises(boundary.BadInput):
        boundary.check({"a": 1}, str | None, name="x")
    assert boundary.check(None, dict | None, name="x") is None
    assert boundary.text("Phú Xuân", name="x") == "Phú Xuân"
    # Only the boundary's own refusal is turned into a 400: no handler swallows other exceptions (a bug stays a 500).
    handled = {cls for codes in started.server.error_handler_spec[None].values() for cls in codes}
    assert boundary.BadInput in handled
    assert not handled & {Exception, TypeError, ValueError, KeyError, AttributeError}


def test_bad011_a_language_that_is_no_language_reads_as_vietnamese(started, auth_client, no_tracebacks):
    """A page's stored options come from the browser: {"lang": {...}} in a console or wall store is not a 500."""
    client = auth_client("officer")
    pairs = (("console-detail.children", "console-config"), ("wall-kpi-alerts-value", "wall-options"),
             ("console-banner.children", "console-config"), ("wall-health.data", "wall-options"))  # fmt: skip
    for output, store in pairs:
        key = next(k for k in _server_callbacks(started) if output in k)
        for lang in ({"x": 1}, ["en"], "xx"):
            response = _post(client, callback_body(started, key, {(store, "data"): {"lang": lang}}))
            assert response.status_code in (200, 204), (output, lang, response.status_code)


@pytest.mark.parametrize(
    ("output", "cursor_store", "wake_store"),
    [("wall-cursor.data", "wall-cursor", "wall-wake"), ("console-cursor.data", "console-cursor", "console-wake")],
)
def test_bad012_a_cursor_that_is_no_stream_position_is_400(
    started, auth_client, no_tracebacks, output, cursor_store, wake_store
):
    """A live page's cursor comes back from the browser: ids that are no stream entry ids (or no mapping) are a
    400 naming the cursor, never a Redis error or a 500; junk in a wake-up's `until` is never a 500 either (the
    wall refuses it, the console reads to the streams' ends); a good cursor still pulls."""
    client = auth_client("officer")
    key = next(k for k in _server_callbacks(started) if k.startswith(f"..{output}") or k.startswith(output))

    def pull(cursor: object, wake: object) -> int:
        values = {(cursor_store, "data"): cursor, (wake_store, "data"): wake}
        return _post(client, callback_body(started, key, values)).status_code

    for cursor in ({"ids": "x"}, {"ids": {"camera": "zzz"}}, {"ids": {"camera": "1-0; DROP"}}):
        assert pull(cursor, {"n": 1}) == 400, cursor
    for until in ("x", {"camera": "1-0; DROP"}, {"camera": {"x": 1}}):
        assert pull({"ids": {"camera": "1-0"}}, {"n": 1, "until": until}) < 500, until
    good = {"ids": {"camera": "0", "traffic": "0", "fire": "0", "complaint": "0", "workflow": "0"}, "more": False}
    assert pull(good, {"n": 1}) in (200, 204)


def test_bad013_wall_options_out_of_range_are_parsed_again_not_trusted(started, auth_client, no_tracebacks):
    """The wall's options store holds numbers the browser may have changed: junk or a huge ticker is clamped."""
    client = auth_client("officer")
    key = next(k for k in _server_callbacks(started) if k.startswith("..wall-cursor.data"))
    for options in ({"ticker": "abc"}, {"ticker": 10**9, "minutes": -5}, {"ticker": {"x": 1}}):
        body = callback_body(started, key, {("wall-options", "data"): options, ("wall-wake", "data"): {"n": 1}})
        assert _post(client, body).status_code in (200, 204), options
