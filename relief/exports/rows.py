"""The rows of the yearly workbook's sheets (villages, households, cadres, projects, visits, 回访).

Each function is a fixed number of GROUP BY queries over what the user may see (and,
optionally, one township); the long lists are generators streamed with yield_per so a
district's year never sits in memory. The year's definitions match reports.yearly (the 汇总
sheet): a pairing counts when it overlaps the year, a project when it ran during the year.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa

from relief.dates import to_cst
from relief.extensions import db
from relief.flags import photo_evidence
from relief.flags.services import REASON_LABELS
from relief.ids import mask_phone
from relief.monitoring import figures as monitoring_figures
from relief.models import (
    Cadre,
    Callback,
    Demand,
    Household,
    HouseholdIncome,
    Pairing,
    PairingKind,
    Project,
    Township,
    Unit,
    Village,
    VillageIncome,
    Visit,
    VisitKind,
)
from relief.reports.callbacks import mismatches
from relief.reports.conditions import demand_condition, in_township, overlapping, project_implemented
from relief.reports.villages import VillageProgress, village_progress
from relief.scope import scoped

STREAM = {"yield_per": 2000}


def _bounds(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def _pairings_in_year(year: int, township_id: int | None):
    return sa.and_(overlapping(Pairing, *_bounds(year)), in_township(Pairing.township_id, township_id))


def village_rows(user, year: int, township_id: int | None = None,
                 years: int = 3) -> tuple[list[int], list[tuple[VillageProgress, dict[int, int]]]]:
    """Weak villages with this year's progress and their income in each of the last `years` years."""
    progress = village_progress(user, year, township_id=township_id)
    span = list(range(year - years + 1, year + 1))
    weak = scoped(sa.select(Village.id).where(Village.is_weak, in_township(Village.township_id, township_id)), user, Village)
    incomes: dict[int, dict[int, int]] = {}
    for vid, y, income in db.session.execute(
            sa.select(VillageIncome.village_id, VillageIncome.year, VillageIncome.income_yuan)
            .where(VillageIncome.year.in_(span), VillageIncome.village_id.in_(weak))):
        incomes.setdefault(vid, {})[y] = income
    return span, [(p, incomes.get(p.id, {})) for p in progress]


def household_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Every household paired during the year: its cadres, visits, holiday visits, demands, income."""
    first, last = _bounds(year)
    pairs = scoped(sa.select(Pairing.household_id, Pairing.cadre_id)
                   .where(Pairing.kind == PairingKind.HOUSEHOLD, _pairings_in_year(year, township_id)), user,
                   Pairing).distinct().subquery()
    cadres = (sa.select(pairs.c.household_id, sa.func.aggregate_strings(Cadre.name, "、").label("names"))
              .join(Cadre, Cadre.id == pairs.c.cadre_id).group_by(pairs.c.household_id).subquery())
    visits = (sa.select(Visit.household_id, sa.func.count().label("n"),
                        sa.func.count().filter(Visit.kind.in_(VisitKind.holiday_kinds())).label("holiday"))
              .where(Visit.household_id.is_not(None), Visit.visited_on.between(first, last),
                     in_township(Visit.township_id, township_id))
              .group_by(Visit.household_id).subquery())
    raised = demand_condition("all", last, first, last)
    resolved = demand_condition("resolved", last, first, last)
    demands = (sa.select(Demand.household_id, sa.func.count().filter(raised).label("raised"),
                         sa.func.count().filter(resolved).label("resolved"))
               .where(Demand.household_id.is_not(None), sa.or_(raised, resolved))
               .group_by(Demand.household_id).subquery())
    income = (sa.select(HouseholdIncome.household_id, HouseholdIncome.per_capita_yuan)
              .where(HouseholdIncome.year == year).subquery())
    stmt = (sa.select(Township.name.label("township"), Village.name.label("village"), Household.head_name,
                      Household.id_number, Household.phone, Household.members, Household.cause, Household.status,
                      Household.monitor_category, Household.lifted_year, cadres.c.names.label("cadres"),
                      sa.func.coalesce(visits.c.n, 0).label("visits"),
                      sa.func.coalesce(visits.c.holiday, 0).label("holiday_visits"),
                      sa.func.coalesce(demands.c.raised, 0).label("demands"),
                      sa.func.coalesce(demands.c.resolved, 0).label("resolved"),
                      income.c.per_capita_yuan.label("income"))
            .select_from(Household)
            .join(cadres, cadres.c.household_id == Household.id)
            .join(Village, Village.id == Household.village_id)
            .join(Township, Township.id == Household.township_id)
            .outerjoin(visits, visits.c.household_id == Household.id)
            .outerjoin(demands, demands.c.household_id == Household.id)
            .outerjoin(income, income.c.household_id == Household.id)
            .order_by(Township.name, Village.name, Household.head_name, Household.id))
    yield from db.session.execute(scoped(stmt, user, Household), execution_options=STREAM)


_KIND_LABEL = sa.case((Pairing.kind == PairingKind.LINK, "挂钩"), (Pairing.kind == PairingKind.STATIONED, "驻村"),
                      else_="驻村工作队")


def cadre_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Every cadre with a pairing during the year: households, villages, visits, demands resolved."""
    first, last = _bounds(year)
    in_year = _pairings_in_year(year, township_id)
    base = scoped(sa.select(Pairing.cadre_id).where(in_year), user, Pairing).distinct().subquery()
    households = scoped(sa.select(Pairing.cadre_id, sa.func.count(sa.distinct(Pairing.household_id)).label("n"))
                        .where(in_year, Pairing.kind == PairingKind.HOUSEHOLD), user, Pairing) \
        .group_by(Pairing.cadre_id).subquery()
    place_rows = scoped(sa.select(Pairing.cadre_id, (Village.name + "（" + _KIND_LABEL + "）").label("place"))
                        .join(Village, Village.id == Pairing.village_id)
                        .where(in_year, Pairing.kind != PairingKind.HOUSEHOLD), user, Pairing).distinct().subquery()
    places = (sa.select(place_rows.c.cadre_id, sa.func.aggregate_strings(place_rows.c.place, "、").label("places"))
              .group_by(place_rows.c.cadre_id).subquery())
    visits = scoped(sa.select(Visit.cadre_id, sa.func.count().label("n"))
                    .where(Visit.visited_on.between(first, last), in_township(Visit.township_id, township_id)), user, Visit) \
        .group_by(Visit.cadre_id).subquery()
    raised = demand_condition("all", last, first, last)
    resolved = demand_condition("resolved", last, first, last)
    demands = scoped(sa.select(Demand.owner_id, sa.func.count().filter(raised).label("raised"),
                               sa.func.count().filter(resolved).label("resolved"))
                     .where(sa.or_(raised, resolved), in_township(Demand.township_id, township_id)), user, Demand) \
        .group_by(Demand.owner_id).subquery()
    stmt = (sa.select(Cadre.name, Unit.name.label("unit"), Cadre.title, Cadre.rank, Cadre.phone,
                      sa.func.coalesce(households.c.n, 0).label("households"), places.c.places,
                      sa.func.coalesce(visits.c.n, 0).label("visits"),
                      sa.func.coalesce(demands.c.raised, 0).label("demands"),
                      sa.func.coalesce(demands.c.resolved, 0).label("resolved"))
            .select_from(Cadre)
            .join(base, base.c.cadre_id == Cadre.id)
            .join(Unit, Unit.id == Cadre.unit_id)
            .outerjoin(households, households.c.cadre_id == Cadre.id)
            .outerjoin(places, places.c.cadre_id == Cadre.id)
            .outerjoin(visits, visits.c.cadre_id == Cadre.id)
            .outerjoin(demands, demands.c.owner_id == Cadre.id)
            .order_by(Unit.name, Cadre.name, Cadre.id))
    yield from db.session.execute(stmt, execution_options=STREAM)


def project_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Projects under way at some point of the year (as 帮扶项目数 counts them)."""
    first, last = _bounds(year)
    stmt = (sa.select(Township.name.label("township"), Village.name.label("village"), Project.name, Project.type,
                      Project.status, Cadre.name.label("cadre"), Project.funding_source, Project.funding_yuan,
                      Project.started_on, Project.finished_on, Project.expected_income_yuan,
                      Project.actual_income_yuan, Project.households_benefited, Project.people_benefited)
            .join(Village, Village.id == Project.village_id)
            .join(Township, Township.id == Project.township_id)
            .outerjoin(Cadre, Cadre.id == Project.responsible_cadre_id)
            .where(project_implemented(first, last), in_township(Project.township_id, township_id))
            .order_by(Township.name, Village.name, Project.name, Project.id))
    yield from db.session.execute(scoped(stmt, user, Project), execution_options=STREAM)


def visit_rows(user, year: int, township_id: int | None = None) -> Iterator[sa.Row]:
    """Every visit of the year in date order."""
    first, last = _bounds(year)
    stmt = (sa.select(Visit.visited_on, Township.name.label("township"), Village.name.label("village"),
                      Household.head_name, Cadre.name.label("cadre"), Visit.kind, Visit.aid_yuan, Visit.notes,
                      Visit.recorded_at, Visit.id)
            .join(Village, Village.id == Visit.village_id)
            .join(Township, Township.id == Visit.township_id)
            .join(Cadre, Cadre.id == Visit.cadre_id)
            .outerjoin(Household, Household.id == Visit.household_id)
            .where(Visit.visited_on.between(first, last), in_township(Visit.township_id, township_id))
            .order_by(Visit.visited_on, Visit.id))
    # through the session's connection (Core rows): a year's visits skip the ORM's row processing
    yield from db.session.connection().execution_options(**STREAM).execute(scoped(stmt, user, Visit))


def longest_sheet(user, year: int, township_id: int | None = None) -> int:
    """The rows of the longest sheets (走访记录 and 结对帮扶户), counted before anything is written."""
    first, last = _bounds(year)
    visits = db.session.scalar(scoped(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.visited_on.between(first, last), in_township(Visit.township_id, township_id)), user, Visit))
    households = db.session.scalar(sa.select(sa.func.count()).select_from(
        scoped(sa.select(Pairing.household_id).where(Pairing.kind == PairingKind.HOUSEHOLD,
                                                      _pairings_in_year(year, township_id)), user,
               Pairing).distinct().subquery()))
    return max(visits or 0, households or 0)


def photo_flag_notes(year: int, township_id: int | None = None) -> dict[int, str]:
    """The photo flags of the year's visits as the 走访记录 sheet's 照片疑点 cell, by visit id (for
    scope.FLAG_READERS only: the caller checks). Chinese in every language, like the sheet's labels."""
    notes: dict[int, list[str]] = {}
    for vid, _uuid, details in photo_evidence.reused_photos(year, township_id):
        earlier = sorted({(r.earlier_visited_on, r.earlier_visit_id) for r in details["reused"]})
        notes.setdefault(vid, []).append(
            REASON_LABELS["reused_photo"] + "（" + "、".join(f"{day.isoformat()} 走访#{i}" for day, i in earlier) + "）")
    for vid, _uuid, details in photo_evidence.photo_date_mismatches(year, township_id):
        notes.setdefault(vid, []).append(f"照片拍摄日期与走访日期相差{max(g.days_apart for g in details['date_gaps'])}天")
    return {vid: "；".join(parts) for vid, parts in notes.items()}


SHEET_HEADERS = ["月份", "乡镇", "村", "户主姓名", "联系电话", "帮扶干部", "干部单位", "回访时间", "是否接通",
                 "干部近三个月是否走访", "自述走访次数", "诉求是否解决", "满意度", "备注", "与走访记录不符",
                 "记录的走访日期"]


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("是" if value else "否")


def callback_sheet(user, year: int, township_id: int | None = None, *,
                   full_ids: bool = False) -> tuple[list[str], Iterator[list]]:
    """The export's 回访 sheet for a year: its headers and one row per sampled household.

    Phones are masked unless full_ids. Text cells are plain str (the writer must write them as
    text); counts are int; an unanswered question is an empty string.
    """
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    stmt = (scoped(sa.select(Callback.id, Callback.month, Township.name, Village.name, Household.head_name,
                             Household.phone, Cadre.name, Unit.name, Callback.called_at, Callback.reached,
                             Callback.cadre_visited, Callback.visits_claimed, Callback.demand_resolved,
                             Callback.satisfaction, Callback.remark), user, Callback)
            .join(Household, Household.id == Callback.household_id)
            .join(Village, Village.id == Household.village_id)
            .join(Township, Township.id == Callback.township_id)
            .join(Cadre, Cadre.id == Callback.cadre_id)
            .join(Unit, Unit.id == Cadre.unit_id)
            .where(Callback.month.in_(months))
            .order_by(Callback.month, Township.name, Village.name, Household.head_name, Callback.id))
    if township_id:
        stmt = stmt.where(Callback.township_id == township_id)
    found = {m.callback.id: m for m in mismatches(user, months, township_id)}

    def rows() -> Iterator[list]:
        for (cid, month, township, village, head, phone, cadre, unit, called_at, reached, visited, claimed,
             resolved, satisfaction, remark) in db.session.execute(stmt.execution_options(yield_per=1000)):
            m = found.get(cid)
            yield [month, township, village, head, (phone or "") if full_ids else mask_phone(phone), cadre, unit,
                   to_cst(called_at).strftime("%Y-%m-%d %H:%M") if called_at else "", _yes_no(reached),
                   visited.zh if visited else "", claimed if claimed is not None else "",
                   resolved.zh if resolved else "", satisfaction.zh if satisfaction else "", remark or "",
                   "是" if m else "", "、".join(v.visited_on.isoformat() for v in m.visits) if m else ""]

    return list(SHEET_HEADERS), rows()


# -- 监测对象 (issue 16): the rows are monitoring.figures', so the sheet and the pages agree -----------

MONITORED_HEADERS = monitoring_figures.MONITORED_SHEET_HEADERS
#: widths and kinds of the 监测对象 sheet's columns (others: 12 wide, text)
MONITORED_COLS = {"户主姓名": (10,), "身份证号": (21,), "家庭人口": (9, "int"), "劳动力人数": (10, "int"),
                  "监测类别": (14,), "风险类型": (16,), "纳入日期": (12, "date"), "帮扶措施": (30,),
                  "已落实措施": (10, "int"), "风险消除日期": (12, "date"), "人均纯收入(元)": (14, "yuan"),
                  "收入年度": (9, "int"), "监测范围(元)": (12, "yuan")}


def monitored_rows(user, year: int, township_id: int | None = None, full_ids: bool = False) -> Iterator[tuple]:
    """The 监测对象 sheet: every household monitored at some time in the year (ID numbers masked
    unless full_ids); empty cells are None, as on the other sheets."""
    for row in monitoring_figures.monitored_sheet_rows(user, year, township_id, full_ids):
        yield tuple(None if v == "" else v for v in row)
