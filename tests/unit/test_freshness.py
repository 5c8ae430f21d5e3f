"""Source health rules (data_sources.freshness) and the overview cards built from them: pure, no servers."""

from __future__ import annotations

from data_sources import freshness as f
from ui.home_cards import build_cards

NOW = 1_800_000_000.0
TRAFFIC = f.Rule(cadence_s=600, recent_s=300)
CAMERA = f.Rule(cadence_s=0, recent_s=300)


def alive(at: float = NOW - 2, *, since: float = NOW - 3600, ttl: float = 20, status: str = "ok", who: str = "demo"):
    return {"status": status, "at": at, "ttl": ttl, "since": since, "last_ok": at, "producer": who, "detail": ""}


def state(data_at, reports, rule=TRAFFIC, **kw) -> str:
    return f.judge(data_at=data_at, reports=reports, rule=rule, now=NOW, **kw)["state"]


def test_fr001_alive_source_is_ok_quiet_or_late_by_its_own_cadence():
    assert state(NOW - 10, [alive()]) == "ok"
    assert state(NOW - 400, [alive()]) == "quiet"  # nothing new for 7 min: healthy for a 10-min cadence
    assert state(NOW - 700, [alive()]) == "late"
    # An event-driven stream (cameras alert only on a detection) is never late, however long it is quiet.
    assert state(NOW - 7 * 86400, [alive()], rule=CAMERA) == "quiet"
    assert state(None, [alive()], rule=CAMERA) == "quiet"


def test_fr002_a_source_that_just_came_up_has_one_cadence_to_speak():
    assert state(None, [alive(since=NOW - 60)]) == "quiet"
    assert state(None, [alive(since=NOW - 601)]) == "late"
    assert state(NOW - 3 * 86400, [alive(since=NOW - 60)]) == "quiet"  # old history, a fresh start


def test_fr003_down_when_the_adapter_says_so_or_its_reports_stop_even_with_fresh_looking_data():
    judged = f.judge(data_at=NOW - 1, reports=[alive(status="down")], rule=TRAFFIC, now=NOW)
    assert (judged["state"], judged["reason"], judged["liveness"]) == ("down", "source_down", "down")
    # The producer stopped reporting 30 s ago (ttl 20 s): data re-sent meanwhile cannot make it look alive.
    judged = f.judge(data_at=NOW - 1, reports=[alive(at=NOW - 30)], rule=TRAFFIC, now=NOW)
    assert (judged["state"], judged["reason"]) == ("down", "liveness_expired")


def test_fr004_one_live_producer_of_a_stream_is_enough():
    reports = [alive(status="down", who="tomtom"), alive(who="here")]
    judged = f.judge(data_at=NOW - 5, reports=reports, rule=TRAFFIC, now=NOW)
    assert judged["state"] == "ok" and judged["producer"] == "here"


def test_fr005_a_stream_nobody_reports_for_is_judged_on_its_data_alone():
    assert state(NOW - 5, []) == "ok"
    assert state(NOW - 400, []) == "quiet"
    assert state(NOW - 700, []) == "late"
    assert state(NOW - 86400, [], rule=CAMERA) == "quiet"
    judged = f.judge(data_at=None, reports=[], rule=TRAFFIC, now=NOW)
    assert (judged["state"], judged["reason"], judged["liveness"]) == ("down", "no_source", "unreported")


def test_fr006_while_history_loads_down_and_late_read_loading_and_healthy_states_stay():
    assert state(None, [], loading=True) == "loading"
    assert state(NOW - 700, [alive()], loading=True) == "loading"
    assert state(NOW - 5, [alive()], loading=True) == "ok"


def test_fr007_progress_is_loading_until_done_or_until_the_backfill_died():
    running = {"phase": "history", "done": 8, "total": 33, "started": NOW - 60, "updated": NOW - 5}
    assert f.loading(running, NOW) == {"phase": "history", "percent": 24.2, "started": NOW - 60}
    # Done: loading for the few seconds the live feed needs to start and report, then not.
    assert f.loading({**running, "phase": "done", "done": 33}, NOW)["percent"] == 100.0
    assert f.loading({**running, "phase": "done", "updated": NOW - f.PROGRESS_SETTLE_SECONDS - 1}, NOW) is None
    assert f.loading({**running, "updated": NOW - f.PROGRESS_STALE_SECONDS - 1}, NOW) is None
    assert f.loading(None, NOW) is None
    assert f.loading({**running, "total": 0}, NOW)["percent"] == 0.0


def test_fr008_overall_status_is_down_only_without_redis():
    good = {"camera": {"state": "quiet"}, "traffic": {"state": "ok"}}
    assert f.overall(redis_ok=True, postgres_ok=True, streams=good, load=None) == ("ok", [])
    assert f.overall(redis_ok=True, postgres_ok=False, streams=good, load=None) == ("degraded", ["postgres"])
    late = {**good, "fire": {"state": "late"}, "complaint": {"state": "down"}}
    assert f.overall(redis_ok=True, postgres_ok=True, streams=late, load=None) == ("degraded", ["fire", "complaint"])
    assert f.overall(redis_ok=False, postgres_ok=True, streams=good, load=None) == ("down", ["redis"])
    assert f.overall(redis_ok=True, postgres_ok=True, streams=good, load={"percent": 3})[0] == "loading"


def _report(states: dict[str, str], *, loading=None) -> dict:
    streams = {
        name: {"state": s, "data_age_seconds": 7200.0, "liveness": "alive", "cadence_seconds": 0, "length": 3}
        for name, s in states.items()
    }
    return {
        "loading": loading,
        "checked_at": NOW,
        "redis": {"ok": True, "streams": streams, "state": {}},
        "postgres": {"ok": True, "history": {}},
    }


def test_fr009_overview_card_shows_a_quiet_source_as_quiet_not_down():
    states = {"camera": "quiet", "traffic": "ok", "fire": "late", "complaint": "down"}
    cards = build_cards(_report(states), "en")
    shown = {c.id: c.to_plotly_json()["props"]["data-status"] for c in cards[:4]}
    assert shown == {f"home-card-{name}": s for name, s in states.items()}
    text = str(cards[0].to_plotly_json())
    assert "Only when something happens" in text and "Source reports itself alive" in text and "2 h ago" in text


def test_fr010_overview_says_history_is_loading_with_progress_not_zero_days():
    states = dict.fromkeys(("camera", "traffic", "fire", "complaint"), "loading")
    cards = build_cards(_report(states, loading={"percent": 42.0, "phase": "history"}), "vi")
    text = str([c.to_plotly_json() for c in cards])
    assert "đang nạp (42 %)" in text and "0 ngày" not in text and "Mất kết nối" not in text
    assert {c.to_plotly_json()["props"]["data-status"] for c in cards[:4]} == {"loading"}
