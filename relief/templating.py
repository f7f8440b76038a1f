"""Template filters and globals shared by every page."""
from __future__ import annotations

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from relief.dates import to_cst
from relief.ids import mask_id, mask_phone
from relief.rates import percent_text
from relief.targets import BAND_LABELS

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

    @app.context_processor
    def navigation():
        endpoints = current_app.view_functions
        return {"nav_items": [item for item in NAV if item[0] in endpoints], "endpoints": endpoints}


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
