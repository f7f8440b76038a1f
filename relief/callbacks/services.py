"""Call-backs: the months and their samples, draw a month's sample, reveal a phone for the call,
record what the household said."""
from __future__ import annotations

import math
import random
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import Select

from relief import audit
from relief.extensions import db
from relief.models import Answer, Cadre, Callback, Household, Pairing, PairingKind, Satisfaction, utcnow
from relief.scope import scoped

#: seeds are kept in an INTEGER column
MAX_SEED = 2**31 - 1


_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str | None) -> str | None:
    """'2025-5' or '2025-05' as '2025-05'; None when it is not a month."""
    m = _MONTH.match((text or "").strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def sample(user, month: str, township_id: int | None = None, state: str | None = None) -> Select:
    """The month's sampled households the user may see (state: pending, reached, unreached)."""
    stmt = (scoped(sa.select(Callback), user)
            .where(Callback.month == month)
            .join(Household, Household.id == Callback.household_id)
            .options(joinedload(Callback.household).joinedload(Household.village),
                     joinedload(Callback.household).joinedload(Household.township),
                     joinedload(Callback.cadre).joinedload(Cadre.unit))
            .order_by(Callback.township_id, Household.village_id, Household.head_name, Callback.id))
    if township_id:
        stmt = stmt.where(Callback.township_id == township_id)
    if state == "pending":
        stmt = stmt.where(Callback.called_at.is_(None))
    elif state == "reached":
        stmt = stmt.where(Callback.reached.is_(True))
    elif state == "unreached":
        stmt = stmt.where(Callback.reached.is_(False))
    return stmt


def months_drawn(user) -> list[str]:
    """Months with a sample the user can see, newest first."""
    return db.session.scalars(scoped(sa.select(Callback.month).distinct(), user, Callback)
                              .order_by(Callback.month.desc())).all()


@dataclass
class Draw:
    month: str
    households: int
    seed: int | None
    drawn_at: object


def draw_of(month: str) -> Draw | None:
    """The district's draw for a month (count, seed, when), or None if not drawn yet."""
    n, seed, at = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Callback.seed), sa.func.min(Callback.drawn_at))
        .where(Callback.month == month)).one()
    return Draw(month, n, seed, at) if n else None


class CallbackError(Exception):
    """A request the office can fix: the message says what to change."""


@dataclass
class DrawResult:
    month: str
    seed: int
    #: township id -> (actively paired households with a phone, households drawn)
    townships: dict[int, tuple[int, int]]
    #: actively paired households left out because no phone number is on record
    no_phone: int = 0

    @property
    def households(self) -> int:
        return sum(n for _, n in self.townships.values())


def sample_size(paired: int, rate: float) -> int:
    """rate of the paired households, rounded up; at least one when any is paired."""
    if paired <= 0:
        return 0
    return min(paired, max(1, math.ceil(Decimal(str(rate)) * paired)))


def choose(candidates: dict[int, list[int]], rate: float, seed: int) -> dict[int, list[int]]:
    """The sample per township: one random.Random(seed), townships by id, households sorted by id."""
    rng = random.Random(seed)
    chosen = {}
    for township_id in sorted(candidates):
        ids = sorted(candidates[township_id])
        chosen[township_id] = sorted(rng.sample(ids, sample_size(len(ids), rate)))
    return chosen


def draw(month: str, seed: int | None = None, *, user=None, today: date) -> DrawResult:
    """Draw the month's sample of actively paired households per township; once per month.

    A call-back is a telephone call, so only households with a phone number on record are drawn;
    the others are counted in the result so the office can get their numbers recorded.
    """
    normal = parse_month(month)
    if normal is None:
        raise CallbackError(_("月份格式应为“年-月”，例如 2025-05"))
    if normal > month_of(today):
        raise CallbackError(_("%(month)s 尚未到来，只能为本月或以前的月份抽样", month=normal))
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise CallbackError(_("随机种子应为 0 到 %(max)d 之间的整数", max=MAX_SEED))
    if (done := draw_of(normal)) is not None:
        raise CallbackError(_("%(month)s 的回访样本已经抽取（%(n)d 户），同一月份不能再抽，也不会重复抽到同一户",
                              month=normal, n=done.households))
    seed = secrets.randbelow(MAX_SEED) if seed is None else seed
    rows = db.session.execute(
        sa.select(Household.township_id, Pairing.household_id, sa.func.min(Pairing.cadre_id), Household.phone)
        .join(Household, Household.id == Pairing.household_id)
        .where(Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None), Pairing.started_on <= today)
        .group_by(Household.township_id, Pairing.household_id, Household.phone)).all()
    candidates, cadre_of, no_phone = defaultdict(list), {}, 0
    for township_id, household_id, cadre_id, phone in rows:
        if not (phone or "").strip():
            no_phone += 1
            continue
        candidates[township_id].append(household_id)
        cadre_of[household_id] = cadre_id
    if not candidates:
        if no_phone:
            raise CallbackError(_("在结对的帮扶户都没有登记联系电话，无法电话回访；请先补录户主电话"))
        raise CallbackError(_("目前没有在结对的帮扶户，无法抽样"))
    chosen = choose(candidates, current_app.config["CALLBACK_SAMPLE_RATE"], seed)
    now = utcnow()
    values = [dict(month=normal, township_id=t, household_id=h, cadre_id=cadre_of[h], seed=seed, drawn_at=now)
              for t, ids in chosen.items() for h in ids]
    try:
        with db.session.begin_nested():
            db.session.execute(sa.insert(Callback), values)
    except IntegrityError as err:  # a draw for the same month committed in the meantime
        raise CallbackError(_("%(month)s 的回访样本已经抽取，同一月份不能再抽", month=normal)) from err
    result = DrawResult(normal, seed, {t: (len(candidates[t]), len(ids)) for t, ids in chosen.items()}, no_phone)
    left_out = f"; {no_phone} without a phone left out" if no_phone else ""
    audit.log(db.session, "draw", "callback", None, user=user,
              note=f"{normal} seed {seed}: {result.households} households in {len(chosen)} townships{left_out}")
    return result


def reveal_phone(cb: Callback, user) -> str:
    """The household's full phone number for the caller; the reveal goes into the audit trail."""
    audit.log(db.session, "reveal", "household", cb.household_id, user=user, note=f"phone (callback {cb.id})")
    return cb.household.phone or ""


@dataclass
class Answers:
    reached: bool
    cadre_visited: Answer | None = None
    visits_claimed: int | None = None
    demand_resolved: Answer | None = None
    satisfaction: Satisfaction | None = None
    remark: str = ""


def check(answers: Answers) -> dict[str, str]:
    """Problems with the answers, by field; empty when they can be stored."""
    problems = {}
    if answers.reached:
        if answers.cadre_visited is None:
            problems["cadre_visited"] = _("已接通时请选择近三个月帮扶干部是否上门走访")
        if answers.satisfaction is None:
            problems["satisfaction"] = _("已接通时请选择满意度")
        if answers.visits_claimed is not None and not 0 <= answers.visits_claimed <= 99:
            problems["visits_claimed"] = _("走访次数应为 0 到 99 之间的整数")
        elif answers.cadre_visited is Answer.NO and answers.visits_claimed:
            problems["visits_claimed"] = _("户主说干部没有来过，走访次数应为 0 或不填")
    if len(answers.remark or "") > 500:
        problems["remark"] = _("备注最多 500 字")
    return problems


def record(cb: Callback, answers: Answers, user) -> None:
    """Store the outcome of a call; an unreached household keeps no answers. Audited as an update."""
    problems = check(answers)
    if problems:
        raise CallbackError("；".join(problems.values()))
    cb.called_at = utcnow()
    cb.caller_id = user.id
    cb.reached = answers.reached
    reached = answers.reached
    cb.cadre_visited = answers.cadre_visited if reached else None
    cb.visits_claimed = (0 if answers.cadre_visited is Answer.NO else answers.visits_claimed) if reached else None
    cb.demand_resolved = answers.demand_resolved if reached else None
    cb.satisfaction = answers.satisfaction if reached else None
    cb.remark = (answers.remark or "").strip() or None
    db.session.flush()
