"""The village list's filters: the search form's, and those of the figures that link here."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from relief.filters import Filters
from relief.models import Village
from relief.targets import BAND_LABELS, BANDS, village_band


def list_filters() -> Filters:
    """The village list's filters: the search form's and those of the figures that link here."""
    f = Filters()
    f.of_text(_("村名含“%(q)s”"), Village.name)
    f.of_township(Village.township_id)
    bands = {**{b: str(BAND_LABELS[b]) for b in BANDS}, "short": _("未达标（不足100%）")}
    band = f.choice("band", bands, _("收入进度"))
    year = f.year()
    weak = f.choice("weak", {"1": _("经济薄弱村")}, _("类别"))
    if weak or band:
        f.add(Village.is_weak, _("经济薄弱村"), "weak", *(("band",) if band else ()))
    if band:
        year = year or f.today.year
        condition = sa.not_(village_band("green", year)) if band == "short" else village_band(band, year)
        f.add(condition, _("%(year)d 年%(band)s", year=year, band=bands[band]), "band", "year")
    return f
