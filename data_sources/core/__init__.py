"""Plumbing every process shares: settings, connections, caches, stream keys, servers, group commit."""
