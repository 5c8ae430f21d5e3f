"""gunicorn hooks for the wall benches: finish Dash's first-request setup before a worker takes requests."""


def post_worker_init(worker) -> None:
    """Dash 4 sets up its script registry on a worker's first request and flags it done before it is: under
    gevent or gthread, the page's parallel script requests then fail with "dash is not a registered library".
    Doing it here, once, before any request, avoids that race (a production Procfile wants the same hook)."""
    from app import app

    with app.server.test_request_context("/"):
        app._setup_server()
