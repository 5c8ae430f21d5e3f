"""The background processes (archiver, ingest, demo feed): the web never imports this package."""
