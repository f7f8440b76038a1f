"""The month's call-back bulletin (通报): sampled, reached and satisfaction per township and per
unit, with the mismatches against the visit log (relief.reports.callbacks)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from relief.extensions import db
from relief.models import Cadre, Callback, Satisfaction, Township, Unit
from relief.reports.callbacks import Mismatch, mismatches
from relief.scope import scoped


@dataclass
class Tally:
    key: int | None
    name: str
    sampled: int = 0
    called: int = 0
    reached: int = 0
    #: reached households that gave a satisfaction answer
    answered: int = 0
    satisfied: int = 0
    mostly: int = 0
    unsatisfied: int = 0
    mismatches: int = 0

    @property
    def reach_rate(self) -> float | None:
        return self.reached / self.called if self.called else None

    @property
    def satisfaction_rate(self) -> float | None:
        """(满意 + 基本满意) / answered."""
        return sum(getattr(self, s.value) for s in Satisfaction.content()) / self.answered if self.answered else None


@dataclass
class Bulletin:
    month: str
    total: Tally
    townships: list[Tally]
    units: list[Tally]
    mismatches: list[Mismatch]


def _tallies(user, month: str, township_id: int | None, key, name, join) -> list[Tally]:
    reached = Callback.reached.is_(True)
    stmt = (scoped(sa.select(
        key.label("key"), name.label("name"), sa.func.count(), sa.func.count(Callback.called_at),
        sa.func.count().filter(reached),
        sa.func.count().filter(reached, Callback.satisfaction.is_not(None)),
        *[sa.func.count().filter(reached, Callback.satisfaction == s) for s in Satisfaction]), user, Callback)
        .where(Callback.month == month))
    for target, on in join:
        stmt = stmt.join(target, on)
    if township_id:
        stmt = stmt.where(Callback.township_id == township_id)
    stmt = stmt.group_by(key, name).order_by(name)
    return [Tally(*row) for row in db.session.execute(stmt)]


def bulletin(user, month: str, township_id: int | None = None) -> Bulletin:
    """The month's 通报: sampled, reached, satisfaction per township and per unit, mismatches."""
    townships = _tallies(user, month, township_id, Callback.township_id, Township.name,
                         [(Township, Township.id == Callback.township_id)])
    units = _tallies(user, month, township_id, Cadre.unit_id, Unit.name,
                     [(Cadre, Cadre.id == Callback.cadre_id), (Unit, Unit.id == Cadre.unit_id)])
    found = mismatches(user, [month], township_id)
    per_township, per_unit = defaultdict(int), defaultdict(int)
    for m in found:
        per_township[m.callback.township_id] += 1
        per_unit[m.callback.cadre.unit_id] += 1
    for t in townships:
        t.mismatches = per_township[t.key]
    for u in units:
        u.mismatches = per_unit[u.key]
    total = Tally(None, "")
    for t in townships:
        for attr in ("sampled", "called", "reached", "answered", "satisfied", "mostly", "unsatisfied", "mismatches"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
    return Bulletin(month, total, townships, units, found)
