from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from relief.fields import WanField, WholeNumberField


class IncomeForm(FlaskForm):
    year = WholeNumberField(_l("年度"), minimum=2000, maximum=2100, required_message=_l("请填写年度"),
                            render_kw={"inputmode": "numeric"})
    income = WanField(_l("村集体经济收入（万元，可带小数，例如 15.25）"), required_message=_l("请填写收入"),
                      render_kw={"inputmode": "decimal", "autocomplete": "off"})


class VillageTargetForm(FlaskForm):
    year = WholeNumberField(_l("年度（留空表示每年）"), minimum=2000, maximum=2100, required=False,
                            render_kw={"inputmode": "numeric"})
    target = WanField(_l("目标（万元；留空表示取消此项设置）"), required=False,
                      render_kw={"inputmode": "decimal", "autocomplete": "off"})


class DistrictTargetForm(FlaskForm):
    year = WholeNumberField(_l("年度"), minimum=2000, maximum=2100, required_message=_l("请填写年度"),
                            render_kw={"inputmode": "numeric"})
    target = WanField(_l("全区目标（万元；留空表示恢复默认）"), required=False,
                      render_kw={"inputmode": "decimal", "autocomplete": "off"})
