"""Dash entry point: creates the app, its shell and server routes, and exposes `server` for gunicorn."""

from dash import Dash

from callbacks import register_all
from data_sources.core.cache import cache
from data_sources.core.settings import get_settings
from server import auth, boundary, exports, push, routes
from ui import shell
from ui.i18n import pick_language, t
from ui.outage import on_callback_error

settings = get_settings()
app = Dash(
    __name__,
    use_pages=True,
    pages_folder="layouts",
    title=t("app.short", settings.language),
    update_title=None,
    suppress_callback_exceptions=True,
    on_error=on_callback_error,  # a server outage keeps the screen and shows the banner instead of a 500
)
server = app.server
server.secret_key = settings.secret_key
cache.init_app(server)
# A function, so each visit picks its language from the request.
app.layout = lambda: shell.layout(pick_language())
register_all()  # Dash callbacks
for module in (routes, exports, push):  # plain Flask routes: CSV exports, the push (SSE) channel
    module.register(server)
auth.install(app)  # sign-in, the guard on every route and callback, CSRF, security headers
boundary.install(app)  # callback values checked against their type hints: bad input is a 400, never a 500

if __name__ == "__main__":
    app.run(host=settings.host, port=settings.port, debug=False)
