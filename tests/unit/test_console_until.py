"""The range a console pull may share: the ids the browser knows exist, never behind its cursor."""

from __future__ import annotations

from callbacks.console import _until

CURSOR = {"ids": {"camera": "100-0", "fire": "90-1", "complaint": "0", "workflow": "50-0"}}


def test_console_until001_known_ids_never_behind_the_cursor():
    wake = {
        "n": 3,
        "until": {"camera": "120-0", "fire": "80-0", "complaint": "95-2", "workflow": "50-0", "traffic": "9"},
    }
    assert _until(wake, CURSOR) == {"camera": "120-0", "fire": "90-1", "complaint": "95-2", "workflow": "50-0"}


def test_console_until002_anything_incomplete_or_odd_reads_to_the_end_unshared():
    assert _until({"n": 1}, CURSOR) is None
    assert _until(1, CURSOR) is None
    assert _until({"until": {"camera": "120-0"}}, CURSOR) is None  # the workflow head is not known yet
    odd = {"until": {"camera": "1-x", "fire": "1", "complaint": "1", "workflow": "1"}}
    assert _until(odd, CURSOR) is None
    assert _until({"until": CURSOR["ids"]}, None) is None
