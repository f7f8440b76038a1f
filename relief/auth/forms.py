from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from relief.security import password_problem


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=64)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码"))],
                             render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), validators=[DataRequired(_l("请输入当前密码"))],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("新密码"), validators=[DataRequired(_l("请输入新密码"))],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("再次输入新密码"),
                            validators=[DataRequired(_l("请再次输入新密码")), EqualTo("new", _l("两次输入的新密码不一致"))],
                            render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, username: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self._username = username

    def validate_new(self, field):
        problem = password_problem(field.data or "", self._username)
        if problem:
            raise ValidationError(problem)
