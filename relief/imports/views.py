"""The admin's import page: upload, preview with row errors, confirm; template downloads."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from relief.access import roles_required
from relief.dates import to_cst
from relief.extensions import db
from relief.models import Role
from relief.spreadsheets import XLSX

from . import pending
from .services import FORMATS, KINDS, FileProblem, column_note, recent_imports, run_import, template_workbook

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.url_value_preprocessor
def _upload_limit(_endpoint, _values):
    # Runs before the CSRF check reads the form, so the smaller limit applies to the whole body.
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


@bp.errorhandler(413)
def _too_large(_err):
    mb = current_app.config["IMPORT_MAX_BYTES"] / 1024 / 1024
    detail = _("导入的文件不能超过 %(mb)s MB。请只保留需要导入的工作表，或把名单分成几个文件分别导入。",
               mb=f"{mb:g}")
    return render_template("errors/error.html", code=413, message=_("上传的文件太大"), detail=detail), 413


def _page(status: int = 200, error: str | None = None, kind: str | None = None):
    return render_template("imports/index.html", kinds=KINDS, note=column_note, recent=recent_imports(current_user),
                           error=error,
                           when=lambda at: to_cst(at).strftime("%Y-%m-%d %H:%M"),
                           chosen=kind, accept=",".join(FORMATS),
                           max_mb=current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024)), status


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    return _page(kind=request.args.get("kind"))


@bp.post("/preview")
@roles_required(Role.ADMIN)
def preview():
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    if kind not in KINDS:
        return _page(422, _("请选择要导入的名单类型"), kind)
    if upload is None or not upload.filename:
        return _page(422, _("请选择要上传的文件"), kind)
    data = upload.read()
    try:
        outcome = run_import(kind, data, upload.filename, current_user, dry_run=True)
    except FileProblem as err:
        db.session.rollback()
        return _page(422, str(err), kind)
    db.session.rollback()
    token = pending.save(data, user_id=current_user.id, kind=kind, filename=upload.filename) if outcome.ok else None
    return render_template("imports/preview.html", outcome=outcome, token=token, kind=KINDS[kind])


@bp.post("/confirm")
@roles_required(Role.ADMIN)
def confirm():
    token = request.form.get("token", "")
    found = pending.load(token, current_user.id)
    if found is None:
        flash(_("这次上传已过期或不存在，请重新上传文件"), "warning")
        return redirect(url_for("imports.index"))
    meta, data = found
    try:
        outcome = run_import(meta["kind"], data, meta["filename"], current_user)
    except FileProblem as err:
        db.session.rollback()
        pending.discard(token)
        return _page(422, str(err), meta["kind"])
    if not outcome.ok:
        db.session.rollback()
        pending.discard(token)
        return render_template("imports/preview.html", outcome=outcome, token=None, kind=KINDS[meta["kind"]])
    db.session.commit()
    pending.discard(token)
    flash(_("导入完成。%(summary)s", summary=outcome.summary()), "success")
    return redirect(url_for("imports.index"))


@bp.get("/templates/<kind>.xlsx")
@roles_required(Role.ADMIN)
def template(kind: str):
    if kind not in KINDS:
        abort(404)
    name = _("导入模板_%(kind)s.xlsx", kind=KINDS[kind].label)
    return send_file(io.BytesIO(template_workbook(kind)), mimetype=XLSX, as_attachment=True, download_name=name)
