"""CI smoke of the load bench: bench/load.py for one minute with a few viewers against the Procfile's processes.

No timing is asserted (benches print figures; tests check behaviour): no errors, and pushes reached walls and
consoles, which then pulled.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_load001_one_minute_smoke(live_env, tmp_path):
    """20 viewers (10 walls, 10 consoles), ~1 minute (45 s measured after the ramp), feed at ~50 events/s:
    0 errors, and pushes arrive."""
    out = tmp_path / "load.json"
    cmd = [
        sys.executable, str(ROOT / "bench" / "load.py"), "--viewers", "20", "--seconds", "45", "--spawn-rate", "10",
        "--database-url", live_env["DATABASE_URL"], "--redis-url", live_env["REDIS_URL"], "--json", str(out),
        "--log-dir", str(tmp_path / "logs"),
    ]  # fmt: skip
    # The bench stops its own processes (bench/deploy.py) whatever happens; the timeout bounds the test.
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=150)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["walls"] == 10 and figures["consoles"] == 10
    assert figures["feed_events_per_s"] > 20, figures
    messages = figures["messages"]
    for page in ("wall", "console"):
        pushed = sum(n for name, n in messages.items() if name.split()[0] == page and name.split()[1] != "ping")
        assert pushed > 10 * 20, (page, messages)  # 10 viewers each woken many times in a minute
        assert figures["push_ms_by_page"][page][2] > 0, figures["push_ms_by_page"]
    assert messages.get("console pull", 0) > 0
    # Walls take ready-made updates or pull; either way they moved on.
    assert messages.get("wall pull", 0) + messages.get("wall applied", 0) > 10 * 20
    assert {"cb wall-health", "cb console-banner", "cb console-cursor"} <= set(figures["callbacks"])
