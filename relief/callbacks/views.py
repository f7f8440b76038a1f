"""Call-backs (回访): the month's sample, one call, the draw, the bulletin (通报) and the mismatch list."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from relief.access import roles_required
from relief.dates import today
from relief.paging import paginate
from relief.extensions import db
from relief.models import Answer, Cadre, Callback, Household, Role, Satisfaction
from relief.reports.callbacks import called_on, mismatches as find_mismatches
from relief.filters import township_choices
from relief.scope import get_scoped_or_404, sees_everything, township_asked
from relief.fields import year_int

from . import bulletin as tallies
from . import services
from .forms import parse_answers

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")
VIEWERS = (Role.ADMIN, Role.INSPECTOR, Role.LEADER)
STATES = ("pending", "reached", "unreached")


def _month() -> str:
    raw = request.args.get("month")
    month = services.parse_month(raw)
    if raw and month is None:
        flash(_("月份格式应为“年-月”，例如 2025-05；已显示本月"), "warning")
    return month or services.month_of(today())


def _township() -> int | None:
    """The township filter: leaders are held to their own township by scope anyway."""
    return township_asked(current_user, request.args.get("township"))


def _sees_mismatches() -> bool:
    return sees_everything(current_user)


@bp.get("/")
@roles_required(*VIEWERS)
def index():
    month, township_id = _month(), _township()
    state = request.args.get("state") if request.args.get("state") in STATES else None
    page = paginate(services.sample(current_user, month, township_id, state))
    bulletin = tallies.bulletin(current_user, month, township_id)
    return render_template("callbacks/index.html", month=month, township_id=township_id, state=state, page=page,
                           total=bulletin.total, mismatches=bulletin.mismatches if _sees_mismatches() else None,
                           draw=services.draw_of(month), townships=township_choices(current_user),
                           months=services.months_drawn(current_user), this_month=services.month_of(today()))


@bp.post("/draw")
@roles_required(Role.ADMIN)
def draw():
    month = services.parse_month(request.form.get("month")) or request.form.get("month", "")
    raw_seed = (request.form.get("seed") or "").strip()
    try:
        seed = int(raw_seed) if raw_seed else None
    except ValueError:
        flash(_("随机种子应为整数，不填则随机生成"), "danger")
        return redirect(url_for("callbacks.index", month=services.parse_month(month)))
    try:
        result = services.draw(month, seed, user=current_user, today=today())
        db.session.commit()
    except services.CallbackError as err:
        db.session.rollback()
        flash(str(err), "danger")
        return redirect(url_for("callbacks.index", month=services.parse_month(month)))
    flash(_("已为 %(month)s 抽取 %(n)d 户（%(t)d 个乡镇，随机种子 %(seed)d）", month=result.month,
            n=result.households, t=len(result.townships), seed=result.seed), "success")
    if result.no_phone:
        flash(_("另有 %(n)d 户没有登记联系电话，未纳入抽样；请在帮扶户信息中补录电话", n=result.no_phone), "warning")
    return redirect(url_for("callbacks.index", month=result.month))


def _load(callback_id: int) -> Callback:
    return get_scoped_or_404(Callback, callback_id, current_user, options=[
        joinedload(Callback.household).joinedload(Household.village),
        joinedload(Callback.household).joinedload(Household.township),
        joinedload(Callback.cadre).joinedload(Cadre.unit)])


def _render_call(cb: Callback, phone: str | None = None, values=None, problems=None, status: int = 200):
    mismatch = None
    if _sees_mismatches():
        mismatch = next((m for m in find_mismatches(current_user, [cb.month], cb.township_id)
                         if m.callback.id == cb.id), None)
    return render_template("callbacks/show.html", cb=cb, phone=phone, values=values or {}, problems=problems or {},
                           mismatch=mismatch, answer_options=Answer.choices(),
                           satisfaction_options=Satisfaction.choices(),
                           called_on=called_on(cb)), status


@bp.get("/<int:callback_id>")
@roles_required(*VIEWERS)
def show(callback_id: int):
    return _render_call(_load(callback_id))


@bp.post("/<int:callback_id>/reveal")
@roles_required(Role.ADMIN)
def reveal(callback_id: int):
    """Show the household's phone to the caller once; audited."""
    cb = _load(callback_id)
    phone = services.reveal_phone(cb, current_user)
    db.session.commit()
    return _render_call(cb, phone=phone)


@bp.post("/<int:callback_id>")
@roles_required(Role.ADMIN)
def record(callback_id: int):
    cb = _load(callback_id)
    answers, problems = parse_answers(request.form)
    if answers is None:
        flash(_("回访结果未保存，请按提示修改"), "danger")
        return _render_call(cb, values=request.form, problems=problems, status=422)
    services.record(cb, answers, current_user)
    db.session.commit()
    flash(_("已保存 %(name)s 的回访结果", name=cb.household.head_name), "success")
    return redirect(url_for("callbacks.index", month=cb.month, township=_township(), state="pending"))


@bp.get("/bulletin")
@roles_required(*VIEWERS)
def bulletin():
    month, township_id = _month(), _township()
    data = tallies.bulletin(current_user, month, township_id)
    return render_template("callbacks/bulletin.html", month=month, b=data, township_id=township_id,
                           townships=township_choices(current_user), months=services.months_drawn(current_user),
                           show_mismatches=_sees_mismatches(), printed_on=today())


@bp.get("/mismatches")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def mismatches():
    """Households that said nobody came while visits are recorded: the inspector's list, both sides."""
    year = request.args.get("year", type=year_int) or today().year
    month = services.parse_month(request.args.get("month"))
    months = [month] if month else [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    township_id = _township()
    found = find_mismatches(current_user, months, township_id)
    return render_template("callbacks/mismatches.html", found=found, year=int(month[:4]) if month else year,
                           month=month, township_id=township_id, townships=township_choices(current_user))
