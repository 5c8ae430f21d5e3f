"""The one place that reaches into psycopg internals: each use named and pinned by tests/unit/test_psycopg_adapter.py.

psycopg 3.3.9 exports no way to turn rows into binary COPY data without a connection: the archiver's workers
build COPY bodies apart from the connection that sends them (pipeline.facts.copy_body), with the very C
formatter that `Copy.write_row` calls. An upgrade that moves or changes it fails that test.
"""

from __future__ import annotations

from psycopg._copy_base import format_row_binary

# The psycopg release this wrapper was written against (requirements.txt pins the same).
PSYCOPG_VERSION = "3.3.9"

__all__ = ["PSYCOPG_VERSION", "format_row_binary"]
