"""The lists behind the figures: their filters say what they do, go through scope, and refuse
what they cannot read; one definition and one rounding rule per figure."""
import io
import re
from datetime import timedelta

import openpyxl
import pytest

from relief.dates import today
from relief.reports.holidays import window
from relief.models import DemandStatus, Role, VisitKind


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def total(response) -> int:
    return int(re.search(r'data-total="(\d+)"', response.get_data(as_text=True)).group(1))


@pytest.fixture
def town(f):
    east, west = f.township("东镇"), f.township("西镇")
    v, w = f.village(east, "甲村", is_weak=True), f.village(west, "乙村")
    c, far = f.cadre("王干部"), f.cadre("远干部")
    h1, h2 = f.household(v, "户一"), f.household(v, "户二")
    h3 = f.household(w, "户三")
    for cadre, h in ((c, h1), (c, h2), (far, h3)):
        f.pairing(cadre, h, started_on=today() - timedelta(days=400))
    f.visit(c, h1, visited_on=today() - timedelta(days=30))  # exactly 30 days ago: within the last 30 days
    f.visit(c, h2, visited_on=today() - timedelta(days=31))
    f.visit(far, h3, visited_on=today() - timedelta(days=2))
    f.demand(c, h1, text="超期的", deadline=today() - timedelta(days=3))
    f.demand(c, h1, text="未到期", deadline=today() + timedelta(days=3))
    f.demand(c, h2, text="办完了", status=DemandStatus.RESOLVED, resolved_on=today())
    f.user("leader", Role.LEADER, township=east)
    f.user("admin", Role.ADMIN)
    f.commit()
    return dict(east=east, west=west, c=c, far=far, h1=h1)


@pytest.mark.parametrize("path, says", [
    ("/households/?visited=abc", "走访天数“abc”无效：应为 1 到 3650 之间的整数"),
    ("/households/?due=late", "走访状态“late”无效：可选 ok（走访正常）、due（应走访）、overdue（已逾期未走访）"),
    ("/households/?holiday=mid_autumn", "按节日慰问筛选时请同时给出年度"),
    ("/demands/?status=finished", "状态“finished”无效"),
    ("/demands/?status=resolved&period=2025-13", "月份应为 1 到 12"),
    ("/visits/?period=last-year", "时段“last-year”无效"),
    ("/villages/?band=blue", "收入进度“blue”无效"),
    ("/projects/?status=done", "阶段“done”无效"),
    ("/cadres/?attendance=below", "按驻村考勤筛选时请同时给出年度"),
    ("/visits/?cadre=abc", "干部编号“abc”无效：应为数字"),
])
def test_a_filter_that_cannot_be_read_is_refused_saying_why(client, auth, town, path, says):
    auth.login("admin")
    response = client.get(path)
    assert response.status_code == 400
    assert says in text(response)
    assert "去掉有误的条件" in text(response)  # and a way back to the list without it


def test_the_list_says_which_filters_apply_and_clears_each(client, auth, town):
    auth.login("leader")
    tid = town["east"].id
    html = client.get(f"/households/?due=overdue&township={tid}").get_data(as_text=True)
    assert "已逾期未走访" in html and "乡镇：东镇" in html
    assert f'href="/households/?township={tid}"' in html  # removing the cadence filter keeps the township
    assert 'href="/households/"' in html  # 清除筛选
    assert "清除筛选" in html


def test_an_id_out_of_scope_in_a_filter_is_a_404(client, auth, town):
    auth.login("leader")
    for path in (f"/visits/?cadre={town['far'].id}", f"/households/?cadre={town['far'].id}",
                 f"/demands/?owner={town['far'].id}", f"/projects/?cadre={town['far'].id}",
                 f"/villages/?township={town['west'].id}", "/demands/?township=西镇"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/visits/?cadre={town['c'].id}").status_code == 200


def test_the_home_and_the_dashboard_count_the_last_30_days_alike(client, auth, town):
    """A visit exactly 30 days ago is within the last 30 days on both pages (one function)."""
    auth.login("leader")
    home = client.get("/").get_data(as_text=True)
    board = client.get("/dashboard").get_data(as_text=True)
    href = f"/households/?visited=30&amp;township={town['east'].id}"
    assert 'href="/households/?visited=30" data-rows="1"' in home
    assert f'href="{href}" data-rows="1"' in board
    assert total(client.get("/households/?visited=30")) == 1


def test_the_demand_states_filter_the_list(client, auth, town):
    auth.login("admin")
    tid = town["east"].id
    assert total(client.get(f"/demands/?status=overdue&township={tid}")) == 1
    assert total(client.get(f"/demands/?status=open&township={tid}")) == 2
    assert total(client.get(f"/demands/?status=resolved&period={today().year}&township={tid}")) == 1
    assert total(client.get(f"/demands/?status=resolved&period={today().year - 1}")) == 0
    assert total(client.get(f"/demands/?show=closed&township={tid}")) == 1  # the former parameter still works


def test_a_visit_list_for_a_period(client, auth, town):
    auth.login("admin")
    day = today() - timedelta(days=2)
    assert total(client.get(f"/visits/?period={day.year}-{day.month:02d}&cadre={town['far'].id}")) == 1
    assert total(client.get("/visits/")) == 3


def test_sixteen_of_eighteen_reads_the_same_everywhere(client, auth, f):
    """Mid-Autumn coverage of 16/18: 88 % on the dashboard, the holiday page and the yearly report,
    0.88 in the export (one rounding rule: whole percent, rounded down)."""
    year = today().year - 1
    start, _end = window("mid_autumn", year)
    town = f.township("中秋镇")
    village = f.village(town, is_weak=True)
    cadre = f.cadre()
    for n in range(18):
        h = f.household(village)
        f.pairing(cadre, h, started_on=start - timedelta(days=30))
        if n < 16:
            f.visit(cadre, h, visited_on=start, kind=VisitKind.MID_AUTUMN)
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    board = text(client.get(f"/dashboard?year={year}"))
    holidays = text(client.get(f"/visits/holidays?year={year}&kind=mid_autumn"))
    report = text(client.get(f"/exports/report?year={year}"))
    assert "中秋慰问 88%" in board and "16 / 18 户" in board
    assert "88%" in holidays and "89%" not in holidays
    assert "中秋慰问覆盖88%" in report.replace(" ", "") and "88.9" not in report
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/exports/download?year={year}").data))
    assert dict(r for r in book["汇总"].iter_rows(min_row=2, values_only=True))["中秋慰问覆盖率"] == 0.88


def test_a_cadres_lists_are_their_own(client, auth, f, town):
    f.user("cad", Role.CADRE, cadre=town["c"])
    f.commit()
    auth.login("cad")
    assert total(client.get("/visits/")) == 2 and total(client.get("/households/")) == 2
    assert client.get(f"/households/?cadre={town['far'].id}").status_code == 404


def test_a_cadres_rows_outside_the_viewers_township_are_counted_not_listed(client, auth, f, town):
    """The work record counts a cadre's visits everywhere; the leader's list of them shows those in
    the township and says how many others there are, without showing them."""
    elsewhere = f.household(f.village(town["west"], "丙村"), "外镇户")
    f.pairing(town["c"], elsewhere, started_on=today() - timedelta(days=100))
    f.visit(town["c"], elsewhere, visited_on=today() - timedelta(days=1))
    f.commit()
    auth.login("leader")
    response = client.get(f"/visits/?cadre={town['c'].id}")
    assert total(response) == 2 and 'data-beyond="1"' in response.get_data(as_text=True)
    assert "外镇户" not in response.get_data(as_text=True)
    assert 'data-beyond' not in client.get("/visits/").get_data(as_text=True)  # only for one cadre's rows
