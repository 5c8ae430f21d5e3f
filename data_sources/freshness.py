"""Pure rules of source health: a stream's own data time, its producers' liveness and the history load -> a state.

States (docs/operations.md "Source health"):
- ``down``    a producer says it cannot reach its source, or every liveness report of the stream expired (the
              producer stopped), or nobody reports and the stream never had data;
- ``late``    the source should have spoken: its newest data is older than the stream's expected cadence;
- ``quiet``   alive, nothing new lately, within the cadence: healthy, never shown red;
- ``ok``      alive with recent data;
- ``loading`` the first history load is running and the stream would otherwise read down or late.
"""

from __future__ import annotations

from dataclasses import dataclass

STATES = ("ok", "quiet", "late", "down", "loading")
# States the overview and the wall show without alarm; `late` and `down` count as degraded.
HEALTHY = frozenset({"ok", "quiet", "loading"})
# A progress record not updated for this long belongs to a backfill that died: history is no longer "loading".
PROGRESS_STALE_SECONDS = 300.0
# After the backfill ends, the live feed starts (manage.py run): a few seconds in which no producer has reported
# yet. Still "loading" then, rather than a flash of every source down.
PROGRESS_SETTLE_SECONDS = 30.0


@dataclass(frozen=True)
class Rule:
    """What a stream is expected to do: speak at least every `cadence_s` (0: only when something happens)."""

    cadence_s: float
    recent_s: float  # newest data younger than this reads "ok", older (and not late) "quiet"


def rules(settings) -> dict[str, Rule]:
    """The per-stream rules from the settings (CADENCE_*_SECONDS, LIVENESS_RECENT_SECONDS)."""
    recent = settings.liveness_recent_seconds
    return {
        "camera": Rule(settings.cadence_camera_seconds, recent),
        "traffic": Rule(settings.cadence_traffic_seconds, recent),
        "fire": Rule(settings.cadence_fire_seconds, recent),
        "complaint": Rule(settings.cadence_complaint_seconds, recent),
    }


def liveness_of(reports: list[dict], now: float) -> tuple[str, dict | None]:
    """'alive', 'down', 'expired' or 'unreported' from one stream's producer reports, and the report that decided.

    One producer alive is enough (two adapters may feed one stream); a report counts until `at + ttl`.
    """
    fresh = [p for p in reports if now <= p["at"] + p["ttl"]]
    alive = [p for p in fresh if p["status"] == "ok"]
    if alive:
        return "alive", max(alive, key=lambda p: p["at"])
    if fresh:
        return "down", max(fresh, key=lambda p: p["at"])
    if reports:
        return "expired", max(reports, key=lambda p: p["at"])
    return "unreported", None


def judge(*, data_at: float | None, reports: list[dict], rule: Rule, now: float, loading: bool = False) -> dict:
    """One stream's health: state, why, data age and who reported; the JSON /healthz and the pages show."""
    live, decided = liveness_of(reports, now)
    age = None if data_at is None else max(0.0, now - data_at)
    reason = ""
    if live == "down":
        state, reason = "down", "source_down"
    elif live == "expired":
        state, reason = "down", "liveness_expired"
    elif live == "unreported" and data_at is None:
        state, reason = "down", "no_source"
    else:
        # A source that just came up has one cadence to speak before it is late; without a reporter, only the
        # data's own time counts (an unreported event-driven stream can never be told quiet from dead: it reads
        # quiet, and docs/operations.md asks such producers to report liveness).
        since = decided.get("since") if decided else None
        marks = [x for x in (data_at, since) if x is not None]
        if rule.cadence_s and marks and now - max(marks) > rule.cadence_s:
            state, reason = "late", "late_for_cadence"
        elif age is not None and age <= rule.recent_s:
            state = "ok"
        else:
            state, reason = "quiet", "no_new_data"
    if loading and state in ("down", "late"):
        state, reason = "loading", "history_loading"
    return {
        "state": state,
        "reason": reason,
        "data_at": data_at,
        "data_age_seconds": None if age is None else round(age, 1),
        "liveness": live,
        "producer": decided.get("producer") if decided else None,
        "detail": decided.get("detail", "") if decided else "",
        "last_ok": decided.get("last_ok") if decided else None,
        "cadence_seconds": rule.cadence_s,
    }


def loading(progress: dict | None, now: float) -> dict | None:
    """The history load in progress ({phase, percent, started}), or None when none runs (or it died)."""
    if not progress:
        return None
    updated = progress.get("updated")
    limit = PROGRESS_SETTLE_SECONDS if progress.get("phase") == "done" else PROGRESS_STALE_SECONDS
    if not isinstance(updated, int | float) or now - updated > limit:
        return None
    done, total = progress.get("done") or 0, progress.get("total") or 0
    percent = max(0.0, min(100.0, 100.0 * done / total)) if total else 0.0
    return {
        "phase": progress.get("phase") or "history",
        "percent": round(percent, 1),
        "started": progress.get("started"),
    }


def overall(*, redis_ok: bool, postgres_ok: bool, streams: dict[str, dict], load: dict | None) -> tuple[str, list]:
    """(status, degraded parts) of /healthz: down only without Redis (the live path); loading while history loads."""
    if not redis_ok:
        return "down", ["redis"]
    degraded = ([] if postgres_ok else ["postgres"]) + [
        name for name, s in streams.items() if s.get("state") not in HEALTHY
    ]
    if load is not None:
        return "loading", degraded
    return ("degraded" if degraded else "ok"), degraded
