"""Locale choice: ?lang= switches and is remembered in a cookie and on the user."""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, request
from flask_login import current_user

COOKIE = "relief_lang"
#: what the <html lang> attribute says for each locale
HTML_LANG = {"zh_Hans_CN": "zh-CN", "en": "en"}


def select_locale() -> str:
    locales = current_app.config["LOCALES"]
    if not has_request_context():  # command line: the default language
        return current_app.config["DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in locales:
        g.new_locale = chosen
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.locale in locales:
        return current_user.locale
    cookie = request.cookies.get(COOKIE)
    if cookie in locales:
        return cookie
    return current_app.config["DEFAULT_LOCALE"]


def init_app(app: Flask) -> None:
    @app.after_request
    def remember_locale(response):
        chosen = g.get("new_locale")
        if chosen:
            response.set_cookie(COOKIE, chosen, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response

    @app.context_processor
    def locale_helpers():
        from flask_babel import get_locale

        loc = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {"html_lang": HTML_LANG.get(loc, "zh-CN"), "current_locale": loc}
