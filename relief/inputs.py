"""Refuse submitted text that no person typed and no database keeps: control characters.

A NUL byte in a form field, a query string or a JSON string makes PostgreSQL refuse the whole
statement ("text fields cannot contain NUL"), a lone surrogate (a JSON "\\udcff") cannot be
encoded for either database, and the other C0 control characters cannot be written to an
.xlsx export. They arrive from broken clients, pasted binary or probing, never from a keyboard:
the request is refused before any view runs, with a message saying what to do. Tab, line feed
and carriage return are ordinary text.
"""
from __future__ import annotations

import re

from flask import Flask, jsonify, request
from flask_babel import gettext as _

from relief.errors import _messages, abort_with, wants_json

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _bad_json_path(value, path: str = "") -> str | None:
    """The dotted path ("demands.0.text") of the first JSON string with a control character."""
    if isinstance(value, str):
        return (path or "__all__") if _CONTROL.search(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _CONTROL.search(key):
            return here
        found = _bad_json_path(item, here)
        if found:
            return found
    return None


def _bad_key(fields) -> str | None:
    """The first key of a MultiDict (query or form) whose name or value holds a control character."""
    for key, value in fields.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            return key
    return None


def _bad_field() -> str | None:
    """The name of the first query, form or JSON field holding a control character, else None."""
    environ = request.environ
    has_body = environ.get("CONTENT_LENGTH", "0") not in ("", "0") or environ.get("HTTP_TRANSFER_ENCODING") == "chunked"
    if not has_body and not environ.get("QUERY_STRING"):
        return None  # most requests: nothing was submitted
    found = _bad_key(request.args)
    if found or not has_body:
        return found
    if request.is_json:  # a JSON body holds no form fields and no files: not parsed for them
        return _bad_json_path(request.get_json(silent=True))
    found = _bad_key(request.form)
    if found:
        return found
    for key, upload in request.files.items(multi=True):
        if upload.filename and _CONTROL.search(upload.filename):
            return key
    return None


def message() -> str:
    return _("提交的内容含有不可见的控制字符（可能是从其他软件复制时带入的），请删除这些字符后重新输入")


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters():
        if request.endpoint == "static":
            return None
        field = _bad_field()
        if field is None:
            return None
        if wants_json():
            body = {"error": _messages()[422], "status": 422, "detail": message(), "fields": {field: message()}}
            return jsonify(body), 422
        abort_with(400, message())
