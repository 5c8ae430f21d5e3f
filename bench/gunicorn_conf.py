"""gunicorn hooks for the wall benches: finish Dash's first-request setup before a worker takes requests."""


def post_worker_init(worker) -> None:
    """Dash 4 sets up its script registry on a worker's first request and flags it done before it is: under
    gevent or gthread, the page's parallel script requests then fail with "dash is not a registered library".
    Doing it here, once, before any request, avoids that race (a production Procfile wants the same hook)."""
    from app import app
    from server.dash_adapter import finish_setup

    finish_setup(app)


def post_fork(server, worker) -> None:
    """BENCH_TRACEMALLOC=<file prefix>: each worker writes what grew in its Python heap every 2 minutes (for
    finding a leak the soak's RSS figure shows; off by default, it slows the worker)."""
    import os

    target = os.environ.get("BENCH_TRACEMALLOC")
    if not target:
        return
    import threading
    import time
    import tracemalloc

    tracemalloc.start(10)

    def dump() -> None:
        base = None
        while True:
            time.sleep(120)
            snap = tracemalloc.take_snapshot()
            if base is not None:
                with open(f"{target}.{os.getpid()}", "a") as out:
                    out.write(f"--- {time.strftime('%H:%M:%S')} traced {tracemalloc.get_traced_memory()[0]}\n")
                    for stat in snap.compare_to(base, "traceback")[:6]:
                        out.write(f"{stat}\n" + "".join(f"    {line}\n" for line in stat.traceback.format()[-10:]))
            base = snap

    threading.Thread(target=dump, daemon=True).start()
