"""Page numbers from the query string (?page=N) and the lists they page through.

A page that cannot exist (not a whole number, 0, 10^12, past the last page) is a 404 whose page
says so, never a database error: an offset of 10^20 rows overflows SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from flask import current_app, request
from flask_babel import gettext as _

from relief.errors import abort_with
from relief.extensions import db

#: no list of a province holds more pages than this
PAGE_MAX = 100_000


def page_number() -> int:
    """?page=N as a whole number from 1 to PAGE_MAX; 1 when absent; anything else is a 404."""
    raw = (request.args.get("page") or "").strip()
    if not raw:
        return 1
    if raw.isdecimal() and len(raw) <= 6 and 1 <= int(raw) <= PAGE_MAX:
        return int(raw)
    abort_with(404, _("页码“%(raw)s”无效：页码应为 1 到 %(max)d 之间的整数，请从第 1 页开始",
                      raw=raw[:20], max=PAGE_MAX))


def check_page(page: int, shown: int, total: int | None = None, per_page: int | None = None) -> None:
    """A page past the last one is a 404 that names how many pages there are."""
    if page > 1 and shown == 0:
        per_page = per_page or current_app.config["PER_PAGE"]
        pages = -(-total // per_page) if total is not None else None
        if pages:
            abort_with(404, _("没有第 %(n)d 页：共 %(pages)d 页", n=page, pages=pages))
        abort_with(404, _("没有第 %(n)d 页：列表为空，请从第 1 页开始", n=page))


def paginate(stmt, per_page: int | None = None, count: bool = True):
    """db.paginate with the page number checked first and a 404 past the last page."""
    page, per_page = page_number(), per_page or current_app.config["PER_PAGE"]
    result = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=count)
    check_page(page, len(result.items), result.total, per_page)
    return result
