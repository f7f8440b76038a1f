"""Sign-in, sign-out, password change."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from relief.fields import refused_status
from relief.extensions import db, limiter, login_manager
from relief.models import User
from relief.security import verify_password

from . import services
from .forms import LoginForm, PasswordForm

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = None
login_manager.session_protection = None  # the server-side session row is the protection
# ... so the identifier Flask-Login would compare for it (a SHA-512 of the address and the user
# agent, which it computes on every request before it looks whether protection is on) is not made
login_manager._session_identifier_generator = lambda: None


@login_manager.user_loader
def load_user(user_id: str):
    try:
        uid = int(user_id)
    except ValueError:
        return None
    return services.user_for_session(session.get("sid"), uid)


@login_manager.request_loader
def load_user_from_token(req):
    header = req.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return services.user_for_token(header.removeprefix("Bearer ").strip())
    return None


@login_manager.unauthorized_handler
def unauthorized():
    if request.path.startswith("/api/"):
        from flask import abort

        abort(401)
    if request.method == "GET":
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return redirect(url_for("auth.login"))


@bp.before_app_request
def require_password_change():
    """A user whose password an admin chose must pick their own before anything else."""
    if request.endpoint in ("auth.password", "auth.logout", "static", "main.healthz"):
        return None  # decided without loading the user (a health check asks every few seconds)
    user = current_user._get_current_object()
    if getattr(user, "is_authenticated", False) and user.must_change_password:
        if request.path.startswith("/api/"):
            from flask import abort

            abort(403)
        return redirect(url_for("auth.password"))


def _username_key() -> str:
    return "login-user:" + (request.form.get("username") or "").strip().lower()


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_USER"], key_func=_username_key, methods=["POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            form.password.errors.append(_("用户名或密码不正确"))
        else:
            sid = services.start_session(user, request.remote_addr)
            db.session.commit()
            session.clear()
            session["sid"] = sid
            session.permanent = True
            login_user(user)
            if user.must_change_password:
                return redirect(url_for("auth.password"))
            return redirect(safe_next(form.next.data) or url_for("main.home"))
    status = 200 if request.method == "GET" or not form.errors else 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout():
    user = current_user._get_current_object()  # before the session that names them ends
    services.end_session(session.get("sid"))
    if user.is_authenticated:
        # signing out ends the user's API tokens too (a phone or script signed in as them)
        services.revoke_tokens(user.id)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm(username=current_user.username)
    if form.validate_on_submit():
        user: User = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append(_("当前密码不正确"))
        else:
            services.set_password(user, form.new.data, by_admin=False)
            # Other browsers signed in with the old password are signed out.
            services.end_all_sessions(user.id)
            new_sid = services.start_session(user, request.remote_addr)
            db.session.commit()
            session["sid"] = new_sid
            flash(_("密码已修改"), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form), refused_status()
