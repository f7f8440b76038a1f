"""Callable factories that write real rows with sensible defaults."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

from relief.extensions import db
from relief.reports.holidays import window
from relief.ids import check_digit
from relief.models import (
    Cadre,
    Demand,
    DemandStatus,
    Household,
    HouseholdStatus,
    IncomeTarget,
    MonitorCategory,
    Pairing,
    PairingKind,
    Project,
    ProjectStatus,
    ProjectType,
    Rank,
    Role,
    Township,
    Unit,
    User,
    Village,
    VillageIncome,
    Visit,
    VisitKind,
)
from relief.security import hash_password

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def valid_id(serial: int, born: date = date(1980, 5, 17)) -> str:
    body = f"320123{born:%Y%m%d}{serial % 1000:03d}"
    return body + check_digit(body)


class Factories:
    def township(self, name: str | None = None) -> Township:
        t = Township(name=name or f"测试镇{next(_seq)}")
        db.session.add(t)
        db.session.flush()
        return t

    def village(self, township: Township | None = None, name: str | None = None, is_weak: bool = False,
                lat: float | None = 33.95, lng: float | None = 118.33, target_yuan: int | None = None) -> Village:
        v = Village(township=township or self.township(), name=name or f"测试村{next(_seq)}", is_weak=is_weak,
                    lat=lat, lng=lng, target_yuan=target_yuan)
        db.session.add(v)
        db.session.flush()
        return v

    def unit(self, name: str | None = None) -> Unit:
        u = Unit(name=name or f"区测试局{next(_seq)}")
        db.session.add(u)
        db.session.flush()
        return u

    def cadre(self, name: str | None = None, unit: Unit | None = None, rank: Rank = Rank.GENERAL,
              phone: str | None = None) -> Cadre:
        n = next(_seq)
        c = Cadre(name=name or f"干部{n}", unit=unit or self.unit(), rank=rank, title="科员",
                  phone=phone or f"139{n:08d}")
        db.session.add(c)
        db.session.flush()
        return c

    def household(self, village: Village | None = None, name: str | None = None,
                  status: HouseholdStatus = HouseholdStatus.POOR, id_number: str | None = None,
                  phone: str | None = "13812345678", members: int = 3) -> Household:
        village = village or self.village()
        h = Household(village=village, township_id=village.township_id, head_name=name or f"户主{next(_seq)}",
                      id_number=id_number or valid_id(next(_seq)), phone=phone, members=members, status=status,
                      lifted_year=2024 if status is HouseholdStatus.LIFTED else None,
                      monitor_category=MonitorCategory.MARGINAL if status is HouseholdStatus.MONITORED else None)
        db.session.add(h)
        db.session.flush()
        return h

    def pairing(self, cadre: Cadre, household: Household | None = None, village: Village | None = None,
                kind: PairingKind | None = None, started_on: date | None = None, ended_on: date | None = None,
                role=None) -> Pairing:
        kind = kind or (PairingKind.HOUSEHOLD if household else PairingKind.LINK)
        village = village or household.village
        p = Pairing(kind=kind, cadre=cadre, household=household, village=village, township_id=village.township_id,
                    started_on=started_on or date(2024, 1, 1), ended_on=ended_on, role=role)
        db.session.add(p)
        db.session.flush()
        return p

    def user(self, username: str | None = None, role: Role = Role.ADMIN, township: Township | None = None,
             cadre: Cadre | None = None, password: str = PASSWORD, **kw) -> User:
        if role is Role.CADRE and cadre is None:
            cadre = self.cadre()
        if role is Role.LEADER and township is None:
            township = self.township()
        u = User(username=username or f"user{next(_seq)}", role=role, password_hash=hash_password(password),
                 township=township, cadre=cadre, **kw)
        db.session.add(u)
        db.session.flush()
        return u

    def visit(self, cadre: Cadre, household: Household | None = None, village: Village | None = None,
              visited_on: date | None = None, kind: VisitKind = VisitKind.ROUTINE, notes: str = "走访", **kw) -> Visit:
        village = village or household.village
        v = Visit(client_uuid=str(uuid.uuid4()), cadre=cadre, household=household, village=village,
                  township_id=village.township_id, kind=kind, visited_on=visited_on or date.today(), notes=notes, **kw)
        db.session.add(v)
        db.session.flush()
        return v

    def demand(self, owner: Cadre, household: Household, text: str = "屋顶漏雨", deadline: date | None = None,
               **kw) -> Demand:
        d = Demand(owner=owner, household=household, village_id=household.village_id,
                   township_id=household.township_id, text=text, raised_on=date.today(),
                   deadline=deadline or date.today() + timedelta(days=30), **kw)
        db.session.add(d)
        db.session.flush()
        return d

    def income(self, village: Village, year: int, income_yuan: int) -> VillageIncome:
        i = VillageIncome(village=village, year=year, income_yuan=income_yuan)
        db.session.add(i)
        db.session.flush()
        return i

    def commit(self) -> None:
        db.session.commit()

    def attendance(self, pairing: Pairing, year: int, month: int, days: int):
        from relief.models import Attendance

        a = Attendance(pairing=pairing, year=year, month=month, days=days)
        db.session.add(a)
        db.session.flush()
        return a

    def project(self, village: Village, name: str = "光伏电站", status: ProjectStatus = ProjectStatus.PLANNED,
                type: ProjectType = ProjectType.SOLAR, expected_income_yuan: int = 0, actual_income_yuan: int = 0,
                cadre: Cadre | None = None, **kw) -> Project:
        p = Project(village=village, township_id=village.township_id, name=name, status=status, type=type,
                    expected_income_yuan=expected_income_yuan, actual_income_yuan=actual_income_yuan,
                    responsible_cadre=cadre, **kw)
        db.session.add(p)
        db.session.flush()
        return p

    def callback(self, household: Household, cadre: Cadre, month: str, **answers):
        from relief.models import Callback

        cb = Callback(month=month, township_id=household.township_id, household=household, cadre=cadre, seed=0,
                      **answers)
        db.session.add(cb)
        db.session.flush()
        return cb

    def target(self, year: int, target_yuan: int, village: Village | None = None) -> IncomeTarget:
        t = IncomeTarget(year=year, target_yuan=target_yuan, village_id=village.id if village else None)
        db.session.add(t)
        db.session.flush()
        return t


# -- worlds: the rows several test files start from ------------------------------------------

#: visit notes a spreadsheet could take for formulas or control characters
HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"点我\")", "+1 发放慰问金", "-2 减少开支", "@SUM(A1:A9)",
           "\t制表符开头", "\r回车开头"]


def exported_year(f: Factories) -> dict:
    """Two townships, two weak villages, three paired households, a year (2025) of work."""
    t1, t2 = f.township("东镇"), f.township("西镇")
    weak1 = f.village(t1, "甲村", is_weak=True)
    weak2 = f.village(t2, "乙村", is_weak=True, target_yuan=100_000)
    plain = f.village(t1, "丙村")
    c1 = f.cadre("甲干部", phone="13900000001")
    c2 = f.cadre("乙干部", phone="13900000002", rank=Rank.DISTRICT_LEADER)
    h1 = f.household(weak1, "=cmd|' /C calc'!A0", phone="13812345678")
    h2 = f.household(plain, "户二")
    h3 = f.household(weak2, "户三")
    f.household(plain, "户四", status=HouseholdStatus.LIFTED, members=4).lifted_year = 2025
    for c, h in ((c1, h1), (c1, h2), (c2, h3)):
        f.pairing(c, h, started_on=date(2024, 1, 1))
    f.pairing(c2, village=weak1, kind=PairingKind.LINK, started_on=date(2024, 1, 1))
    sf, _ = window("spring_festival", 2025)
    ma, _ = window("mid_autumn", 2025)
    f.visit(c1, h1, visited_on=sf, kind=VisitKind.SPRING_FESTIVAL, aid_yuan=500, notes=HOSTILE[1])
    f.visit(c1, h2, visited_on=ma, kind=VisitKind.MID_AUTUMN, notes=HOSTILE[2])
    f.visit(c2, h3, visited_on=ma, kind=VisitKind.MID_AUTUMN, notes=HOSTILE[3])
    f.visit(c2, h3, visited_on=date(2024, 6, 1), notes="去年的走访")
    f.visit(c2, village=weak1, visited_on=date(2025, 5, 1), kind=VisitKind.FIELD_STAY, notes=HOSTILE[4])
    f.visit(c1, h1, visited_on=date(2025, 7, 1), notes=HOSTILE[5])
    f.visit(c1, h1, visited_on=date(2025, 8, 1), notes=HOSTILE[0])
    done = f.demand(c1, h1, text="屋顶漏雨", status=DemandStatus.RESOLVED, resolved_on=date(2025, 4, 1))
    done.raised_on = date(2025, 3, 1)
    f.demand(c2, h3, text="助学金").raised_on = date(2025, 6, 1)
    f.income(weak1, 2025, 120_000)
    f.income(weak1, 2024, 160_000)
    f.income(weak2, 2025, 100_000)
    db.session.add(Project(village_id=weak1.id, township_id=t1.id, name="=1+1 光伏电站", type=ProjectType.SOLAR,
                           status=ProjectStatus.OPERATING, started_on=date(2025, 3, 1), funding_yuan=800_000,
                           expected_income_yuan=40_000, actual_income_yuan=10_000, people_benefited=30,
                           responsible_cadre_id=c2.id))
    f.user("admin", Role.ADMIN)
    f.user("leader", Role.LEADER, township=t1)
    f.user("leader2", Role.LEADER, township=t2)
    f.user("inspector", Role.INSPECTOR)
    f.user("cad", Role.CADRE, cadre=c1)
    f.commit()
    return dict(t1=t1, t2=t2, h1=h1, h2=h2, h3=h3)
