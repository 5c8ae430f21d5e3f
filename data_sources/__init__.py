"""Data layer of the Huế IOC dashboard: settings, Redis streams, PostgreSQL history (never imports dash)."""
