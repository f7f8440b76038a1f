"""Helpers shared by the 防返贫 monitoring tests: a small district, incomes, lines, cases at a step."""
from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from relief.dates import today
from relief.extensions import db
from relief.models import (
    HouseholdIncome,
    HouseholdStatus,
    LeadSource,
    MonitorCase,
    MonitorLine,
    PairingKind,
    RiskLead,
    Role,
)

CHECK_NAMES = ("check_food_clothing", "check_education", "check_medical", "check_housing", "check_water")


@pytest.fixture
def w(f):
    """The district of `world`, for the tests that need nothing more."""
    return world(f)


def world(f):
    """Two townships. 东镇 has 东村 (stationed cadre 驻村甲) with 张一 (paired with 帮扶甲) and 张二
    (no cadre); 西镇 has 西村 with 李三 (paired with 帮扶乙). Logins for each role."""
    t1, t2 = f.township("东镇"), f.township("西镇")
    v1, v2 = f.village(t1, "东村", is_weak=True), f.village(t2, "西村")
    c1, c2, stationed = f.cadre("帮扶甲"), f.cadre("帮扶乙"), f.cadre("驻村甲")
    h1 = f.household(v1, "张一", status=HouseholdStatus.LIFTED, phone="13800000001")
    h1b = f.household(v1, "张二", status=HouseholdStatus.LIFTED, phone="13800000002")
    h2 = f.household(v2, "李三", status=HouseholdStatus.LIFTED, phone="13800000003")
    f.pairing(c1, h1)
    f.pairing(c2, h2)
    f.pairing(stationed, village=v1, kind=PairingKind.STATIONED)
    users = {
        "cadre1": f.user("cadre1", Role.CADRE, cadre=c1),
        "cadre2": f.user("cadre2", Role.CADRE, cadre=c2),
        "stationed_user": f.user("stationed", Role.CADRE, cadre=stationed),
        "leader1": f.user("leader1", Role.LEADER, township=t1),
        "leader2": f.user("leader2", Role.LEADER, township=t2),
        "inspector": f.user("inspector", Role.INSPECTOR),
        "admin": f.user("admin", Role.ADMIN),
    }
    f.commit()
    return SimpleNamespace(t1=t1, t2=t2, v1=v1, v2=v2, c1=c1, c2=c2, stationed=stationed, h1=h1, h1b=h1b, h2=h2,
                           **users)


def scanned_world(f):
    """world(f) with this year's line at 6,900 元: h1, h1b and h2 earn 5,000 元 and h2's water check
    failed, then the rules have run (leads.scan)."""
    from relief.monitoring import leads

    w = world(f)
    year = today().year
    line(year, 6900)
    for h in (w.h1, w.h1b, w.h2):
        income(h, year, 5000)
    w.h2.check_water = False
    leads.scan(today())
    db.session.commit()
    return w


def income(household, year: int, yuan: int) -> None:
    db.session.add(HouseholdIncome(household_id=household.id, year=year, per_capita_yuan=yuan))
    db.session.flush()


def line(year: int, yuan: int) -> None:
    db.session.add(MonitorLine(year=year, yuan=yuan))
    db.session.flush()


def secure(household, working_age: int = 1) -> None:
    for name in CHECK_NAMES:
        setattr(household, name, True)
    household.checks_on = today()
    household.working_age_members = working_age
    db.session.flush()


def home_checked_today(case, cadre) -> None:
    """The case's home check recorded today with every guarantee met (a step done minutes after
    it began: what the inspector's list calls too fast)."""
    from relief.models import CHECKS
    from relief.monitoring import cases

    cases.record_home_check(case, cases.HomeCheck(
        done_on=today(), checks=dict.fromkeys((name for name, _ in CHECKS), True), members=3,
        working_age_members=1, notes="看了", at_risk=True), cadre, today())
    db.session.commit()


def leads_of(household, source: LeadSource | None = None) -> list[RiskLead]:
    stmt = sa.select(RiskLead).where(RiskLead.household_id == household.id)
    if source:
        stmt = stmt.where(RiskLead.source == source)
    return db.session.scalars(stmt.order_by(RiskLead.id)).all()


def case_of(household) -> MonitorCase | None:
    return db.session.scalar(sa.select(MonitorCase).where(MonitorCase.household_id == household.id)
                             .order_by(MonitorCase.id.desc()))


def monitored_case(f, w, household=None, months_ago: int = 7, measure_done: bool = True, kind=None,
                   working_age: int = 1):
    """A case of `household` (张一 by default) included `months_ago` months ago with one measure,
    carried out unless told otherwise; the household's checks secure."""
    from relief.models import Measure, MeasureKind, MonitorCategory, MonitorStep, utcnow

    household = household or w.h1
    included = today() - timedelta(days=31 * months_ago)
    case = MonitorCase(household=household, township_id=household.township_id, village_id=household.village_id,
                       subject_name=household.head_name, step=MonitorStep.MONITORED, step_began_at=utcnow(),
                       opened_on=included - timedelta(days=20), included_on=included,
                       category=MonitorCategory.SUDDEN, risk_types=["illness"], holder_cadre_id=w.c1.id)
    db.session.add(case)
    db.session.flush()
    db.session.add(Measure(case=case, township_id=case.township_id, kind=kind or MeasureKind.HEALTH,
                           cadre_id=w.c1.id, started_on=included,
                           done_on=included + timedelta(days=30) if measure_done else None))
    household.status, household.monitor_category = HouseholdStatus.MONITORED, MonitorCategory.SUDDEN
    household.monitor_identified_on = included
    secure(household, working_age)
    db.session.flush()
    return case


def d(text: str) -> date:
    return date.fromisoformat(text)
