"""gunicorn settings of the web process (Procfile `web:`, `manage.py run`): gevent workers, hooks, limits.

gunicorn reads this file by itself when started in the project folder; `-c gunicorn.conf.py` says so anyway.
Every value here can be overridden on the command line or through the environment variables named below.
"""

import os
import sys

# The wall and console each hold a Server-Sent-Events stream open (/wall/push) for as long as they are on
# screen: a thread per stream (gthread) runs out at a few dozen viewers, a greenlet per stream does not.
worker_class = os.environ.get("WEB_WORKER_CLASS", "gevent")

if worker_class == "gevent":
    # Patch before anything else is imported in the master, so nothing it hands to workers holds an unpatched
    # lock or socket. psycopg chooses its wait function when first imported: it takes the cooperative one
    # only if `select` is already patched, which is why no project module may be imported above this line.
    from gevent import monkey

    monkey.patch_all()

# Display tokens (/wall?token=...) never reach a log line in clear: the access log, the error log and the app's own
# lines are redacted where records are made. Imported after the gevent patch; it imports nothing but logging.
# This file's folder is the project: importable even when gunicorn is started from elsewhere (--chdir comes later).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server import logredact  # noqa: E402

logredact.install()

bind = [f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8050')}"]
# Two processes use both cores of the machines measured on (bench/load.py); WEB_CONCURRENCY scales it.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Open push streams and requests in flight per worker; 200 viewers over 2 workers is ~200 each.
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", "1000"))
threads = int(os.environ.get("WEB_THREADS", "16"))  # only for WEB_WORKER_CLASS=gthread
# Push streams end by themselves every 5 minutes (server/push.py); a restart need not wait for that.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "5"))
timeout = 30
# Idle keep-alive connections stay open this long. A greenlet each costs little, and a client (a browser, a
# proxy's upstream pool) that reuses a connection the server is just closing sees a failed request: a reverse
# proxy in front should time its idle upstream connections out sooner (nginx: 60 s) than this.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
# gunicorn 27 opens a control socket under ~/.gunicorn by default; nothing here uses it.
control_socket_disable = True
accesslog = os.environ.get("WEB_ACCESS_LOG") or None  # "-" for stdout
# The usual combined format plus which worker answered and how long it took (ms).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" pid=%(p)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "info")
wsgi_app = "app:server"


def post_worker_init(worker) -> None:
    """Import the app and finish Dash's first-request setup in each worker before it takes any request.

    Dash 4 builds its script registry on a worker's first request and flags it done before it is: with
    concurrent requests (gevent, gthread), a page's parallel script requests then fail with "dash is not a
    registered library". Doing it here, once, avoids that race; it also makes a broken import fail the
    worker at start rather than on the first viewer.
    """
    from app import app
    from server.dash_adapter import finish_setup

    finish_setup(app)
    if worker_class == "gevent":
        _argon2_off_the_hub()
        import psycopg.waiting

        # wait_c blocks the whole worker in C while PostgreSQL answers; see the patching note above.
        if psycopg.waiting.wait is getattr(psycopg.waiting, "wait_c", None):
            worker.log.error("psycopg imported before gevent patching: queries will block every viewer")


def _argon2_off_the_hub() -> None:
    """Run argon2 (sign-in, ~50 ms of C per password, seconds on a busy machine) in gevent's thread pool.

    A greenlet worker runs every request on one thread: a password check there stalls every push stream and
    callback of the worker for as long as it takes, and the stall trips other requests' PostgreSQL connect
    timeouts. argon2-cffi releases the GIL while it hashes, so in a real thread it costs only its own CPU, as
    it did under gthread. Done here because only the gevent deployment needs it.
    """
    from argon2 import PasswordHasher
    from gevent import get_hub

    def off_hub(method):
        def run(self, *args, **kwargs):
            return get_hub().threadpool.apply(method, (self, *args), kwargs)

        return run

    PasswordHasher.verify = off_hub(PasswordHasher.verify)
    PasswordHasher.hash = off_hub(PasswordHasher.hash)
