"""One row per event id: which stream entry first carried each event id, and its newest version, for every reader."""

from __future__ import annotations

import json
from collections.abc import Sequence

import redis

from data_sources.core.settings import get_settings
from data_sources.core.streams import Keys, keys

# Per event (KEYS[i] its record): ARGV[3i-1] the entry id, ARGV[3i] its version (updated_at epoch, "" for
# none), ARGV[3i+1] its public JSON. A record is [entry id, version, public JSON, public JSON it replaced].
# The answer depends on the stream, not on which reader asks first: the entry a record names is shown by
# every reader; another entry of the same id is shown only with a strictly newer version (which then becomes
# the record, keeping the version it replaced so a page can take that row away); anything else is a copy.
_SCRIPT = """
local ttl = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local entry, version, body = ARGV[3 * i - 1], ARGV[3 * i], ARGV[3 * i + 1]
  local held = redis.call('GET', key)
  local ok, h = false, nil
  if held then ok, h = pcall(cjson.decode, held) end
  if not ok or type(h) ~= 'table' then
    redis.call('SET', key, cjson.encode({entry, version, body, ''}), 'EX', ttl)
    out[i] = {1, ''}
  elseif h[1] == entry then
    out[i] = {1, h[4] or ''}
  elseif version ~= '' and (h[2] == '' or tonumber(version) > (tonumber(h[2]) or 0)) then
    redis.call('SET', key, cjson.encode({entry, version, body, h[3] or ''}), 'EX', ttl)
    out[i] = {1, h[3] or ''}
  else
    out[i] = {0, ''}
  end
end
return out
"""


def version_of(event: dict) -> str:
    """The version of an event as the record compares it: its updated_at (epoch seconds), "" when it has none."""
    value = event.get("updated_at")
    return "" if value is None else repr(float(value))


def first_copies(r: redis.Redis, events: Sequence[dict], *, k: Keys | None = None) -> list[dict]:
    """The events of a batch (each with `event_id`, `entry_id`, epoch `updated_at` if versioned) that are not
    copies of one already carried by another entry; each kept one gets `replaces`: the public JSON of the
    version it supersedes ("" when it is the first). Arrival order is kept."""
    if not events:
        return []
    k = k or keys()
    args: list = [get_settings().seen_ttl_seconds]
    for e in events:
        args += [e["entry_id"], version_of(e), json.dumps(_public(e), separators=(",", ":"), sort_keys=True)]
    # register_script only hashes locally: EVALSHA is sent, the body only once per Redis.
    answers = r.register_script(_SCRIPT)(keys=[k.seen(e["event_id"]) for e in events], args=args)
    out = []
    for e, (show, replaces) in zip(events, answers, strict=True):
        if show:
            out.append({**e, "replaces": replaces.decode() if isinstance(replaces, bytes) else replaces})
    return out


def _public(event: dict) -> dict:
    return {key: value for key, value in event.items() if key not in ("stream", "entry_id", "replaces")}


def once_each(r: redis.Redis, events: list[dict], *, streams: Sequence[str], k: Keys | None = None) -> list[dict]:
    """`events` (each with its `stream`) without copies of an event another entry already carried (same id,
    same or older version), whoever re-sent them; only events of `streams` are checked (and get `replaces`)."""
    mine = [e for e in events if e["stream"] in streams]
    if not mine:
        return events
    kept = {(e["stream"], e["entry_id"]): e for e in first_copies(r, mine, k=k)}
    out = []
    for e in events:
        if e["stream"] not in streams:
            out.append(e)
        elif (e["stream"], e["entry_id"]) in kept:
            out.append(kept[(e["stream"], e["entry_id"])])
    return out
