"""The progress map: /map (the app page) and /map/frame (folium's document, shown in the page)."""
from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from relief.access import roles_required
from relief.cache import cached_html
from relief.dates import today, year_from_request
from relief.headers import csp_nonce
from relief.i18n import HTML_LANG
from relief.models import Role
from relief.filters import township_choices
from relief.paging import page_number, paginate_list
from relief.scope import township_of_request
from relief.templating import render_kept

from . import services

bp = Blueprint("maps", __name__)
VIEWERS = (Role.ADMIN, Role.LEADER, Role.INSPECTOR)


def _colouring() -> str:
    colouring = request.args.get("colour")
    return colouring if colouring in services.COLOURINGS else "progress"


def _request_map():
    """Parse year and township (a name, or an id) and fetch the map data for them."""
    year, notice, township = _request_args()
    data = services.map_data(current_user, year, township.id if township else None, str(get_locale()), _colouring())
    return data, township, notice


def _request_args():
    year, notice = year_from_request(request.args.get("year"))
    return year, notice, township_of_request(request.args.get("township"), current_user)


def _title(year: int, township) -> str:
    return _("%(where)s经济薄弱村收入进度地图（%(year)d 年）", where=township.name if township else _("全区"),
             year=year)


@bp.get("/map")
@roles_required(*VIEWERS)
def index():
    year, notice, township = _request_args()
    title = _title(year, township)
    page_number()  # a page that cannot exist is a 404 before anything is drawn

    colouring = _colouring()

    def body() -> str:
        data = services.map_data(current_user, year, township.id if township else None, str(get_locale()), colouring)
        page = paginate_list(sorted(data.rows, key=lambda r: (r.progress, r.township, r.name)))
        return render_template("maps/_content.html", data=data, township=township, notice=notice, title=title,
                               rows=page.items, total=page.total, page=page,
                               townships=township_choices(current_user),
                               today_year=today().year, colouring=colouring,
                               frame_url=url_for("maps.frame", year=data.year,
                                                 township=township.name if township else None,
                                                 colour=colouring if colouring != "progress" else None))

    content = cached_html("map-html", township.id if township else None, body)
    return render_kept("maps/index.html", content, title=title)


@bp.get("/map/frame")
@roles_required(*VIEWERS)
def frame():
    data, township, _notice = _request_map()
    html = services.frame_html(
        current_user, data, township.id if township else None,
        title=_title(data.year, township), lang=HTML_LANG.get(str(get_locale()), "zh-CN"),
        village_url=url_for("villages.show", village_id=0)[:-1],
        assets={"leaflet": url_for("static", filename="vendor/leaflet/leaflet.js"),
                "relief_map": url_for("static", filename="js/map-frame.js"),
                "leaflet_css": url_for("static", filename="vendor/leaflet/leaflet.css"),
                "relief_map_css": url_for("static", filename="css/map-frame.css")})
    # folium's scripts are inline: each gets this response's CSP nonce (the cached text has none).
    return Response(html.replace("<script>", f'<script nonce="{csp_nonce()}">'), mimetype="text/html")
