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
from datetime import date

import sqlalchemy as sa
from flask import current_app

from relief.extensions import db
from relief.filters import month_period, quarter_period
from relief.models import (
    Attendance,
    Cadre,
    Callback,
    Demand,
    Pairing,
    PairingKind,
    Project,
    Rank,
    Satisfaction,
    Township,
    Unit,
    Visit,
    VisitKind,
)
from relief.reports.conditions import demand_condition, overlapping, project_running
from relief.reports.villages import village_progress
from relief.scope import DISTRICT_WIDE, record_cadres

COUNTS = ("households", "visits", "holiday_visits", "demands_resolved", "demands_overdue", "projects")
RATES = ("attendance", "satisfaction")


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    period = quarter_period(year, quarter)
    return period.first, period.last


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


@dataclass(frozen=True)
class _Quarter:
    year: int
    quarter: int
    today: date

    @property
    def bounds(self) -> tuple[date, date]:
        return quarter_bounds(self.year, self.quarter)

    @property
    def paired(self):
        """A pairing overlapping the quarter."""
        return overlapping(Pairing, *self.bounds)

    @property
    def months(self) -> list[int]:
        return list(range(3 * self.quarter - 2, 3 * self.quarter + 1))

    @property
    def begun_months(self) -> list[int]:
        return [m for m in self.months if date(self.year, m, 1) <= self.today]


def _grouped(stmt) -> dict:
    return {row[0]: row[1:] for row in db.session.execute(stmt)}


def quarter_records(user, year: int, quarter: int, today: date) -> list[CadreRecord]:
    """Every cadre's record for the quarter that `user` may see, ranked over the whole district."""
    q = _Quarter(year, quarter, today)
    records = _roster(q)
    if not records:
        return []
    _work(records, q)
    _attendance(records, q)
    _callbacks(records, q)
    _bundling(records, q)
    weights = current_app.config["RECORD_WEIGHTS"]
    for r in records.values():
        r.score = score_of(r, weights)
        r.total = bundle(r.score, r.village_progress, weights.get("bundle", 0))
    _rank(records.values())
    visible = record_cadres(user, *q.bounds)
    return [r for r in records.values() if visible is None or r.cadre_id in visible]


def _roster(q: _Quarter) -> dict[int, CadreRecord]:
    """Who has a record: cadres with a pairing in the quarter or a visit dated in it, with the
    townships of their pairings."""
    first, last = q.bounds
    active_ids = sa.union(sa.select(Pairing.cadre_id).where(q.paired),
                          sa.select(Visit.cadre_id).where(Visit.visited_on.between(first, last))).subquery()
    roster = db.session.execute(
        sa.select(Cadre.id, Cadre.name, Cadre.unit_id, Unit.name, Cadre.rank)
        .join(Unit, Unit.id == Cadre.unit_id)
        .where(Cadre.id.in_(sa.select(active_ids.c.cadre_id))).order_by(Unit.name, Cadre.name, Cadre.id)).all()
    records = {cid: CadreRecord(cid, name, unit_id, unit, rank) for cid, name, unit_id, unit, rank in roster}
    if records:
        for cid, tid, tname in db.session.execute(
                sa.select(Pairing.cadre_id, Pairing.township_id, Township.name).distinct()
                .join(Township, Township.id == Pairing.township_id).where(q.paired)):
            records[cid].townships[tid] = tname
    return records


def _work(records: dict[int, CadreRecord], q: _Quarter) -> None:
    """Households, visits and holiday visits, demands resolved and overdue, projects."""
    first, last = q.bounds
    households = _grouped(sa.select(Pairing.cadre_id, sa.func.count(sa.distinct(Pairing.household_id)))
                          .where(q.paired, Pairing.kind == PairingKind.HOUSEHOLD).group_by(Pairing.cadre_id))
    visits = _grouped(sa.select(Visit.cadre_id, sa.func.count(),
                                sa.func.count().filter(Visit.kind.in_(VisitKind.holiday_kinds())))
                      .where(Visit.visited_on.between(first, last)).group_by(Visit.cadre_id))
    demands = _grouped(
        sa.select(Demand.owner_id,
                  sa.func.count().filter(demand_condition("resolved", q.today, first, last)),
                  sa.func.count().filter(demand_condition("overdue", q.today, first, last)))
        .group_by(Demand.owner_id))
    projects = _grouped(sa.select(Project.responsible_cadre_id, sa.func.count())
                        .where(Project.responsible_cadre_id.is_not(None), project_running(first, last))
                        .group_by(Project.responsible_cadre_id))
    for cid, r in records.items():
        r.households = households.get(cid, (0,))[0]
        r.visits, r.holiday_visits = visits.get(cid, (0, 0))
        r.demands_resolved, r.demands_overdue = demands.get(cid, (0, 0))
        r.projects = projects.get(cid, (0,))[0]


def _attendance(records: dict[int, CadreRecord], q: _Quarter) -> None:
    """Days in the village in the quarter's months that have begun, against the norm for every
    month the cadre was stationed in."""
    stationed = Pairing.kind.in_(PairingKind.stationed_kinds())
    months = q.begun_months
    stationed_months = {}
    if months:
        periods = [month_period(q.year, m) for m in months]
        flags = [sa.func.max(sa.case((overlapping(Pairing, p.first, p.last), 1), else_=0)) for p in periods]
        stationed_months = {cid: sum(row) for cid, *row in db.session.execute(
            sa.select(Pairing.cadre_id, *flags).where(stationed, q.paired).group_by(Pairing.cadre_id))}
    days = _grouped(sa.select(Pairing.cadre_id, sa.func.sum(Attendance.days))
                    .join(Pairing, Pairing.id == Attendance.pairing_id)
                    .where(stationed, Attendance.year == q.year, Attendance.month.in_(months or [0]))
                    .group_by(Pairing.cadre_id))
    norm = current_app.config["ATTENDANCE_NORM_DAYS"]
    for cid, r in records.items():
        r.attendance_norm = norm * stationed_months.get(cid, 0)
        r.attendance_days = int(days.get(cid, (0,))[0] or 0) if r.attendance_norm else 0


def _callbacks(records: dict[int, CadreRecord], q: _Quarter) -> None:
    """The call-backs of the quarter's months about the cadre's households: answered, content, not."""
    reached = Callback.reached.is_(True)
    callbacks = _grouped(
        sa.select(Callback.cadre_id,
                  sa.func.count().filter(reached, Callback.satisfaction.is_not(None)),
                  sa.func.count().filter(reached, Callback.satisfaction.in_(Satisfaction.content())),
                  sa.func.count().filter(reached, Callback.satisfaction == Satisfaction.UNSATISFIED))
        .where(Callback.month.in_([f"{q.year:04d}-{m:02d}" for m in q.months]))
        .group_by(Callback.cadre_id))
    for cid, r in records.items():
        r.callbacks_answered, r.callbacks_content, r.callbacks_unsatisfied = callbacks.get(cid, (0, 0, 0))


def _bundling(records: dict[int, CadreRecord], q: _Quarter) -> None:
    """捆绑考核: district leaders' linked weak villages and their income progress for the year,
    the same for every viewer (scope.DISTRICT_WIDE)."""
    links = db.session.execute(
        sa.select(Pairing.cadre_id, Pairing.village_id).join(Cadre, Cadre.id == Pairing.cadre_id)
        .where(q.paired, Pairing.kind == PairingKind.LINK, Cadre.rank == Rank.DISTRICT_LEADER)).all()
    progress = {p.id: p for p in village_progress(DISTRICT_WIDE, q.year)} if links else {}
    linked = defaultdict(list)
    for cid, vid in links:
        if vid in progress and cid in records:
            linked[cid].append(progress[vid])
    for cid, villages in linked.items():
        records[cid].linked_villages = [p.name for p in villages]
        records[cid].village_progress = sum(p.progress for p in villages) / len(villages)


def _rank(records) -> None:
    """Ranks within each unit and each township the cadre was paired in, over the whole district."""
    by_unit, by_township = defaultdict(list), defaultdict(list)
    for r in records:
        by_unit[r.unit_id].append(r)
        for tid in r.townships:
            by_township[tid].append(r)
    for group in by_unit.values():
        for r, rank in zip(group, _ranks(group)):
            r.unit_rank, r.unit_size = rank, len(group)
    for tid, group in by_township.items():
        for r, rank in zip(group, _ranks(group)):
            r.township_ranks[tid] = (rank, len(group))
