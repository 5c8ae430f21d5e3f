"""Shared Dash UI pieces: component ids, the string catalog and the app shell."""
