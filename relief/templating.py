"""Template filters and globals shared by every page."""
from __future__ import annotations

from urllib.parse import quote_plus

from flask import Flask, current_app, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from relief.dates import to_cst
from relief.ids import mask_id, mask_phone
from relief.rates import percent_text
from relief.targets import BAND_LABELS
from relief.visits import offline

ALL = ("admin", "leader", "cadre", "inspector")
#: the navigation: (endpoint, label, roles); entries whose endpoint is not registered are skipped
NAV = [
    ("main.home", _l("首页"), ALL),
    ("dashboard.index", _l("工作看板"), ("admin", "leader", "inspector")),
    ("maps.index", _l("地图"), ("admin", "leader", "inspector")),
    ("households.index", _l("帮扶户"), ALL),
    ("villages.index", _l("村庄"), ALL),
    ("projects.index", _l("项目"), ALL),
    ("cadres.index", _l("干部"), ("admin", "leader", "inspector")),
    ("pairings.index", _l("结对管理"), ("admin", "leader", "inspector")),
    ("demands.index", _l("诉求"), ALL),
    ("monitoring.index", _l("防返贫监测"), ALL),
    ("visits.holidays", _l("节日慰问"), ALL),
    ("imports.index", _l("导入"), ("admin",)),
    ("exports.index", _l("导出"), ("admin", "leader")),
    ("flags.index", _l("疑点"), ("admin", "inspector")),
    ("callbacks.index", _l("回访"), ("admin", "leader", "inspector")),
    ("records.index", _l("实绩"), ALL),
    ("audit.index", _l("审计"), ("admin", "inspector")),
    ("users.index", _l("用户"), ("admin",)),
]


def init_app(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["mask_id"] = mask_id
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["cst"] = lambda ts: to_cst(ts).strftime("%Y-%m-%d %H:%M") if ts else ""
    app.jinja_env.globals["band_labels"] = BAND_LABELS
    app.jinja_env.globals["percent_text"] = percent_text

    app.jinja_env.globals["menu"] = menu
    app.jinja_env.globals["kept_part"] = kept_part

    @app.context_processor
    def navigation():
        return {"endpoints": current_app.view_functions}


#: whole pages kept by render_kept, per process (each ~20-60 KB)
KEPT_PAGES = 512
#: what stands in a kept page for the request's CSRF token (see render_kept)
TOKEN = "relief-csrf-token-of-this-request"


def render_kept(template: str, content: Markup, **context) -> str:
    """`render_template(template, content=content, **context)` for a page whose body is kept
    (relief.cache.cached_html). While the kept body is the same, the page around it (base.html:
    the menu, the user's name, offline.js's settings, which name the release and its static
    files) is the same for the same user, language and address, so the whole page is kept too.
    The CSRF token is put in on each request, signed anew as on every other page (a token that
    stays the same on a compressed page would let BREACH read it). `context` holds only what the
    title and heading show (strings, numbers, or rows with an id and a name). A page with
    messages to flash is rendered as usual (rendering them takes them from the session)."""
    user = current_user._get_current_object()
    if "_flashes" in session or not getattr(user, "is_authenticated", False):
        return render_template(template, content=content, **context)
    shown = tuple(sorted((name, (type(value).__name__, value.id, value.name) if hasattr(value, "id") else value)
                         for name, value in context.items()))
    key = (template, content, shown, user.id, user.username, user.role, str(get_locale()), request.script_root,
           request.full_path, request.endpoint, str(offline.page_config_json(user)))
    kept = current_app.extensions.setdefault("relief_kept_pages", {})
    page = kept.get(key)
    if page is None:
        if len(kept) >= KEPT_PAGES:
            kept.clear()
        page = kept[key] = render_template(template, content=content, csrf_token=lambda: TOKEN, **context)
    return page.replace(TOKEN, generate_csrf())


def menu(role: str) -> list[tuple[str, str, str]]:
    """The menu of a role as (endpoint, url, label), built once per role and language."""
    key = (role, str(get_locale()), request.script_root)
    built = current_app.extensions.setdefault("relief_menus", {})
    items = built.get(key)
    if items is None:
        endpoints = current_app.view_functions
        items = built[key] = [(endpoint, url_for(endpoint), str(label)) for endpoint, label, roles in NAV
                              if role in roles and endpoint in endpoints]
    return items


#: what stands in a kept part for the address of the page being shown (see kept_part)
HERE = "\x00here\x00"


def kept_part(name: str, **varies) -> Markup:
    """A piece of base.html (templates/partials/NAME.html) that is the same HTML on every page with
    the same language, URL root and `varies` (passed to it as its only variables): rendered once
    per app and kept, not rendered on every page. Where the piece names the page's own address
    (`page_address`: a sign-in link back to it), the address is put in on each request."""
    key = (name, str(get_locale()), request.script_root, *sorted(varies.items()))
    known = current_app.extensions.setdefault("relief_parts", {})
    html = known.get(key)
    if html is None:
        html = known[key] = render_template(f"partials/{name}.html", page_address=HERE, **varies)
    if HERE in html:
        # quoted as url_for quotes a query value
        html = html.replace(HERE, str(escape(quote_plus(request.full_path, safe="!$'()*,/:;?@"))))
    return Markup(html)
