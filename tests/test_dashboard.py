"""The dashboard against a hand-counted district: every figure, its scope, and the list behind it."""
import re
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

import pytest

from relief.dates import today
from relief.extensions import db
from relief.reports.holidays import window
from relief.models import (
    Attendance,
    DemandStatus,
    HouseholdStatus,
    PairingKind,
    ProjectStatus,
    Role,
    VisitKind,
)
from relief.dashboard.cadres import cadre_table
from relief.reports import conditions, dashboard

YEAR = today().year - 1  # every holiday window of that year is over, whenever the tests run


@pytest.fixture
def district(f, app):
    now = today()
    east, west = f.township("东镇"), f.township("西镇")
    w1 = f.village(east, "甲村", is_weak=True)
    w2 = f.village(east, "乙村", is_weak=True, target_yuan=100_000)
    w3 = f.village(west, "丙村", is_weak=True)
    plain = f.village(east, "丁村")
    c1, c2, c3 = f.cadre("一号"), f.cadre("二号"), f.cadre("三号")
    h1 = f.household(w1, "户一")  # poor, paired, visited 10 days ago
    h2 = f.household(w2, "户二", status=HouseholdStatus.MONITORED)  # paired, visited 45 days ago: due
    h3 = f.household(plain, "户三")  # paired, never visited: overdue
    f.household(plain, "户四")  # poor and not paired
    h5 = f.household(plain, "户五", status=HouseholdStatus.LIFTED)  # lifted, paired, visited 100 days ago
    h6 = f.household(w3, "户六")  # the other township
    for c, h in ((c1, h1), (c1, h2), (c2, h3), (c2, h5), (c3, h6)):
        f.pairing(c, h, started_on=date(YEAR - 1, 1, 1))
    visits = [f.visit(c1, h1, visited_on=now - timedelta(days=10)),
              f.visit(c1, h2, visited_on=now - timedelta(days=45)),
              f.visit(c2, h5, visited_on=now - timedelta(days=100)),
              f.visit(c3, h6, visited_on=now - timedelta(days=5)),
              f.visit(c1, h1, visited_on=date(YEAR, 3, 15)),
              f.visit(c1, h2, visited_on=date(YEAR, 3, 20))]
    sf, ma = window("spring_festival", YEAR)[0], window("mid_autumn", YEAR)[0]
    visits += [f.visit(c1, h1, visited_on=sf, kind=VisitKind.SPRING_FESTIVAL),
               f.visit(c3, h6, visited_on=sf, kind=VisitKind.SPRING_FESTIVAL),
               f.visit(c1, h2, visited_on=ma, kind=VisitKind.MID_AUTUMN)]
    for d, kw in ((now + timedelta(days=5), {}), (now - timedelta(days=1), {}),
                  (now - timedelta(days=3), {"status": DemandStatus.IN_PROGRESS}),
                  (now, {"status": DemandStatus.RESOLVED, "resolved_on": date(YEAR, 6, 1)}),
                  (now, {"status": DemandStatus.RESOLVED, "resolved_on": date(YEAR - 1, 6, 1)}),
                  (now - timedelta(days=9), {"status": DemandStatus.CANNOT_RESOLVE, "reason": "政策不允许"})):
        f.demand(c1, h1, deadline=d, **kw)
    f.demand(c3, h6, deadline=now - timedelta(days=2))
    f.income(w1, YEAR, 150_000)  # reached
    f.income(w2, YEAR, 50_000)  # 50 % of its own 100,000: red
    f.income(w3, YEAR, 95_000)  # 63 %: orange
    for v, status in ((w1, ProjectStatus.PLANNED), (w1, ProjectStatus.BUILDING), (w2, ProjectStatus.BUILDING),
                      (w2, ProjectStatus.OPERATING), (w3, ProjectStatus.COMPLETED)):
        f.project(v, status=status)
    c4, c5, c6, c7 = f.cadre("驻村甲"), f.cadre("队员乙"), f.cadre("已离任"), f.cadre("驻村丙")
    stationed = f.pairing(c4, village=w1, kind=PairingKind.STATIONED)
    team = f.pairing(c5, village=w1, kind=PairingKind.TEAM)
    ended = f.pairing(c6, village=w1, kind=PairingKind.STATIONED, ended_on=date(YEAR, 3, 1))
    other = f.pairing(c7, village=w3, kind=PairingKind.STATIONED)
    for p, days in ((stationed, (22, 18, 25)), (team, (20, 21)), (ended, (10,)), (other, (5,))):
        for month, n in enumerate(days, start=1):
            db.session.add(Attendance(pairing_id=p.id, year=YEAR, month=month, days=n))
    leader = f.user("leader", Role.LEADER, township=east)
    f.user("admin", Role.ADMIN)
    f.user("inspector", Role.INSPECTOR)
    f.commit()
    return dict(east=east, west=west, leader=leader, visits=visits, c1=c1, c2=c2, c4=c4)


def test_every_figure_of_a_township_matches_the_hand_count(district):
    o = dashboard.overview(district["leader"], YEAR, today())
    h = o.households
    assert (h.needing, h.needing_paired, h.paired, h.visited_30, h.visited_90, h.overdue) == (4, 3, 4, 1, 2, 2)
    assert h.paired_rate == pytest.approx(0.75) and h.visited_rate(30) == 0.25 and h.visited_rate(90) == 0.5
    sf, ma = o.holidays
    assert (sf.kind, sf.paired, sf.covered) == ("spring_festival", 4, 1)
    assert (ma.kind, ma.paired, ma.covered) == ("mid_autumn", 4, 1)
    assert (o.demands.open, o.demands.overdue, o.demands.resolved) == (3, 2, 1)
    assert (o.villages.weak, o.villages.reached, o.villages.red) == (2, 1, 1)
    assert o.projects == {ProjectStatus.PLANNED: 1, ProjectStatus.BUILDING: 2, ProjectStatus.COMPLETED: 0,
                          ProjectStatus.OPERATING: 1}
    a = o.attendance
    assert (a.months, a.months_met, a.cadres_below) == (6, 4, 1)
    expected = Counter(v.visited_on.month for v in district["visits"]
                       if v.visited_on.year == YEAR and v.township_id == district["east"].id)
    assert o.months == [expected.get(m, 0) for m in range(1, 13)]


def test_the_district_figures_and_the_drill_down(district, app):
    from sqlalchemy import select

    from relief.models import User

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    o = dashboard.overview(admin, YEAR, today())
    h = o.households
    assert (h.needing, h.needing_paired, h.paired, h.visited_30, h.visited_90, h.overdue) == (5, 4, 5, 2, 3, 2)
    assert [(x.paired, x.covered) for x in o.holidays] == [(5, 2), (5, 1)]
    assert (o.demands.open, o.demands.overdue, o.demands.resolved) == (4, 3, 1)
    assert (o.villages.weak, o.villages.reached, o.villages.red) == (3, 1, 1)
    assert (o.attendance.months, o.attendance.months_met, o.attendance.cadres_below) == (7, 4, 2)
    assert sum(o.months) == sum(1 for v in district["visits"] if v.visited_on.year == YEAR)
    rows = {r.name: r for r in dashboard.township_rows(admin, YEAR, today())}
    assert set(rows) == {"东镇", "西镇"}
    west = rows["西镇"]
    assert (west.households.needing, west.households.visited_30, west.demands.overdue) == (1, 1, 1)
    assert [(x.paired, x.covered) for x in west.holidays] == [(1, 1), (1, 0)]
    assert (west.villages.weak, west.villages.reached) == (1, 0)
    narrowed = dashboard.overview(admin, YEAR, today(), district["west"].id)
    assert replace(narrowed.households, key=west.id) == west.households
    assert replace(narrowed.demands, key=west.id) == west.demands


def test_the_cadre_table_sorts_and_counts(district):
    rows, total = cadre_table(district["leader"], YEAR, today(), sort="overdue")
    assert total == 4  # 一号, 二号 with households; 驻村甲, 队员乙 stationed; not the one who left
    assert [(r.name, r.households, r.overdue) for r in rows[:2]] == [("二号", 2, 2), ("一号", 2, 0)]
    one = next(r for r in rows if r.name == "一号")
    assert one.last_visit == today() - timedelta(days=10)
    assert one.visits_year == sum(1 for v in district["visits"]
                                  if v.cadre_id == district["c1"].id and v.visited_on.year == YEAR)
    by_name, _ = cadre_table(district["leader"], YEAR, today(), sort="name", descending=False)
    assert [r.name for r in by_name] == sorted(r.name for r in by_name)
    page2, total = cadre_table(district["leader"], YEAR, today(), per_page=3, page=2)
    assert len(page2) == 1 and total == 4


def _numbers_and_links(html: str) -> set[tuple[str, str]]:
    """(href, link text) of every link on the page."""
    return {(m.group(1).replace("&amp;", "&"), re.sub(r"<[^>]+>", "", m.group(2)).strip())
            for m in re.finditer(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)}


def _list_total(client, href: str) -> int:
    html = client.get(href).get_data(as_text=True)
    return int(re.search(r'data-total="(\d+)"', html).group(1))


def test_every_number_on_the_page_links_to_a_list_of_that_many(client, auth, district):
    auth.login("leader")
    html = client.get(f"/dashboard?year={YEAR}").get_data(as_text=True)
    assert "东镇 · 工作看板" in html and "西镇" not in html
    links = _numbers_and_links(html)
    tid = district["east"].id
    expected = {  # href: (number shown, length of the list behind it)
        f"/households/?need=1&paired=0&township={tid}": ("1", 1),
        f"/households/?need=1&paired=1&township={tid}": ("75%", 3),
        f"/households/?visited=30&township={tid}": ("25%", 1),
        f"/households/?visited=90&township={tid}": ("50%", 2),
        f"/households/?due=overdue&township={tid}": ("2", 2),
        f"/households/?holiday=spring_festival&year={YEAR}&covered=0&township={tid}": ("3", 3),
        f"/demands/?status=overdue&township={tid}": ("2", 2),
        f"/demands/?status=resolved&period={YEAR}&township={tid}": ("1", 1),
        f"/visits/?period={YEAR}-03&township={tid}": ("2", 2),
        f"/households/?holiday=mid_autumn&year={YEAR}&covered=1&township={tid}": ("25%", 1),
        f"/villages/?weak=1&band=green&year={YEAR}&township={tid}": ("1", 1),
        f"/villages/?weak=1&band=red&year={YEAR}&township={tid}": ("1", 1),
        f"/projects/?status=building&township={tid}": ("2", 2),
        f"/cadres/?attendance=below&year={YEAR}&township={tid}": ("1", 1),
        f"/households/?cadre={district['c2'].id}&due=overdue&township={tid}": ("2", 2),
    }
    for href, (shown, count) in expected.items():
        assert (href, shown) in links, href
        assert _list_total(client, href) == count, href


def test_a_leader_sees_only_the_own_township(client, auth, district):
    auth.login("leader")
    assert client.get(f"/dashboard?township={district['west'].id}").status_code == 404
    assert client.get("/dashboard?township=西镇").status_code == 404
    assert client.get(f"/dashboard?township={district['east'].id}").status_code == 200
    for path in ("households", "villages", "projects", "cadres", "demands", "visits"):
        # a list narrowed to a township the leader may not see is a 404, like the township itself
        assert client.get(f"/{path}/?township={district['west'].id}").status_code == 404, path
        assert client.get(f"/{path}/?township={district['east'].id}").status_code == 200, path


def test_the_district_office_drills_down_by_township(client, auth, district):
    auth.login("inspector")
    html = client.get(f"/dashboard?year={YEAR}").get_data(as_text=True)
    assert "全区 · 工作看板" in html
    assert f'href="/dashboard?township={district["west"].id}&amp;year={YEAR}"' in html
    html = client.get(f"/dashboard?township={district['west'].id}&year={YEAR}").get_data(as_text=True)
    assert "西镇 · 工作看板" in html and "户一" not in html
    assert client.get("/dashboard?township=99999").status_code == 404


def test_a_cadre_has_no_dashboard(client, auth, f, district):
    f.user("cad", Role.CADRE, cadre=district["c1"])
    f.commit()
    auth.login("cad")
    assert client.get("/dashboard").status_code == 403


def test_a_bad_year_says_so_and_shows_this_year(client, auth, district):
    auth.login("leader")
    html = client.get("/dashboard?year=abc").get_data(as_text=True)
    assert "年度“abc”无效" in html and f"{today().year} 年" in html


def test_the_cadre_table_sorts_by_query_parameter(client, auth, district):
    auth.login("leader")
    html = client.get("/dashboard?sort=name&dir=asc").get_data(as_text=True)
    names = re.findall(r'<a[^>]* href="/cadres/\d+">([^<]+)</a><div', html)
    assert names == sorted(names) and len(names) == 4
    assert 'aria-sort="ascending"' in html


def test_the_district_figures_summed_from_the_townships_are_the_district_figures(district, app):
    from sqlalchemy import select

    from relief.models import User

    admin = db.session.scalar(select(User).where(User.username == "admin"))
    queried = dashboard.overview(admin, YEAR, today())
    summed = dashboard.overview(admin, YEAR, today(), rows=dashboard.township_rows(admin, YEAR, today()))
    assert summed == queried
    assert summed.households.needing == 5  # not an empty sum


def test_an_old_visit_before_a_new_pairing_is_still_the_last_contact(f, app):
    """Overdue follows the latest visit, however old, before the start of the pairing: a household
    paired ten days ago whose last visit was 120 days ago is overdue; one never visited is not yet."""
    from sqlalchemy import func, select

    from relief.models import Household

    now = today()
    town = f.township("新镇")
    old_cadre, new_cadre = f.cadre("旧干部"), f.cadre("新干部")
    revisited, fresh = f.household(f.village(town), "回访户"), f.household(f.village(town), "新结对户")
    f.pairing(old_cadre, revisited, started_on=now - timedelta(days=400), ended_on=now - timedelta(days=11))
    f.visit(old_cadre, revisited, visited_on=now - timedelta(days=120))
    f.pairing(new_cadre, revisited, started_on=now - timedelta(days=10))
    f.pairing(new_cadre, fresh, started_on=now - timedelta(days=10))
    leader = f.user("新镇领导", Role.LEADER, township=town)
    f.commit()
    [h] = dashboard.household_figures(leader, now)
    listed = db.session.scalar(select(func.count()).select_from(Household)
                               .where(Household.township_id == town.id, conditions.due_condition("overdue", now)))
    assert h.overdue == listed == 1
    [row], _total = cadre_table(leader, YEAR, now)
    assert (row.name, row.households, row.overdue) == ("新干部", 2, 1)
