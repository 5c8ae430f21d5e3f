"""Plausible times and clean text: the event contract's rules, and the readers' guard against older stored rows."""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from data_sources.core.settings import get_settings

log = logging.getLogger(__name__)

# No event of this system happened before 2000: an earlier time is a producer's bug (year 0001, epoch 0).
FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
FLOOR_EPOCH = FLOOR.timestamp()
# ISO 8601 date and time as text: the first 16 characters must read YYYY-MM-DDTHH:MM (or a space for the T).
# Without it a numeric string ("1732350000") would be read as a Unix time in UTC.
ISO_TEXT = r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d"

# Characters no text field may carry: C0 controls, DEL, C1 controls, bidi embeddings/overrides and isolates
# (U+202A-U+202E, U+2066-U+2069: they reorder what an operator reads). Free text may keep tab and newlines.
_BIDI = r"\x{202A}-\x{202E}\x{2066}-\x{2069}"
SINGLE_LINE = rf"^[^\x00-\x1F\x7F-\x9F{_BIDI}]*$"
MULTI_LINE = rf"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F{_BIDI}]*$"
_SINGLE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MULTI_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMES = {0x00: "NUL", 0x09: "TAB", 0x0A: "LF", 0x0D: "CR", 0x1B: "ESC", 0x7F: "DEL", 0x202E: "RIGHT-TO-LEFT OVERRIDE"}

SingleLine = Annotated[str, Field(pattern=SINGLE_LINE)]
Text = Annotated[str, Field(pattern=MULTI_LINE)]


def skew_seconds() -> float:
    """How far ahead of this machine's clock an event time may be (clocks of producers drift)."""
    return get_settings().event_future_skew_seconds


def ceiling(now: float | None = None) -> float:
    """The latest plausible event time (epoch seconds) at `now`."""
    return (time.time() if now is None else now) + skew_seconds()


def _not_ahead(value: datetime) -> datetime:
    # Only times after "now" get here (see _event_time): a clock slightly ahead is tolerated, no more.
    try:
        ahead = value.timestamp() - time.time()
    except (OverflowError, ValueError, OSError):
        ahead = float("inf")
    if ahead > skew_seconds():
        raise PydanticCustomError("time_ahead", "more than {skew:.0f} s ahead of the receiver's clock",
                                  {"skew": skew_seconds()})  # fmt: skip
    return value


def _time_schema(*, future: bool) -> core_schema.CoreSchema:
    """ISO 8601 text with a zone, from 2000 on; with `future` False also not ahead of now + skew.

    The common case costs no Python: pydantic's own "in the past" check passes, and only a time ahead of
    now tries the second branch, whose Python function allows the configured skew.
    """
    aware = {"tz_constraint": "aware", "ge": FLOOR}
    if future:
        plausible = core_schema.datetime_schema(**aware)
    else:
        past = core_schema.datetime_schema(**aware, now_op="past", now_utc_offset=0)
        near = core_schema.no_info_after_validator_function(_not_ahead, core_schema.datetime_schema(**aware))
        plausible = core_schema.union_schema([past, near], mode="left_to_right")
    # A JSON number is refused (strict: text only); the text must start as an ISO date and time.
    iso = core_schema.str_schema(pattern=ISO_TEXT, strict=True)
    text = core_schema.chain_schema([iso, plausible])
    # Our own code builds events from datetime objects (the demo from stored JSON text too), some of them ahead
    # of now on purpose (a complaint's later steps, published when due): the window's upper end is the wire's
    # rule, checked wherever an event is read from JSON (archiver, readers, ingest before it publishes).
    anytime = core_schema.datetime_schema(tz_constraint="aware", ge=FLOOR)
    python = core_schema.union_schema(
        [core_schema.chain_schema([core_schema.is_instance_schema(datetime), anytime]),
         core_schema.chain_schema([iso, anytime])],
        mode="left_to_right",
    )  # fmt: skip
    schema = core_schema.json_or_python_schema(json_schema=text, python_schema=python)
    # One error per bad time, named after the rule; `explain` says which part of it failed, from the value.
    return core_schema.custom_error_schema(
        schema, custom_error_type="implausible_time", custom_error_message="not a plausible event time"
    )


class _Time:
    def __init__(self, *, future: bool) -> None:
        self.future = future

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return _time_schema(future=self.future)

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> dict:
        return {"type": "string", "format": "date-time"}


# When something happened or was produced: not before 2000, not ahead of the receiver's clock (+ skew).
EventTime = Annotated[datetime, _Time(future=False)]
# A time that is meant to lie ahead (a deadline): not before 2000; its horizon is checked by its model.
DueTime = Annotated[datetime, _Time(future=True)]


def _time_reason(value: Any, *, future: bool) -> str:
    if isinstance(value, int | float):  # bool included
        return "must be ISO 8601 text with a time zone, not a number (epoch times are refused)"
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value)
        if not re.match(ISO_TEXT, text):
            return "must be ISO 8601 text with a time zone, e.g. 2026-11-23T08:00:00+07:00"
        try:
            parsed = datetime.fromisoformat(text.replace("t", "T", 1))
        except ValueError:
            return "not a valid ISO 8601 date and time"
    if parsed.tzinfo is None:
        return "Input should have timezone info (ISO 8601 with Z or +07:00)"
    if parsed < FLOOR:
        return "before 2000-01-01: not a plausible event time"
    if not future:
        return f"more than {skew_seconds():.0f} s ahead of the receiver's clock"
    return "not a plausible time"


def _text_reason(value: Any, *, multi: bool) -> str:
    found = (_MULTI_BAD if multi else _SINGLE_BAD).search(str(value))
    if found is None:
        return "contains a character that is not allowed"
    code = ord(found.group())
    name = _NAMES.get(code, "bidi control" if code >= 0x2000 else "control character")
    return f"contains U+{code:04X} ({name}) at position {found.start()}: control and bidi characters are refused"


def explain(err: dict) -> str:
    """A readable reason for one pydantic error (time and text rules explained from the refused value)."""
    if err["type"] == "implausible_time":
        return _time_reason(err.get("input"), future=err["loc"][-1:] == ("deadline",))
    if err["type"] == "string_pattern_mismatch" and (err.get("ctx") or {}).get("pattern") in (SINGLE_LINE, MULTI_LINE):
        return _text_reason(err.get("input"), multi=err["ctx"]["pattern"] == MULTI_LINE)
    return err["msg"]


def clean_text(value: str, *, multi: bool = False) -> str:
    """Text from a real feed with the refused characters removed (our adapters clean; the contract refuses)."""
    return (_MULTI_BAD if multi else _SINGLE_BAD).sub("" if multi else " ", value).strip()


# ---------------------------------------------------------------- readers: rows stored before the contract


def plausible_epoch(ts: Any, *, now: float | None = None) -> bool:
    """Whether an epoch time read back from storage is one the contract would accept today."""
    return isinstance(ts, int | float) and FLOOR_EPOCH <= ts <= ceiling(now)


def epoch_of(value: Any) -> float | None:
    """Epoch seconds of a stored ISO time (or a number), None when it cannot be one (year 0, 9999+, garbage)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(value).timestamp()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class SkipCounter:
    """Counts rows a reader skipped because a writer stored what the contract now refuses (a Redis hash per
    reader, `<prefix>implausible:counts`), with at most one log line a minute per reader."""

    def __init__(self) -> None:
        self._logged: dict[str, float] = {}

    def note(self, r, key: str, where: str, n: int, example: str = "") -> None:
        if n <= 0:
            return
        try:
            r.hincrby(key, where, n)
        except Exception as exc:  # counting must never break the read it reports on
            log.debug("could not count skipped rows: %s", exc)
        last = self._logged.get(where, 0.0)
        if time.monotonic() - last > 60:
            self._logged[where] = time.monotonic()
            log.warning("%s: skipped %d stored row(s) with an implausible time or shape %s", where, n, example[:120])


SKIPPED = SkipCounter()
