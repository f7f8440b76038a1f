"""Calm error pages, and JSON errors under /api."""
from __future__ import annotations

import errno
import sqlite3

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, default_exceptions


def _messages():
    return {
        400: _("请求无法处理"),
        401: _("请先登录"),
        403: _("您没有权限查看此页面"),
        404: _("找不到该页面或记录"),
        405: _("不支持这种操作"),
        409: _("与已有记录冲突"),
        413: _("上传的文件太大"),
        422: _("提交的内容有误"),
        429: _("尝试次数过多，请稍后再试"),
        500: _("系统出了点问题，我们已记录，请稍后再试"),
        507: _("服务器存储空间已满"),
    }


def disk_full(err: BaseException | None) -> bool:
    """Whether an error, or one it arose from, says the disk is full (SQLite, PostgreSQL, a file)."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        for e in (err, getattr(err, "orig", None)):
            if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
                return True
            if isinstance(e, sqlite3.OperationalError) and "database or disk is full" in str(e):
                return True
            if getattr(e, "sqlstate", None) == "53100":  # PostgreSQL: disk_full
                return True
        err = err.__cause__ or err.__context__
    return False


def _rollback_quietly(app: Flask) -> None:
    """Roll the request's transaction back; when even that fails (the database already rolled it
    back on its own, so the savepoint is gone), drop the session's connection instead."""
    from relief.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the original error is the one that matters
        app.logger.warning("Rollback after a full disk failed; the connection is discarded", exc_info=True)
        db.session.close()


def abort_with(code: int, detail: str, link: tuple[str, str] | None = None):
    """Abort with `code`; the error page (or JSON "detail") says what was wrong and what to do,
    and offers `link` (url, words) besides the way home."""
    err = default_exceptions[code]()
    err.relief_detail = detail
    err.relief_link = link
    raise err


def wants_json() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    def render(code: int, detail: str | None = None, link: tuple[str, str] | None = None):
        message = _messages().get(code, _("请求无法处理"))
        if wants_json():
            body = {"error": message, "status": code}
            if detail:
                body["detail"] = detail
            return jsonify(body), code
        return render_template("errors/error.html", code=code, message=message, detail=detail, link=link), code

    @app.errorhandler(CSRFError)
    def csrf_error(err):
        return render(400, _("页面已过期或缺少安全令牌，请刷新页面后重新提交"))

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        if err.code == 429:
            return render(429)
        return render(err.code or 500, getattr(err, "relief_detail", None), getattr(err, "relief_link", None))

    @app.errorhandler(Exception)
    def unexpected(err):
        if disk_full(err):
            app.logger.error("Disk full on %s %s: %s", request.method, request.path, err)
            _rollback_quietly(app)
            return render(507, _("服务器的磁盘已满，这次提交没有保存，已有的数据没有受到影响。请告诉区扶贫办管理员清理服务器磁盘，"
                                 "之后再提交；手机上待同步的走访会自动重新发送。"))
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render(500)
