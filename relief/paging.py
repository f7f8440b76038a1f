"""Page numbers from the query string (?page=N) and the lists they page through: the one pager of
every list page (templates/macros/ui.html `pager(page)` shows it).

A page that cannot exist (not a whole number, 0, 10^12, past the last page) is a 404 whose page
says so, never a database error (an offset of 10^20 rows overflows SQLite and PostgreSQL alike),
and never silently the first page.

paginate(stmt)       a select of one ORM entity (Flask-SQLAlchemy's Pagination)
paginate_rows(stmt)  a select of several columns: a count, then one page of rows
paginate_list(rows)  rows already in memory (sorted in Python)
Each answers an object with items, page, per_page and total.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
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


@dataclass
class Page:
    """One page of a list: what paginate_rows and paginate_list answer (the attributes of
    Flask-SQLAlchemy's Pagination that the pager reads)."""

    items: list
    page: int
    per_page: int
    total: int


def paginate_rows(stmt, per_page: int | None = None) -> Page:
    """A page of a select of several columns (rows, not entities), with its total."""
    page, per_page = page_number(), per_page or current_app.config["PER_PAGE"]
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    check_page(page, len(rows), total, per_page)
    return Page(rows, page, per_page, total)


def paginate_list(rows: list, per_page: int | None = None) -> Page:
    """A page of rows already in memory."""
    page, per_page = page_number(), per_page or current_app.config["PER_PAGE"]
    shown = rows[(page - 1) * per_page: page * per_page]
    check_page(page, len(shown), len(rows), per_page)
    return Page(shown, page, per_page, len(rows))
