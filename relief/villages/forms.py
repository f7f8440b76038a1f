import math
import unicodedata

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField

from relief.fields import WanField, WholeNumberField, _ParsedField
from relief.models.org import CoordSystem


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


class DegreeField(_ParsedField):
    """A latitude or longitude in decimal degrees (full-width digits and a trailing ° are fine)."""

    def __init__(self, label=None, validators=None, limit: int = 90, **kwargs):
        super().__init__(label, validators, required=False, **kwargs)
        self.limit = limit

    def parse(self, text):
        raw = unicodedata.normalize("NFKC", text).strip().rstrip("°").strip()
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(_("应为以度为单位的数字，例如 33.951234")) from None
        if not math.isfinite(value) or not -self.limit <= value <= self.limit:
            raise ValueError(_("应在 -%(n)d 到 %(n)d 度之间", n=self.limit))
        return value

    def show(self, value):
        return f"{value:.6f}".rstrip("0").rstrip(".")


class LocationForm(FlaskForm):
    coord_system = SelectField(_l("坐标系（坐标从哪里来）"), choices=CoordSystem.choices, default=CoordSystem.WGS84.value)
    # both up to 180: a longitude typed as the latitude gets "typed the wrong way round" (geo.coords)
    lat = DegreeField(_l("纬度"), limit=180, render_kw={"inputmode": "decimal", "autocomplete": "off"})
    lng = DegreeField(_l("经度"), limit=180, render_kw={"inputmode": "decimal", "autocomplete": "off"})
