"""The plain-Flask pages outside Dash: sign-in, access denied, invalid display token and service unavailable."""

from __future__ import annotations

from flask import render_template_string
from flask_wtf.csrf import generate_csrf

from ui.i18n import t

# Jinja autoescapes everything rendered through render_template_string: no value below is ever raw HTML.
_PAGE = """<!doctype html>
<html lang="{{ lang }}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>{{ heading }} · {{ short }}</title>
  <link rel="stylesheet" href="/assets/style.css">
  <link rel="stylesheet" href="/assets/signin.css">
</head>
<body class="signin-body">
  <main class="signin-card">
    <div class="brand signin-brand"><span class="brand-mark">IOC</span><span>{{ app_title }}</span></div>
    <div class="lang-switch signin-lang">
      <a class="lang{% if lang == 'vi' %} active{% endif %}" href="/lang/vi" id="lang-vi">VI</a>
      <a class="lang{% if lang == 'en' %} active{% endif %}" href="/lang/en" id="lang-en">EN</a>
    </div>
    <h1>{{ heading }}</h1>
    {% if message %}
    <p class="signin-message signin-{{ tone }}" role="alert" id="signin-message">{{ message }}</p>
    {% endif %}
    {% if form %}
    <form method="post" action="/login{% if next %}?next={{ next | urlencode }}{% endif %}" id="signin-form">
      <input type="hidden" name="csrf_token" value="{{ csrf }}">
      <label for="username">{{ t_username }}</label>
      <input id="username" name="username" autocomplete="username" autocapitalize="none" spellcheck="false"
             required maxlength="64" value="{{ username }}" autofocus>
      <label for="password">{{ t_password }}</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
      <button type="submit" id="signin-submit">{{ t_submit }}</button>
    </form>
    {% endif %}
    {% if home %}<p><a href="{{ home }}" id="signin-home">{{ t_home }}</a></p>{% endif %}
    <p class="muted small signin-notice">{{ notice }}</p>
  </main>
</body>
</html>"""


def render_page(
    lang: str,
    *,
    heading_key: str = "auth.title",
    message: str | None = None,
    tone: str = "error",
    form: bool = True,
    username: str = "",
    next_path: str | None = None,
    home: str | None = None,
    home_key: str = "auth.back_home",
) -> str:
    """One standalone HTML page: the sign-in form, or a message with a link (home, or `home_key`'s text)."""
    return render_template_string(
        _PAGE,
        lang=lang,
        heading=t(heading_key, lang),
        short=t("app.short", lang),
        app_title=t("app.title", lang),
        message=message,
        tone=tone,
        form=form,
        csrf=generate_csrf() if form else "",
        username=username,
        next=next_path,
        home=home,
        t_username=t("auth.username", lang),
        t_password=t("auth.password", lang),
        t_submit=t("auth.submit", lang),
        t_home=t(home_key, lang),
        notice=t("auth.notice", lang),
    )
