"""The flask-caching object that memoizes data-source functions (bound to the web app in app.py)."""

from flask_caching import Cache

# SimpleCache per worker: history answers are cheap to recompute and must never outlive their timeout
# by much; a shared Redis cache would add a dependency on Redis to pages that only read PostgreSQL.
cache = Cache(config={"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 30})

# Timeouts tied to how fast the underlying data changes.
HISTORY_TIMEOUT = 60
HEALTH_TIMEOUT = 2
