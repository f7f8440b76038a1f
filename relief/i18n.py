"""Locale choice: ?lang= switches and is remembered in a cookie and on the user."""
from __future__ import annotations

import contextvars

from babel import Locale
from flask import Flask, before_render_template, current_app, g, has_request_context, request, template_rendered
from flask_babel import get_translations
from flask_login import current_user

COOKIE = "relief_lang"
#: what the <html lang> attribute says for each locale
HTML_LANG = {"zh_Hans_CN": "zh-CN", "en": "en"}


def select_locale() -> Locale:
    return _locale(_chosen_locale())


_LOCALES: dict[str, Locale] = {}


def _locale(name: str) -> Locale:
    """The babel Locale of a name, made once: Flask-Babel would parse the name again on every
    request (and babel looks for its data file on disk each time)."""
    found = _LOCALES.get(name)
    if found is None:
        found = _LOCALES[name] = Locale.parse(name)
    return found


def _chosen_locale() -> str:
    locales = current_app.config["LOCALES"]
    if not has_request_context():  # command line: the default language
        return current_app.config["DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in locales:
        g.new_locale = chosen
        return chosen
    user = current_user._get_current_object()
    if getattr(user, "is_authenticated", False) and user.locale in locales:
        return user.locale
    cookie = request.cookies.get(COOKIE)
    if cookie in locales:
        return cookie
    return current_app.config["DEFAULT_LOCALE"]


#: (translations, outer) of the template being rendered: looked up once per page, not once per _()
_rendering = contextvars.ContextVar("relief_rendering_translations", default=None)


def _translations():
    current = _rendering.get()
    return current[0] if current else get_translations()


def _install_page_gettext(app: Flask) -> None:
    """Flask-Babel's template gettext finds the request's translations anew for every string;
    a page has dozens. Find them once when a render starts, and forget them when it ends."""
    def start(_sender, **_extra):
        _rendering.set((get_translations(), _rendering.get()))

    def end(_sender, **_extra):
        current = _rendering.get()
        _rendering.set(current[1] if current else None)

    before_render_template.connect(start, app, weak=False)
    template_rendered.connect(end, app, weak=False)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def init_app(app: Flask) -> None:
    _install_page_gettext(app)

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
