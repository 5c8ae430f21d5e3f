"""Adapters that turn real feeds (FIRMS, Open311, Frigate, TomTom, HERE) into events on the Redis streams."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

# CLI format name -> module; each module has ingest(doc, sink) and follow(sink, url=, stop=, max_polls=).
FORMATS = {
    "firms": "firms",
    "open311": "open311",
    "frigate": "frigate",
    "tomtom": "traffic_flow",
    "here": "traffic_flow",
}


def module_for(fmt: str) -> ModuleType:
    """The adapter module of a format; TomTom and HERE share one and are told apart by the format name."""
    module = import_module(f"pipeline.ingest.{FORMATS[fmt]}")
    return getattr(module, fmt) if FORMATS[fmt] == "traffic_flow" else module
