from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from relief.models import Role


def _role_choices():
    return Role.choices()


class UserForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(max=64)])
    role = SelectField(_l("角色"), choices=_role_choices)
    township = SelectField(_l("乡镇（乡镇领导必填）"), choices=[], validators=[Optional()])
    cadre_phone = StringField(_l("干部联系电话（帮扶干部必填）"), validators=[Optional(), Length(max=11)],
                              render_kw={"inputmode": "numeric"})
    password = PasswordField(_l("初始密码（至少8位，用户首次登录时须修改）"), render_kw={"autocomplete": "new-password"})
    active = BooleanField(_l("启用"), default=True)


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("新密码（至少8位，用户下次登录时须修改）"),
                             validators=[DataRequired(_l("请填写新密码"))], render_kw={"autocomplete": "new-password"})
