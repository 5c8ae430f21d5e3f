"""Strict validation and one canonical spelling of Vietnamese vehicle plates read by cameras.

The PyPI package `biensoxe` would do this, but it requires pydantic < 2 and cannot be installed next to the
app's pydantic 2, so this module holds the rules it encodes (Circulars 15/2014, 58/2020, 24/2023 of the
Ministry of Public Security) for the plate kinds a city camera meets.
"""

from __future__ import annotations

import re

# Letters the series may use: I, J, O, Q, R and W are not issued to civilian series (O/Q read as 0, I/J as 1).
_L = "A-HK-NPS-VXYZ"
_HEAD = re.compile(
    r"^(?P<loc>1[1-9]|[2-9]\d)"  # province code 11–99 (75 = Huế)
    r"(?P<series>"
    rf"[{_L}][{_L}]?"  # cars A, LD, KT… and 50 cc motorbikes AA…
    rf"|[{_L}][1-9]"  # motorbikes B1, A9…
    r"|MĐ[1-9]?"  # electric motorbikes
    r"|NG|QT|NN|CV"  # diplomatic and foreign
    r")$"
)
# The order is the trailing 4–5 digits ("123.45" or "1234"); the shortest head wins, so without separators
# "75B11234" reads as car 75B-112.34 — a separator ("75B1-1234") is what tells a motorbike's 4-digit order.
_SPLIT = re.compile(r"^(?P<head>.+?)[\s\-_·]*(?P<order>\d{3}\.\d{2}|\d{4,5})$")
_SEPARATORS = re.compile(r"[\s.\-_·]+")
_CUT = re.compile(r"[\s.\-_·]\d$")


def normalise_plate(raw: object) -> str | None:
    """The plate in one canonical spelling ("75A-123.45", "75B1-123.45", "75A-1234"), or None if not valid."""
    if not isinstance(raw, str) or len(raw) > 24:
        return None
    text = raw.strip().upper().replace("Ð", "Đ")  # the Icelandic eth looks the same on a plate
    split = _SPLIT.match(text)
    # A head ending in a separator and one digit ("75A-1" of "75A-123456") is an order cut in two, not a series.
    m = split and not _CUT.search(split["head"]) and _HEAD.match(_SEPARATORS.sub("", split["head"]))
    if not m:
        return None
    order = split["order"].replace(".", "")
    if set(order) == {"0"}:  # 000.00 is never issued; it is what a blurred plate reads as
        return None
    if len(order) == 5:
        order = f"{order[:3]}.{order[3:]}"
    return f"{m['loc']}{m['series']}-{order}"
