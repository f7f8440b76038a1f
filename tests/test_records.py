"""The quarterly work record (实绩档案) against a hand-built quarter: every column, the score, the ranks."""
import io
from datetime import date

import openpyxl
import pytest
import sqlalchemy as sa

from relief.extensions import db
from relief.models import (
    AuditEvent,
    DemandStatus,
    PairingKind,
    ProjectStatus,
    Rank,
    Role,
    Satisfaction,
    StationRole,
    VisitKind,
)
from relief.records.excel import HEADERS
from relief.records.figures import CadreRecord, bundle, quarter_bounds, quarter_records, score_of

YEAR, Q = 2024, 2
TODAY = date(2024, 8, 1)


@pytest.fixture
def quarter(f):
    """2024 Q2 (1 April - 30 June) in two townships, two units, four cadres."""
    east, west = f.township("东镇"), f.township("西镇")
    v1, v2 = f.village(east, "东村"), f.village(west, "西村")
    weak = f.village(west, "薄弱村", is_weak=True)
    u1, u2 = f.unit("甲局"), f.unit("乙局")
    c1, c2 = f.cadre("张三丰", u1), f.cadre("=李四光", u1)
    leader = f.cadre("王区长", u2, rank=Rank.DISTRICT_LEADER)
    stationed = f.cadre("赵书记", u2, rank=Rank.SECTION)
    idle = f.cadre("钱闲人", u2)

    # c1: households h1, h2, h4 in the quarter (h3's pairing ended before it)
    h1, h2, h3, h4 = (f.household(v1, n) for n in ("户一", "户二", "户三", "户四"))
    for h in (h1, h2):
        f.pairing(c1, h, started_on=date(2024, 1, 1))
    f.pairing(c1, h3, started_on=date(2024, 1, 1), ended_on=date(2024, 3, 15))
    f.pairing(c1, h4, started_on=date(2024, 6, 30))
    f.pairing(idle, h3, started_on=date(2023, 1, 1), ended_on=date(2023, 12, 31))
    for h, day, kind in ((h1, date(2024, 4, 5), VisitKind.ROUTINE), (h1, date(2024, 5, 5), VisitKind.ROUTINE),
                         (h2, date(2024, 6, 10), VisitKind.MID_AUTUMN), (h2, date(2024, 6, 11), VisitKind.PHONE),
                         (h1, date(2024, 3, 31), VisitKind.ROUTINE), (h1, date(2024, 7, 1), VisitKind.SPRING_FESTIVAL)):
        f.visit(c1, h1 if h is h1 else h2, visited_on=day, kind=kind)
    R, O, P, C = DemandStatus.RESOLVED, DemandStatus.OPEN, DemandStatus.IN_PROGRESS, DemandStatus.CANNOT_RESOLVE
    for deadline, status, resolved_on in (
            (date(2024, 5, 10), R, date(2024, 5, 1)),  # resolved in time: resolved
            (date(2024, 5, 20), O, None),  # still open past its deadline: overdue
            (date(2024, 6, 1), R, date(2024, 7, 5)),  # settled late, after the quarter: overdue
            (date(2024, 3, 1), R, date(2024, 4, 10)),  # settled late inside the quarter: resolved and overdue
            (date(2024, 7, 15), O, None),  # deadline after the quarter: neither
            (date(2024, 2, 1), R, date(2024, 3, 1)),  # settled late before the quarter: neither
            (date(2024, 4, 1), C, None),  # cannot be resolved: neither
            (date(2024, 3, 1), P, None)):  # in progress, overdue since before the quarter: overdue
        f.demand(c1, h1, deadline=deadline, status=status, resolved_on=resolved_on,
                 reason="无法解决" if status is C else None)
    f.project(v1, cadre=c1, started_on=date(2024, 1, 1), status=ProjectStatus.BUILDING)  # under way
    f.project(v1, cadre=c1, started_on=date(2023, 1, 1), finished_on=date(2024, 3, 1), status=ProjectStatus.COMPLETED)
    f.project(v1, cadre=c1, started_on=date(2022, 1, 1), finished_on=date(2023, 1, 1), status=ProjectStatus.OPERATING)
    f.project(v1, cadre=c1, started_on=date(2024, 8, 1), status=ProjectStatus.PLANNED)
    sat = dict(reached=True, satisfaction=Satisfaction.SATISFIED)
    f.callback(h1, c1, "2024-04", **sat)
    f.callback(h2, c1, "2024-05", reached=True, satisfaction=Satisfaction.MOSTLY)
    f.callback(h4, c1, "2024-06", reached=True, satisfaction=Satisfaction.UNSATISFIED)
    f.callback(h1, c1, "2024-06", reached=False)
    f.callback(h2, c1, "2024-07", **sat)
    f.callback(h2, c1, "2024-03", reached=True, satisfaction=Satisfaction.UNSATISFIED)

    # c2: one household in the west, a support-team member until 30 April
    h5 = f.household(v2, "户五")
    f.pairing(c2, h5, started_on=date(2024, 1, 1))
    team = f.pairing(c2, village=weak, kind=PairingKind.TEAM, role=StationRole.MEMBER, started_on=date(2024, 1, 1),
                     ended_on=date(2024, 4, 30))
    f.attendance(team, 2024, 4, 25)
    f.visit(c2, h5, visited_on=date(2024, 4, 2), kind=VisitKind.SPRING_FESTIVAL)
    f.project(v2, cadre=c2, started_on=date(2024, 5, 1), status=ProjectStatus.BUILDING)

    # the stationed cadre: 40 days of 3 x 20
    sp = f.pairing(stationed, village=weak, kind=PairingKind.STATIONED, role=StationRole.FIRST_SECRETARY,
                   started_on=date(2024, 1, 1))
    for month, days in ((3, 30), (4, 22), (5, 18)):
        f.attendance(sp, 2024, month, days)
    f.visit(stationed, village=weak, visited_on=date(2024, 5, 3), kind=VisitKind.FIELD_STAY)

    # the district leader linked to the weak village, at 60 % of its target
    f.pairing(leader, village=weak, kind=PairingKind.LINK, started_on=date(2024, 1, 1))
    f.income(weak, 2024, 90_000)
    for day in (date(2024, 4, 10), date(2024, 6, 1)):
        f.visit(leader, village=weak, visited_on=day, kind=VisitKind.FIELD_STAY)

    users = dict(admin=f.user("admin", Role.ADMIN), inspector=f.user("inspector", Role.INSPECTOR),
                 leader_east=f.user("east", Role.LEADER, township=east),
                 leader_west=f.user("west", Role.LEADER, township=west),
                 cadre_user=f.user("c1", Role.CADRE, cadre=c1))
    f.commit()
    return dict(users, c1=c1, c2=c2, leader=leader, stationed=stationed, east=east, west=west)


def _by_name(user):
    return {r.name: r for r in quarter_records(user, YEAR, Q, TODAY)}


def test_every_figure_matches_the_hand_built_quarter(quarter):
    rows = _by_name(quarter["admin"])
    assert set(rows) == {"张三丰", "=李四光", "王区长", "赵书记"}  # 闲人 had nothing in the quarter
    cols = ("households", "visits", "holiday_visits", "demands_resolved", "demands_overdue", "projects",
            "attendance_days", "attendance_norm", "callbacks_answered", "callbacks_content", "callbacks_unsatisfied")
    figures = {name: tuple(getattr(r, c) for c in cols) for name, r in rows.items()}
    assert figures == {
        "张三丰": (3, 4, 1, 2, 4, 2, 0, 0, 3, 2, 1),
        "=李四光": (1, 1, 1, 0, 0, 1, 25, 20, 0, 0, 0),
        "赵书记": (0, 1, 0, 0, 0, 0, 40, 60, 0, 0, 0),
        "王区长": (0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    }
    assert rows["张三丰"].satisfaction == pytest.approx(2 / 3) and rows["张三丰"].attendance is None
    assert rows["=李四光"].attendance == 1.0 and rows["=李四光"].satisfaction is None
    assert rows["赵书记"].attendance == pytest.approx(2 / 3)
    assert rows["王区长"].village_progress == pytest.approx(0.6) and rows["王区长"].linked_villages == ["薄弱村"]
    assert not rows["赵书记"].bundled and rows["王区长"].bundled
    assert rows["张三丰"].townships == {quarter["east"].id: "东镇"}
    assert set(rows["=李四光"].townships) == {quarter["west"].id}


def test_the_score_is_the_weighted_sum_and_leaders_are_bundled(quarter):
    rows = _by_name(quarter["admin"])
    # 2 x visits + 3 x holiday visits + 5 x resolved - 5 x overdue + 5 x projects + 20 x attendance + 20 x satisfaction
    assert rows["张三丰"].score == pytest.approx(2 * 4 + 3 * 1 + 5 * 2 - 5 * 4 + 5 * 2 + 20 * 1 + 20 * 2 / 3, abs=0.01)
    assert rows["=李四光"].score == 2 * 1 + 3 * 1 + 5 * 1 + 20 * 1 + 20 * 1
    assert rows["赵书记"].score == pytest.approx(2 * 1 + 20 * 40 / 60 + 20, abs=0.01)
    assert rows["王区长"].score == 2 * 2 + 20 + 20
    assert rows["王区长"].total == pytest.approx(44 * (1 - 0.5 + 0.5 * 0.6))
    assert rows["张三丰"].total == rows["张三丰"].score


@pytest.mark.config(RECORD_WEIGHTS={"households": 10, "visits": 1, "demands_overdue": -1, "attendance": 100,
                                    "bundle": 1.0})
def test_weights_are_configurable(quarter):
    rows = _by_name(quarter["admin"])
    assert rows["张三丰"].score == 10 * 3 + 4 - 4 + 100
    assert rows["赵书记"].score == pytest.approx(1 + 100 * 40 / 60, abs=0.01)
    assert rows["王区长"].total == pytest.approx((2 + 100) * 0.6)


def test_score_and_bundle_arithmetic():
    r = CadreRecord(1, "x", 1, "u", Rank.GENERAL, households=2, visits=5, holiday_visits=1, demands_resolved=1,
                    demands_overdue=2, projects=1, attendance_days=10, attendance_norm=20, callbacks_answered=4,
                    callbacks_content=3)
    weights = {"households": 1, "visits": 2, "holiday_visits": 3, "demands_resolved": 4, "demands_overdue": -5,
               "projects": 6, "attendance": 10, "satisfaction": 100}
    assert score_of(r, weights) == 2 + 10 + 3 + 4 - 10 + 6 + 5 + 75
    assert bundle(80, 0.5, 0.5) == 60 and bundle(80, 1.7, 0.5) == 80 and bundle(80, None, 0.5) == 80


def test_rankings_per_unit_and_per_township(quarter):
    rows = _by_name(quarter["admin"])
    # 甲局: =李四光 50 > 张三丰 44.33; 乙局: 赵书记 35.33 > 王区长 35.2 (44 before bundling)
    assert (rows["=李四光"].unit_rank, rows["张三丰"].unit_rank) == (1, 2) and rows["张三丰"].unit_size == 2
    assert (rows["赵书记"].unit_rank, rows["王区长"].unit_rank) == (1, 2)
    west = quarter["west"].id
    assert [rows[n].township_ranks[west] for n in ("=李四光", "赵书记", "王区长")] == [(1, 3), (2, 3), (3, 3)]
    assert rows["张三丰"].township_ranks == {quarter["east"].id: (1, 1)}


def test_equal_totals_share_a_rank(app, f):
    unit, village = f.unit("并列局"), f.village()
    cadres = [f.cadre(f"并列{i}", unit) for i in range(3)]
    for c, n in zip(cadres, (3, 1, 1)):
        h = f.household(village)
        f.pairing(c, h, started_on=date(2024, 1, 1))
        for k in range(n):
            f.visit(c, h, visited_on=date(2024, 4, 1 + k))
    admin = f.user("admin", Role.ADMIN)
    f.commit()
    ranks = {r.name: r.unit_rank for r in quarter_records(admin, YEAR, Q, TODAY)}
    assert ranks == {"并列0": 1, "并列1": 2, "并列2": 2}


def test_ranks_are_the_same_whoever_looks(quarter):
    everyone = _by_name(quarter["admin"])
    west = _by_name(quarter["leader_west"])
    assert set(west) == {"=李四光", "赵书记", "王区长"}
    for name, r in west.items():
        assert (r.unit_rank, r.township_ranks, r.total) == \
            (everyone[name].unit_rank, everyone[name].township_ranks, everyone[name].total)
    assert set(_by_name(quarter["leader_east"])) == {"张三丰"}
    assert set(_by_name(quarter["cadre_user"])) == {"张三丰"}
    assert set(_by_name(quarter["inspector"])) == set(everyone)


def test_a_fixed_number_of_queries_whatever_the_number_of_cadres(quarter, f):
    def count_queries():
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            quarter_records(quarter["admin"], YEAR, Q, TODAY)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = count_queries()
    village = f.village()
    for i in range(12):
        c = f.cadre()
        h = f.household(village)
        f.pairing(c, h, started_on=date(2024, 1, 1))
        f.visit(c, h, visited_on=date(2024, 5, 1))
        f.demand(c, h, deadline=date(2024, 4, 1))
    f.commit()
    assert count_queries() == before <= 14


def test_quarter_bounds():
    assert quarter_bounds(2024, 1) == (date(2024, 1, 1), date(2024, 3, 31))
    assert quarter_bounds(2024, 4) == (date(2024, 10, 1), date(2024, 12, 31))


# -- pages ------------------------------------------------------------------------------------

PAGE = f"/records/?year={YEAR}&quarter={Q}"


def test_admin_page_lists_every_cadre_by_total_with_the_formula(client, auth, quarter):
    auth.login("admin")
    html = client.get(PAGE).get_data(as_text=True)
    names = ["=李四光", "张三丰", "赵书记", "王区长"]
    assert all(n in html for n in names) and "钱闲人" not in html
    assert [html.index(n) for n in names] == sorted(html.index(n) for n in names)  # by total, highest first
    assert "44.3" in html and "35.2" in html and "60%" in html
    assert "计分办法" in html and "捆绑考核" in html
    assert "下载本季度实绩档案" in html
    only_east = client.get(PAGE + f"&township={quarter['east'].id}").get_data(as_text=True)
    assert "张三丰" in only_east and "赵书记" not in only_east


def test_leader_sees_the_township_cadres_only(client, auth, quarter):
    auth.login("east")
    html = client.get(PAGE).get_data(as_text=True)
    assert "张三丰" in html and "=李四光" not in html and "王区长" not in html and "下载" not in html
    assert client.get(f"/records/download?year={YEAR}&quarter={Q}").status_code == 403


def test_cadre_sees_only_their_own_record(client, auth, quarter):
    auth.login("c1")
    html = client.get(PAGE).get_data(as_text=True)
    assert "张三丰" in html and "44.3" in html and "=李四光" not in html and "赵书记" not in html
    assert "1/1" in html and "2/2" in html  # township and unit rank
    assert client.get(f"/records/download?year={YEAR}&quarter={Q}").status_code == 403


def test_a_quarter_not_yet_begun_falls_back_with_a_message(client, auth, quarter):
    auth.login("admin")
    html = client.get("/records/?year=2100&quarter=1").get_data(as_text=True)
    assert "尚未开始" in html
    assert "季度应为 1 到 4" in client.get("/records/?year=2024&quarter=7").get_data(as_text=True)


@pytest.mark.parametrize("who", ["admin", "inspector"])
def test_excel_download_has_every_cadre_as_text_and_numbers(client, auth, quarter, who):
    auth.login(who)
    response = client.get(f"/records/download?year={YEAR}&quarter={Q}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book["2024年第2季度"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    data = {r[0]: dict(zip(HEADERS, r)) for r in rows[1:]}
    assert list(data) == ["=李四光", "张三丰", "赵书记", "王区长"]
    second = sheet.cell(row=2, column=1)
    assert second.value == "=李四光" and second.data_type == "s"  # text, never a formula
    one = data["张三丰"]
    assert (one["结对户数"], one["走访次数"], one["节日慰问次数"], one["办结诉求"], one["超期诉求"], one["负责项目"]) == \
        (3, 4, 1, 2, 4, 2)
    # 2 of 3 is written as the pages show it (relief.rates: 66 %, rounded down), in a percentage cell
    assert one["回访回答户数"] == 3 and one["回访满意率"] == pytest.approx(0.66) and one["驻村天数"] is None
    assert sheet.cell(row=3, column=HEADERS.index("回访满意率") + 1).number_format == "0%"
    assert one["个人得分"] == pytest.approx(44.33, abs=0.01) and one["单位排名"] == "2/2" and one["乡镇排名"] == "东镇 1/1"
    assert data["赵书记"]["驻村天数"] == 40 and data["赵书记"]["应驻村天数"] == 60
    assert data["王区长"]["挂钩村"] == "薄弱村" and data["王区长"]["挂钩村收入进度"] == pytest.approx(0.6)
    assert data["王区长"]["总分（含捆绑考核）"] == pytest.approx(35.2)
    assert "计分说明" in book.sheetnames
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.entity == "record" and event.note == "2024Q2: 4 cadres"
