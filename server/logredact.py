"""Secrets out of every log line: the value of any `...token=` in a URL (plain or URL-encoded) is replaced.

A wall signs in with `/wall?token=...` once; gunicorn's access log, werkzeug's request log and any of our own
lines that carry a URL would otherwise keep the display token in clear for anyone who reads the logs. The
redaction runs where log records are made (a record factory), so it covers every logger of the process,
whatever handler or format writes it, and needs no change where lines are logged.
"""

from __future__ import annotations

import logging
import re

MASK = "[redacted]"
# `token=`, `wall_token=`, `access_token=`...: the value runs to the next parameter, quote, space or fragment.
_PLAIN = re.compile(r"(?i)(token=)[^&\s\"'#]+")
# The same inside a URL that is itself a parameter (`/login?next=%2Fwall%3Ftoken%3D...`), once or twice encoded.
_ENCODED = re.compile(r"(?i)(token(?:%3D|%253D))(?:(?!%26|%2526)[^&\s\"'#])+")
_INSTALLED = "_ioc_redacting"


def redact(text: str) -> str:
    """`text` with every token value replaced by MASK."""
    if "token" not in text.lower():
        return text
    return _ENCODED.sub(rf"\1{MASK}", _PLAIN.sub(rf"\1{MASK}", text))


def install() -> None:
    """Redact every log record this process creates from now on (idempotent; forked workers inherit it)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, _INSTALLED, False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if "token" not in f"{record.msg}{record.args}".lower():
            return record
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed format: logging reports it itself when it is emitted
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return record

    setattr(factory, _INSTALLED, True)
    logging.setLogRecordFactory(factory)
