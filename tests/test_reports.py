"""The shared aggregate figures, against a small hand-built district."""
from datetime import date

import pytest

from relief import reports
from relief.reports.holidays import window
from relief.models import HouseholdStatus, PairingKind, ProjectStatus, ProjectType, Role, VisitKind


@pytest.fixture
def district(f, app):
    t1, t2 = f.township("东镇"), f.township("西镇")
    weak1 = f.village(t1, "甲村", is_weak=True)
    weak2 = f.village(t2, "乙村", is_weak=True, target_yuan=100_000)
    plain = f.village(t1, "丙村")
    c1, c2 = f.cadre("甲"), f.cadre("乙")
    h1, h2, h3 = f.household(weak1, "户一"), f.household(plain, "户二"), f.household(weak2, "户三")
    f.household(plain, "户四", status=HouseholdStatus.LIFTED, members=4).lifted_year = 2025
    for c, h in ((c1, h1), (c1, h2), (c2, h3)):
        f.pairing(c, h, started_on=date(2024, 1, 1))
    f.pairing(c2, village=weak1, kind=PairingKind.LINK)
    sf_start, _ = window("spring_festival", 2025)
    ma_start, _ = window("mid_autumn", 2025)
    f.visit(c1, h1, visited_on=sf_start, kind=VisitKind.SPRING_FESTIVAL, aid_yuan=500)
    f.visit(c1, h2, visited_on=ma_start, kind=VisitKind.MID_AUTUMN)
    f.visit(c2, h3, visited_on=ma_start, kind=VisitKind.MID_AUTUMN)
    f.visit(c2, h3, visited_on=date(2024, 6, 1))  # another year
    f.income(weak1, 2025, 120_000)  # 80 % of the default 150,000
    f.income(weak2, 2025, 100_000)  # 100 % of its own 100,000
    from relief.extensions import db
    from relief.models import Project

    db.session.add(Project(village_id=weak1.id, township_id=t1.id, name="光伏", type=ProjectType.SOLAR,
                           status=ProjectStatus.OPERATING, started_on=date(2025, 3, 1), expected_income_yuan=40_000,
                           actual_income_yuan=10_000, people_benefited=30))
    admin = f.user("admin", Role.ADMIN)
    leader = f.user("leader", Role.LEADER, township=t1)
    f.commit()
    return dict(t1=t1, t2=t2, weak1=weak1, weak2=weak2, admin=admin, leader=leader, c1=c1)


def test_holiday_coverage_by_township(district):
    sf = {c.key: (c.paired, c.covered) for c in reports.holiday_coverage(district["admin"], 2025,
                                                                           "spring_festival", by="township")}
    assert sf == {district["t1"].id: (2, 1), district["t2"].id: (1, 0)}
    [whole] = reports.holiday_coverage(district["admin"], 2025, "mid_autumn")
    assert (whole.paired, whole.covered) == (3, 2)


def test_village_progress_bands_and_projection(district):
    rows = {p.name: p for p in reports.village_progress(district["admin"], 2025)}
    assert set(rows) == {"甲村", "乙村"}
    assert rows["甲村"].progress == pytest.approx(0.8) and rows["甲村"].band == "orange"
    assert rows["甲村"].projected_yuan == 150_000 and rows["甲村"].leader == "乙"
    assert rows["乙村"].target_yuan == 100_000 and rows["乙村"].band == "green" and rows["乙村"].reached


def test_village_progress_is_scoped(district):
    assert [p.name for p in reports.village_progress(district["leader"], 2025)] == ["甲村"]


def test_year_figures(district):
    fig = reports.year_figures(district["admin"], 2025)
    assert (fig.weak_villages, fig.villages_at_target, fig.paired_households, fig.visits) == (2, 1, 3, 3)
    assert fig.spring_festival_coverage == pytest.approx(1 / 3)
    assert fig.mid_autumn_coverage == pytest.approx(2 / 3)
    assert (fig.projects, fig.project_beneficiaries, fig.people_lifted, fig.aid_yuan) == (1, 30, 4, 500)
    assert fig.cadres == 2
    east = reports.year_figures(district["admin"], 2025, township_id=district["t1"].id)
    assert (east.weak_villages, east.paired_households, east.visits) == (1, 2, 2)
    assert east.spring_festival_coverage == pytest.approx(0.5)
