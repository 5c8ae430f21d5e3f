"""The app-wide callback error handler: server outages keep the screen, every other error stays a loud 500."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import exc as sa_exc

from ui.outage import on_callback_error


def test_out001_a_bug_is_raised_again_not_hidden():
    bug = KeyError("segment_id")
    with pytest.raises(KeyError):
        on_callback_error(bug)


@pytest.mark.parametrize(
    "error",
    [
        sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused")),
        redis.ConnectionError("Error 111 connecting"),
        redis.TimeoutError("Timeout reading"),
    ],
)
def test_out002_an_outage_leaves_outputs_alone_and_raises_the_banner(error, monkeypatch):
    shown = {}
    monkeypatch.setattr("ui.outage.set_props", lambda component, props: shown.update({component: props}))
    monkeypatch.setattr("ui.outage.pick_language", lambda: "en")
    assert on_callback_error(error) is None  # Dash turns None into no_update for every output
    (banner,) = shown.values()
    assert banner["className"] == "banner banner-down"
    assert "unreachable" in banner["children"][0].children
