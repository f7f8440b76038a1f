"""The cadres' quarterly work record (实绩档案): figures per cadre, the score, rankings, 捆绑考核.

Every figure is one GROUP BY cadre query over the whole district (a fixed number of queries);
ranks are computed over the whole district so that every viewer sees the same rank, and only
then are the rows limited to the cadres the viewer may see.

Figures for quarter Q of year Y (first .. last day; "today" for a quarter still running):
  households        distinct households with a 户结对 pairing of the cadre overlapping the quarter
  visits            visits by the cadre dated in the quarter (households and villages, every kind)
  holiday_visits    of those, 春节慰问 and 中秋慰问
  demands_resolved  demands the cadre owns that were resolved (已办结) in the quarter
  demands_overdue   demands the cadre owns that were past their deadline and still unsettled on some
                    day of the quarter (still open, or settled only after the deadline)
  projects          projects the cadre is responsible for that were under way in the quarter
  attendance        days in the village (驻村, 驻村工作队) in the quarter's months so far, against
                    ATTENDANCE_NORM_DAYS for every month the cadre was stationed
  satisfaction      call-backs of the quarter's months about the cadre's households:
                    (满意 + 基本满意) / answered
score = sum of RECORD_WEIGHTS[figure] x figure, the two rates counted 0-1 and as 1 when they do not
apply (not stationed; no household answered). A district leader (区级领导) with a 挂钩 village:
total = score x (1 - bundle + bundle x min(progress, 1)), progress = the linked weak village's
collective income of year Y / its target (the mean over several villages); everyone else: total = score.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.models import (
    Attendance,
    Cadre,
    Callback,
    Demand,
    Pairing,
    PairingKind,
    Project,
    Rank,
    Role,
    Satisfaction,
    Township,
    Unit,
    Visit,
    VisitKind,
)
from relief.scope import scoped

from .conditions import demand_condition, overlapping, project_running
from .villages import village_progress

COUNTS = ("households", "visits", "holiday_visits", "demands_resolved", "demands_overdue", "projects")
RATES = ("attendance", "satisfaction")


class _WholeDistrict:
    """Stands for 'no scope' where figures must be the same for every viewer (ranks, bundling)."""

    role = Role.ADMIN
    is_authenticated = True
    cadre_id = township_id = None


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, nxt - timedelta(days=1)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


@dataclass
class CadreRecord:
    cadre_id: int
    name: str
    unit_id: int
    unit: str
    rank: Rank
    #: townships where the cadre had a pairing during the quarter: id -> name
    townships: dict[int, str] = field(default_factory=dict)
    households: int = 0
    visits: int = 0
    holiday_visits: int = 0
    demands_resolved: int = 0
    demands_overdue: int = 0
    projects: int = 0
    attendance_days: int = 0
    #: ATTENDANCE_NORM_DAYS x months stationed; 0 when not stationed
    attendance_norm: int = 0
    callbacks_answered: int = 0
    callbacks_content: int = 0
    callbacks_unsatisfied: int = 0
    #: linked weak villages (district leaders) and their mean income progress for the year
    linked_villages: list[str] = field(default_factory=list)
    village_progress: float | None = None
    score: float = 0.0
    total: float = 0.0
    unit_rank: int = 0
    unit_size: int = 0
    #: township id -> (rank, cadres ranked)
    township_ranks: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def attendance(self) -> float | None:
        """Days in the village / days required, at most 1; None when not stationed."""
        return min(1.0, self.attendance_days / self.attendance_norm) if self.attendance_norm else None

    @property
    def satisfaction(self) -> float | None:
        return self.callbacks_content / self.callbacks_answered if self.callbacks_answered else None

    @property
    def bundled(self) -> bool:
        return self.village_progress is not None


def score_of(rec: CadreRecord, weights: dict) -> float:
    """sum of weight x figure; a rate that does not apply counts as 1."""
    total = sum(weights.get(k, 0) * getattr(rec, k) for k in COUNTS)
    for k in RATES:
        rate = getattr(rec, k)
        total += weights.get(k, 0) * (1.0 if rate is None else rate)
    return round(total, 2)


def bundle(score: float, progress: float | None, share: float) -> float:
    """捆绑考核: the score scaled by the linked village's progress (capped at 100 %)."""
    if progress is None:
        return score
    return round(score * (1 - share + share * min(progress, 1.0)), 2)


def _ranks(records: list[CadreRecord]) -> list[int]:
    """Competition ranks by total, highest first (equal totals share a rank: 1, 2, 2, 4)."""
    ordered = sorted(records, key=lambda r: -r.total)
    ranks, prev, prev_rank = {}, None, 0
    for i, r in enumerate(ordered, start=1):
        if r.total != prev:
            prev, prev_rank = r.total, i
        ranks[r.cadre_id] = prev_rank
    return [ranks[r.cadre_id] for r in records]


def _overlapping(first: date, last: date):
    return overlapping(Pairing, first, last)


def _grouped(stmt) -> dict:
    return {row[0]: row[1:] for row in db.session.execute(stmt)}


def quarter_records(user, year: int, quarter: int, today: date) -> list[CadreRecord]:
    """Every cadre's record for the quarter that `user` may see, ranked over the whole district."""
    cfg = current_app.config
    weights = cfg["RECORD_WEIGHTS"]
    first, last = quarter_bounds(year, quarter)
    overlap = _overlapping(first, last)

    # who: cadres with a pairing in the quarter or a visit dated in it
    active_ids = sa.union(sa.select(Pairing.cadre_id).where(overlap),
                          sa.select(Visit.cadre_id).where(Visit.visited_on.between(first, last))).subquery()
    roster = db.session.execute(
        sa.select(Cadre.id, Cadre.name, Cadre.unit_id, Unit.name, Cadre.rank)
        .join(Unit, Unit.id == Cadre.unit_id)
        .where(Cadre.id.in_(sa.select(active_ids.c.cadre_id))).order_by(Unit.name, Cadre.name, Cadre.id)).all()
    records = {cid: CadreRecord(cid, name, unit_id, unit, rank) for cid, name, unit_id, unit, rank in roster}
    if not records:
        return []
    for cid, tid, tname in db.session.execute(
            sa.select(Pairing.cadre_id, Pairing.township_id, Township.name).distinct()
            .join(Township, Township.id == Pairing.township_id).where(overlap)):
        records[cid].townships[tid] = tname

    households = _grouped(sa.select(Pairing.cadre_id, sa.func.count(sa.distinct(Pairing.household_id)))
                          .where(overlap, Pairing.kind == PairingKind.HOUSEHOLD).group_by(Pairing.cadre_id))
    visits = _grouped(sa.select(Visit.cadre_id, sa.func.count(), sa.func.count().filter(Visit.kind.in_(VisitKind.holiday_kinds())))
                      .where(Visit.visited_on.between(first, last)).group_by(Visit.cadre_id))
    demands = _grouped(
        sa.select(Demand.owner_id,
                  sa.func.count().filter(demand_condition("resolved", today, first, last)),
                  sa.func.count().filter(demand_condition("overdue", today, first, last)))
        .group_by(Demand.owner_id))
    projects = _grouped(sa.select(Project.responsible_cadre_id, sa.func.count())
                        .where(Project.responsible_cadre_id.is_not(None), project_running(first, last))
                        .group_by(Project.responsible_cadre_id))

    # attendance: the quarter's months that have begun; a month counts when the cadre was stationed in it
    months = [m for m in range(3 * quarter - 2, 3 * quarter + 1) if date(year, m, 1) <= today]
    stationed_months = {}
    if months:
        flags = []
        for m in months:
            m_first, m_last = date(year, m, 1), _month_end(year, m)
            flags.append(sa.func.max(sa.case((_overlapping(m_first, m_last), 1), else_=0)))
        stationed_months = {cid: sum(row) for cid, *row in db.session.execute(
            sa.select(Pairing.cadre_id, *flags).where(Pairing.kind.in_(PairingKind.stationed_kinds()), overlap)
            .group_by(Pairing.cadre_id))}
    days = _grouped(sa.select(Pairing.cadre_id, sa.func.sum(Attendance.days))
                    .join(Pairing, Pairing.id == Attendance.pairing_id)
                    .where(Pairing.kind.in_(PairingKind.stationed_kinds()), Attendance.year == year,
                           Attendance.month.in_(months or [0]))
                    .group_by(Pairing.cadre_id))
    reached = Callback.reached.is_(True)
    callbacks = _grouped(
        sa.select(Callback.cadre_id,
                  sa.func.count().filter(reached, Callback.satisfaction.is_not(None)),
                  sa.func.count().filter(reached, Callback.satisfaction.in_(Satisfaction.content())),
                  sa.func.count().filter(reached, Callback.satisfaction == Satisfaction.UNSATISFIED))
        .where(Callback.month.in_([f"{year:04d}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)]))
        .group_by(Callback.cadre_id))

    # 捆绑考核: district leaders' linked weak villages, progress for the year
    links = db.session.execute(
        sa.select(Pairing.cadre_id, Pairing.village_id).join(Cadre, Cadre.id == Pairing.cadre_id)
        .where(overlap, Pairing.kind == PairingKind.LINK, Cadre.rank == Rank.DISTRICT_LEADER)).all()
    progress = {p.id: p for p in village_progress(_WholeDistrict(), year)} if links else {}
    linked = defaultdict(list)
    for cid, vid in links:
        if vid in progress and cid in records:
            linked[cid].append(progress[vid])

    norm = cfg["ATTENDANCE_NORM_DAYS"]
    for cid, r in records.items():
        r.households = households.get(cid, (0,))[0]
        r.visits, r.holiday_visits = visits.get(cid, (0, 0))
        r.demands_resolved, r.demands_overdue = demands.get(cid, (0, 0))
        r.projects = projects.get(cid, (0,))[0]
        r.attendance_norm = norm * stationed_months.get(cid, 0)
        r.attendance_days = int(days.get(cid, (0,))[0] or 0) if r.attendance_norm else 0
        r.callbacks_answered, r.callbacks_content, r.callbacks_unsatisfied = callbacks.get(cid, (0, 0, 0))
        if linked.get(cid):
            r.linked_villages = [p.name for p in linked[cid]]
            r.village_progress = sum(p.progress for p in linked[cid]) / len(linked[cid])
        r.score = score_of(r, weights)
        r.total = bundle(r.score, r.village_progress, weights.get("bundle", 0))

    by_unit, by_township = defaultdict(list), defaultdict(list)
    for r in records.values():
        by_unit[r.unit_id].append(r)
        for tid in r.townships:
            by_township[tid].append(r)
    for group in by_unit.values():
        for r, rank in zip(group, _ranks(group)):
            r.unit_rank, r.unit_size = rank, len(group)
    for tid, group in by_township.items():
        for r, rank in zip(group, _ranks(group)):
            r.township_ranks[tid] = (rank, len(group))

    visible = _visible(user, first, last)
    return [r for r in records.values() if visible is None or r.cadre_id in visible]


def _month_end(year: int, month: int) -> date:
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def _visible(user, first: date, last: date) -> set[int] | None:
    """The cadres whose record the user may read: all, their own, or those paired in the township."""
    if user.role in (Role.ADMIN, Role.INSPECTOR):
        return None
    if user.role is Role.CADRE:
        return {user.cadre_id}
    return set(db.session.scalars(scoped(sa.select(Pairing.cadre_id).distinct(), user, Pairing)
                                  .where(_overlapping(first, last))))
