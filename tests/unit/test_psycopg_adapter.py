"""pipeline.psycopg_adapter, the one user of psycopg internals: pinned to the release, the formatter still
writes the binary COPY row format PostgreSQL documents."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import psycopg
from psycopg.adapt import Transformer
from psycopg.pq import Format

from pipeline import psycopg_adapter

ROOT = Path(__file__).resolve().parents[2]
INT4, TEXT = 23, 25


def test_the_adapter_was_written_for_the_installed_and_pinned_psycopg():
    # A new psycopg release: re-read psycopg/_copy_base.py (format_row_binary), adjust the adapter, then the pin.
    pinned = re.search(r"^psycopg(\[[^\]]*\])?==([^\s;#]+)", (ROOT / "requirements.txt").read_text(), re.M)[2]
    assert psycopg.__version__ == psycopg_adapter.PSYCOPG_VERSION == pinned


def test_format_row_binary_writes_one_binary_copy_tuple():
    tx = Transformer()
    tx.set_dumper_types([INT4, TEXT, TEXT], Format.BINARY)
    out = bytearray()
    psycopg_adapter.format_row_binary((7, "Huế", None), tx, out)
    # Field count, then per field its length and bytes; a NULL is length -1 (PostgreSQL's COPY BINARY format).
    word = "Huế".encode()
    assert bytes(out) == struct.pack(f"!hi i i{len(word)}s i", 3, 4, 7, len(word), word, -1)
