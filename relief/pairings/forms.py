"""Forms for creating, ending and transferring pairings, and the attendance sheet."""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from relief.dates import today
from relief.models import PairingKind, StationRole




class ChinaDateField(DateField):
    """A date input whose parse error is a message the user can act on."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = datetime.strptime(valuelist[0].strip(), "%Y-%m-%d").date()
        except ValueError:
            self.data = None
            raise ValueError(_l("请按“年-月-日”填写日期，例如 2025-03-01")) from None


class ChoiceIdField(IntegerField):
    """The id of a row picked from search results (a radio button)."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


class PairingForm(FlaskForm):
    kind = SelectField(_l("结对类型"), choices=PairingKind.choices)
    cadre_id = ChoiceIdField(_l("帮扶干部"), validators=[DataRequired(_l("请先搜索并选择帮扶干部"))])
    # no Optional(): it would stop the chain before the validate_* methods below
    household_id = ChoiceIdField(_l("帮扶户"))
    village_id = ChoiceIdField(_l("村"))
    role = SelectField(_l("驻村身份"), choices=lambda: [("", "—")] + StationRole.choices(), validate_choice=False)
    started_on = ChinaDateField(_l("开始日期"), validators=[InputRequired(_l("请填写开始日期"))], default=today)

    @property
    def pairing_kind(self) -> PairingKind:
        return PairingKind(self.kind.data) if self.kind.data in {k.value for k in PairingKind} \
            else PairingKind.HOUSEHOLD

    def validate_household_id(self, field):
        if self.pairing_kind is PairingKind.HOUSEHOLD and not field.data:
            raise ValidationError(_l("请先搜索并选择帮扶户"))

    def validate_village_id(self, field):
        if self.pairing_kind is not PairingKind.HOUSEHOLD and not field.data:
            raise ValidationError(_l("请先搜索并选择村"))

    def validate_role(self, field):
        if self.pairing_kind.is_stationed and field.data not in {r.value for r in StationRole}:
            raise ValidationError(_l("请选择驻村身份（第一书记、工作队长或队员）"))

    @property
    def station_role(self) -> StationRole | None:
        return StationRole(self.role.data) if self.pairing_kind.is_stationed else None


class EndForm(FlaskForm):
    ended_on = ChinaDateField(_l("结束日期"), validators=[InputRequired(_l("请填写结束日期"))], default=today)
    reason = StringField(_l("结束原因"), validators=[DataRequired(_l("请填写结束原因")),
                                                 Length(max=200, message=_l("结束原因不能超过200字"))])


class TransferForm(FlaskForm):
    cadre_id = ChoiceIdField(_l("接手的干部"), validators=[DataRequired(_l("请先搜索并选择接手的干部"))])
    on = ChinaDateField(_l("调整日期"), validators=[InputRequired(_l("请填写调整日期"))], default=today)
    reason = StringField(_l("调整原因"), validators=[DataRequired(_l("请填写调整原因")),
                                                 Length(max=200, message=_l("调整原因不能超过200字"))])


class SheetForm(FlaskForm):
    """Only the CSRF token: the sheet's inputs are one per row (days-<pairing id>)."""
