"""The request boundary's checks: JSON values against type hints, text, paths (pure, no server)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict

import pytest

from server.boundary import BadInput, check, check_path, safe_suite_path, text


class Cursor(TypedDict, total=False):
    ids: dict[str, str]
    more: bool


@pytest.mark.parametrize(
    ("value", "hint", "ok"),
    [
        (None, dict | None, True),
        ({"a": 1}, dict | None, True),
        (["a"], dict | None, False),
        ("x", dict | int | None, False),
        (3, dict | int | None, True),
        (True, int | None, False),  # a JSON boolean is not a count
        (1.5, int | None, False),
        (2, float, True),
        ([{"a": 1}], list[dict] | None, True),
        ([{"a": 1}, "x"], list[dict] | None, False),
        ({"a": "b"}, Mapping[str, str], True),
        ("anything", object, True),
        ({"camera": "1-0"}, dict[str, str], True),
        ({"camera": 5}, dict[str, str], False),
        ({"ids": {"camera": "1-0"}, "more": False, "at": 1.5}, Cursor | None, True),
        ({"ids": "x"}, Cursor | None, False),
        ({"ids": {"camera": ["1-0"]}}, Cursor | None, False),
    ],
)
def test_check_against_hints(value, hint, ok):
    if ok:
        assert check(value, hint, name="v") == value
    else:
        with pytest.raises(BadInput) as err:
            check(value, hint, name="v")
        assert err.value.code == 400 and err.value.description.startswith("v: expected")


@pytest.mark.parametrize("bad", ["a\x00b", "a\nb", "\u202eabc", "x" * 2001, 5, {"a": 1}])
def test_text_refuses_controls_bidi_length_and_types(bad):
    with pytest.raises(BadInput):
        text(bad, name="q")


def test_text_keeps_real_text():
    assert text("Đèn đường hỏng – Lê Lợi", name="q") == "Đèn đường hỏng – Lê Lợi"
    assert text("", name="q") is None and text(None, name="q") is None
    with pytest.raises(BadInput):
        text("", name="q", optional=False)


@pytest.mark.parametrize("path", ["wall", "", "//evil.example/x", "/a\x00", 3])
def test_check_path_refuses_what_is_no_path(path):
    with pytest.raises(BadInput):
        check_path(path)


def test_suite_paths():
    assert safe_suite_path("/_dash-component-suites/dash/deps/react@18.v4_4_1m1.js")
    for bad in ("dash/../../app.py", "dash/./x.js", "dash//etc/passwd", "dash/..\\app.py", "dash/a\x00.js"):
        assert not safe_suite_path("/_dash-component-suites/" + bad), bad
