"""Serve the real app for the fault tests: werkzeug, threaded, every request and exception logged to stderr."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from app import app

    # Dash's first-request setup, done once before requests arrive in parallel (as bench/gunicorn_conf.py).
    with app.server.test_request_context("/"):
        app._setup_server()
    app.server.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
