"""The pinned direct dependencies and the locked trees agree, so `make` installs what requirements*.txt say."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pins(path: Path) -> dict[str, str]:
    """name -> version of every `name[extras]==version` line (names normalised as pip does)."""
    out = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            out[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[3]
    return out


def test_runtime_pins_are_locked_at_the_same_version_in_both_trees():
    runtime = _pins(ROOT / "requirements.txt")
    for lock in ("requirements.lock", "requirements-dev.lock"):
        locked = _pins(ROOT / lock)
        assert {name: locked.get(name) for name in runtime} == runtime, lock


def test_dev_pins_are_locked_and_stay_out_of_the_runtime_tree():
    dev = _pins(ROOT / "requirements-dev.txt")
    locked = _pins(ROOT / "requirements-dev.lock")
    assert {name: locked.get(name) for name in dev} == dev
    runtime_tree = _pins(ROOT / "requirements.lock")
    # Production installs requirements.lock: no browser driver, test runner or load generator in it.
    assert not {"selenium", "pytest", "locust", "hypothesis", "ruff"} & runtime_tree.keys()
