"""Creating and changing logins; shared by the admin pages and the command line."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from relief.auth.services import end_all_sessions, set_password
from relief.extensions import db
from relief.models import Cadre, Role, Township, User
from relief.security import hash_password, password_problem


class UserError(ValueError):
    """A request that cannot be carried out; the message says what to fix."""


def all_users() -> list[User]:
    """Every login with its township and cadre, by role and name (the admin's list)."""
    return db.session.scalars(sa.select(User).options(joinedload(User.township), joinedload(User.cadre))
                              .order_by(User.role, User.username)).all()


def township_names() -> list[str]:
    """Every township's name, for a leader's login."""
    return db.session.scalars(sa.select(Township.name).order_by(Township.name)).all()


def resolve_links(role: Role, township_name: str | None, cadre_phone: str | None):
    township = cadre = None
    if township_name:
        township = db.session.scalar(sa.select(Township).where(Township.name == township_name.strip()))
        if township is None:
            raise UserError(_("没有名为“%(name)s”的乡镇", name=township_name))
    if cadre_phone:
        cadre = db.session.scalar(sa.select(Cadre).where(Cadre.phone == cadre_phone.strip()))
        if cadre is None:
            raise UserError(_("没有联系电话为 %(phone)s 的干部", phone=cadre_phone))
    if role is Role.LEADER and township is None:
        raise UserError(_("乡镇领导必须指定乡镇"))
    if role is Role.CADRE and cadre is None:
        raise UserError(_("帮扶干部账号必须关联一名干部（填写干部联系电话）"))
    return township, cadre


def create_user(username: str, role: Role, password: str, *, township: Township | None = None,
                cadre: Cadre | None = None, must_change: bool = False, check_policy: bool = True) -> User:
    username = (username or "").strip()
    if not username:
        raise UserError(_("请填写用户名"))
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise UserError(_("用户名“%(name)s”已被使用", name=username))
    if cadre and db.session.scalar(sa.select(User.id).where(User.cadre_id == cadre.id)):
        raise UserError(_("干部%(name)s已有登录账号", name=cadre.name))
    if check_policy and (problem := password_problem(password, username)):
        raise UserError(problem)
    user = User(username=username, role=role, password_hash=hash_password(password),
                township_id=township.id if township and role is Role.LEADER else None,
                cadre_id=cadre.id if cadre and role is Role.CADRE else None,
                must_change_password=must_change)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, role: Role, township: Township | None, cadre: Cadre | None, active: bool,
                acting: User) -> None:
    if user.id == acting.id and (not active or role is not Role.ADMIN):
        raise UserError(_("不能停用自己的账号或取消自己的管理员角色"))
    if cadre and role is Role.CADRE:
        other = db.session.scalar(sa.select(User.id).where(User.cadre_id == cadre.id, User.id != user.id))
        if other:
            raise UserError(_("干部%(name)s已有登录账号", name=cadre.name))
    user.role = role
    user.township_id = township.id if township and role is Role.LEADER else None
    user.cadre_id = cadre.id if cadre and role is Role.CADRE else None
    if user.active and not active:
        end_all_sessions(user.id)
    user.active = active


def reset_password(user: User, password: str) -> None:
    """An admin sets a password: the user must change it at the next sign-in."""
    if problem := password_problem(password, user.username):
        raise UserError(problem)
    set_password(user, password, by_admin=True)
    end_all_sessions(user.id)
