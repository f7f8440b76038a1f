"""User management for the admin."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from relief import audit
from relief.access import roles_required
from relief.auth import services as auth_services
from relief.fields import refused_status
from relief.extensions import db
from relief.models import Role, User

from . import services
from .forms import ResetPasswordForm, UserForm

bp = Blueprint("users", __name__, url_prefix="/users")


def _township_choices():
    return [("", "—")] + [(name, name) for name in services.township_names()]


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    return render_template("users/index.html", users=services.all_users())


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def create():
    form = UserForm()
    form.township.choices = _township_choices()
    if form.validate_on_submit():
        try:
            role = Role(form.role.data)
            township, cadre = services.resolve_links(role, form.township.data, form.cadre_phone.data)
            user = services.create_user(form.username.data, role, form.password.data or "",
                                        township=township, cadre=cadre, must_change=True)
            user.active = form.active.data
            db.session.commit()
        except services.UserError as err:
            db.session.rollback()
            flash(str(err), "danger")
        else:
            flash(_("已创建用户 %(name)s；请把初始密码告诉本人，首次登录时须修改", name=user.username), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=None), refused_status()


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm()
    form.township.choices = _township_choices()
    reset = ResetPasswordForm(prefix="reset")
    if _is_get():
        form.username.data = user.username
        form.role.data = user.role.value
        form.township.data = user.township.name if user.township else ""
        form.cadre_phone.data = user.cadre.phone if user.cadre else ""
        form.active.data = user.active
    elif form.validate_on_submit():
        try:
            role = Role(form.role.data)
            township, cadre = services.resolve_links(role, form.township.data, form.cadre_phone.data)
            services.update_user(user, role=role, township=township, cadre=cadre, active=form.active.data,
                                 acting=current_user)
            db.session.commit()
        except services.UserError as err:
            db.session.rollback()
            flash(str(err), "danger")
        else:
            flash(_("已保存"), "success")
            return redirect(url_for("users.index"))
    return render_template("users/form.html", form=form, user=user, reset=reset,
                           tokens=auth_services.live_tokens(user.id)), refused_status()


@bp.post("/<int:user_id>/password")
@roles_required(Role.ADMIN)
def reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.password.data)
            db.session.commit()
        except services.UserError as err:
            db.session.rollback()
            flash(str(err), "danger")
        else:
            flash(_("已重设 %(name)s 的密码，下次登录时须修改", name=user.username), "success")
    return redirect(url_for("users.edit", user_id=user.id))


@bp.post("/<int:user_id>/tokens/revoke")
@roles_required(Role.ADMIN)
def revoke_tokens(user_id: int):
    """End every API token of a user (a lost phone, a script that should stop)."""
    user = db.session.get(User, user_id) or abort(404)
    count = auth_services.revoke_tokens(user.id)
    audit.log(db.session, "revoke", "user_account", user.id, user=current_user, note=f"{count} API token(s)")
    db.session.commit()
    flash(_("已撤销 %(name)s 的 %(n)d 个接口令牌，用它们登录的手机或程序需要重新登录", name=user.username, n=count),
          "success")
    return redirect(url_for("users.edit", user_id=user.id))


def _is_get() -> bool:
    from flask import request

    return request.method == "GET"
