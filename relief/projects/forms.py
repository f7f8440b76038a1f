from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from relief.fields import DayField, WanField, WholeNumberField
from relief.models import ProjectType

DATE = {"type": "date"}
MONEY = {"inputmode": "decimal", "autocomplete": "off"}
COUNT = {"inputmode": "numeric"}


class ProjectForm(FlaskForm):
    name = StringField(_l("项目名称"), validators=[DataRequired(_l("请填写项目名称")),
                                               Length(max=120, message=_l("项目名称最多120个字"))])
    type = SelectField(_l("项目类型"), choices=ProjectType.choices)
    responsible_cadre = SelectField(_l("责任干部（在本村结对的干部）"), choices=[])
    funding_source = StringField(_l("资金来源"), validators=[Length(max=120, message=_l("资金来源最多120个字"))])
    funding = WanField(_l("资金规模（万元）"), required=False, render_kw=MONEY)
    started_on = DayField(_l("开工日期"), required=False, render_kw=DATE)
    finished_on = DayField(_l("完工日期"), required=False, render_kw=DATE)
    expected_income = WanField(_l("预期年收益（万元/年，归村集体）"), required=False, render_kw=MONEY)
    actual_income = WanField(_l("实际年收益（万元/年，归村集体）"), required=False, render_kw=MONEY)
    households_benefited = WholeNumberField(_l("受益户数"), required=False, maximum=1_000_000, render_kw=COUNT)
    people_benefited = WholeNumberField(_l("受益人数"), required=False, maximum=10_000_000, render_kw=COUNT)
    description = TextAreaField(_l("项目简介"), validators=[Length(max=4000, message=_l("项目简介最多4000个字"))])


class AdvanceForm(FlaskForm):
    to = HiddenField()
    note = TextAreaField(_l("说明（可不填）"), validators=[Length(max=2000, message=_l("说明最多2000个字"))])


class UpdateForm(FlaskForm):
    on = DayField(_l("日期（不填为今天）"), required=False, render_kw=DATE)
    text = TextAreaField(_l("进展情况"), validators=[DataRequired(_l("请填写进展情况")),
                                                  Length(max=4000, message=_l("进展情况最多4000个字"))])
    photos = MultipleFileField(_l("照片（可选多张）"), render_kw={"accept": "image/*"})
