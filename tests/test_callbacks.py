"""Call-backs (回访): the monthly sample, the call, the mismatch with the visit log, the bulletin."""
import random
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from relief.callbacks import services
from relief.dates import today
from relief.extensions import db
from relief.models import Answer, AuditEvent, Callback, Role, Satisfaction, VisitKind
from relief.callbacks import bulletin
from relief.exports.rows import callback_sheet
from relief.reports import callbacks as reports

from .conftest import csrf_token

MONTH = "2025-05"
DAY = date(2025, 6, 30)  # "today" for draws in these tests


def _draw(month=MONTH, seed=7):
    result = services.draw(month, seed, today=DAY)
    db.session.commit()
    return result


def _sampled(month=MONTH):
    return db.session.scalars(sa.select(Callback.household_id).where(Callback.month == month)
                              .order_by(Callback.household_id)).all()


@pytest.fixture
def district(f):
    """Two townships with paired households (25 and 3), one with none, and some unpaired or ended."""
    big, small, empty = f.township("大镇"), f.township("小镇"), f.township("空镇")
    vb, vs = f.village(big, "大村"), f.village(small, "小村")
    f.village(empty, "空村")
    cadres = [f.cadre(f"干部{i}") for i in range(14)]
    paired_big = []
    for i in range(25):
        h = f.household(vb, f"大户{i:02d}")
        f.pairing(cadres[i // 2], h)
        paired_big.append(h)
    paired_small = [f.household(vs, f"小户{i}") for i in range(3)]
    for h in paired_small:
        f.pairing(cadres[13], h)
    f.household(vb, "未结对户")
    ended = f.household(vb, "已解除户")
    f.pairing(cadres[12], ended, ended_on=date(2025, 3, 1))
    f.commit()
    return dict(big=big, small=small, empty=empty, paired_big=paired_big, paired_small=paired_small, ended=ended,
                cadres=cadres)


# -- sampling ---------------------------------------------------------------------------------

def test_each_township_gets_ten_percent_rounded_up_and_at_least_one(district):
    result = _draw()
    assert result.townships == {district["big"].id: (25, 3), district["small"].id: (3, 1)}
    rows = db.session.execute(sa.select(Callback.township_id, sa.func.count()).group_by(Callback.township_id)).all()
    assert dict(rows) == {district["big"].id: 3, district["small"].id: 1}
    assert district["empty"].id not in dict(rows)


def test_only_actively_paired_households_are_drawn(district, app):
    app.config["CALLBACK_SAMPLE_RATE"] = 1.0
    _draw()
    expected = sorted(h.id for h in district["paired_big"] + district["paired_small"])
    assert _sampled() == expected  # no unpaired household, no ended pairing, nobody twice


def test_the_cadre_at_draw_time_is_kept(district):
    _draw()
    for cb in db.session.scalars(sa.select(Callback)):
        assert cb.cadre_id == (district["cadres"][13].id if cb.township_id == district["small"].id
                               else district["cadres"][[h.id for h in district["paired_big"]].index(cb.household_id) // 2].id)
        assert cb.seed == 7


def test_the_same_seed_draws_the_same_sample(district):
    _draw("2025-04", seed=12345)
    _draw("2025-05", seed=12345)
    _draw("2025-06", seed=54321)
    assert _sampled("2025-04") == _sampled("2025-05")
    assert _sampled("2025-04") != _sampled("2025-06")


def test_the_sample_is_random_random_over_households_sorted_by_id(district):
    _draw(seed=99)
    rng = random.Random(99)
    big = sorted(rng.sample(sorted(h.id for h in district["paired_big"]), 3))
    small = sorted(rng.sample(sorted(h.id for h in district["paired_small"]), 1))
    assert _sampled() == sorted(big + small)


def test_drawing_the_same_month_again_refuses_and_adds_nothing(district):
    _draw()
    before = _sampled()
    with pytest.raises(services.CallbackError, match="已经抽取"):
        services.draw(MONTH, 8, today=DAY)
    db.session.rollback()
    assert _sampled() == before and len(before) == len(set(before))


@pytest.mark.parametrize("month, message", [("2025-13", "月份格式"), ("May", "月份格式"), ("2025-07", "尚未到来")])
def test_bad_months_are_refused_with_a_message(district, month, message):
    with pytest.raises(services.CallbackError, match=message):
        services.draw(month, 1, today=DAY)


def test_no_paired_households_means_nothing_to_draw(app, f):
    f.household()
    f.commit()
    with pytest.raises(services.CallbackError, match="没有在结对"):
        services.draw(MONTH, 1, today=DAY)


def test_households_without_a_phone_are_never_drawn_and_are_counted(district, f):
    """A call-back is a phone call: a household with no number on record cannot be sampled."""
    for h in district["paired_big"][5:]:
        h.phone = None
    district["paired_big"][4].phone = "  "
    f.commit()
    result = services.draw(MONTH, 3, today=DAY)
    db.session.commit()
    reachable = {h.id for h in district["paired_big"][:4] + district["paired_small"]}
    assert set(_sampled()) <= reachable
    assert result.townships == {district["big"].id: (4, 1), district["small"].id: (3, 1)} and result.no_phone == 21
    note = db.session.scalars(sa.select(AuditEvent.note).where(AuditEvent.entity == "callback")).one()
    assert note.endswith("; 21 without a phone left out")


def test_no_phone_on_record_anywhere_means_nothing_to_draw(app, f):
    f.pairing(f.cadre(), f.household(phone=None))
    f.commit()
    with pytest.raises(services.CallbackError, match="补录户主电话"):
        services.draw(MONTH, 1, today=DAY)
    assert _sampled() == []


def test_the_draw_page_says_how_many_households_have_no_phone(client, auth, district, f):
    district["paired_small"][0].phone = None
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    month = services.month_of(today())
    response = _post(client, "/callbacks/draw", {"month": month, "seed": "5"}, "/callbacks/")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "另有 1 户没有登记联系电话" in html


def test_sample_size_rounds_up_with_at_least_one():
    assert [services.sample_size(n, 0.10) for n in (0, 1, 9, 10, 11, 30, 31)] == [0, 1, 1, 1, 2, 3, 4]
    assert services.sample_size(3, 0.5) == 2 and services.sample_size(3, 2.0) == 3


def test_cli_draws_once_per_month(runner, district):
    result = runner.invoke(args=["relief", "callbacks", "draw", "--month", "2025-05", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "drew 4 households in 2 townships (seed 7)" in result.output and "大镇: 3 of 25" in result.output
    again = runner.invoke(args=["relief", "callbacks", "draw", "--month", "2025-05"])
    assert again.exit_code == 1 and "已经抽取" in again.output
    assert len(_sampled()) == 4
    bad = runner.invoke(args=["relief", "callbacks", "draw", "--month", "2025/5"])
    assert bad.exit_code == 1 and "月份格式" in bad.output


def test_draw_is_audited_once(district):
    _draw()
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.entity == "callback")).all()
    assert [(e.action, e.note) for e in events] == [("draw", "2025-05 seed 7: 4 households in 2 townships")]


# -- pages and scope --------------------------------------------------------------------------

@pytest.fixture
def world(f, district):
    """This month's sample of the district, and a user of every role."""
    services.draw(services.month_of(today()), 3, today=today())
    leader = f.user("leader", Role.LEADER, township=district["small"])
    f.user("admin", Role.ADMIN)
    f.user("inspector", Role.INSPECTOR)
    f.user("cadre", Role.CADRE, cadre=district["cadres"][13])
    f.commit()
    small_cb = db.session.scalar(sa.select(Callback).where(Callback.township_id == district["small"].id))
    big_cb = db.session.scalars(sa.select(Callback).where(Callback.township_id == district["big"].id)).first()
    return dict(district, leader=leader, small_cb=small_cb, big_cb=big_cb)


def _post(client, path, data, token_from):
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data})


@pytest.mark.parametrize("path", ["/callbacks/", "/callbacks/bulletin", "/callbacks/mismatches", "/callbacks/{id}"])
def test_cadres_may_not_open_call_back_pages(client, auth, world, path):
    auth.login("cadre")
    assert client.get(path.format(id=world["small_cb"].id)).status_code == 403


def test_leader_sees_only_their_township_read_only(client, auth, world):
    auth.login("leader")
    html = client.get("/callbacks/").get_data(as_text=True)
    assert "小镇" in html and "大户" not in html and "共 1 户" in html
    assert "抽取样本" not in html and "与走访记录不符" not in html
    assert client.get(f"/callbacks/{world['big_cb'].id}").status_code == 404
    page = client.get(f"/callbacks/{world['small_cb'].id}").get_data(as_text=True)
    assert "记录回访结果" not in page and "显示号码" not in page and "13812345678" not in page
    cb = world["small_cb"].id
    assert _post(client, f"/callbacks/{cb}", {"reached": "no"}, "/callbacks/").status_code == 403
    assert _post(client, f"/callbacks/{cb}/reveal", {}, "/callbacks/").status_code == 403
    assert _post(client, "/callbacks/draw", {"month": "2025-01"}, "/callbacks/").status_code == 403
    assert client.get("/callbacks/mismatches").status_code == 403
    bulletin = client.get("/callbacks/bulletin").get_data(as_text=True)
    assert "小镇" in bulletin and "大镇" not in bulletin


def test_inspector_sees_everything_but_changes_nothing(client, auth, world):
    auth.login("inspector")
    html = client.get("/callbacks/").get_data(as_text=True)
    assert "共 4 户" in html and "大镇" in html and "小镇" in html and "与走访记录不符" in html
    assert client.get("/callbacks/mismatches").status_code == 200
    assert client.get(f"/callbacks/{world['big_cb'].id}").status_code == 200
    cb = world["big_cb"].id
    assert _post(client, f"/callbacks/{cb}", {"reached": "no"}, "/callbacks/").status_code == 403
    assert _post(client, f"/callbacks/{cb}/reveal", {}, "/callbacks/").status_code == 403
    assert db.session.get(Callback, cb).called_at is None


def test_admin_draws_from_the_page(client, auth, district, f):
    f.user("admin", Role.ADMIN)
    f.commit()
    auth.login("admin")
    month = services.month_of(today())
    page = client.get(f"/callbacks/?month={month}").get_data(as_text=True)
    assert "抽取样本" in page
    response = _post(client, "/callbacks/draw", {"month": month, "seed": "5"}, "/callbacks/")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"已为 {month} 抽取 4 户" in html and "随机种子 5" in html and "抽取样本" not in html
    again = _post(client, "/callbacks/draw", {"month": month, "seed": "5"}, "/callbacks/")
    assert "同一月份不能再抽" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(_sampled(month)) == 4
    bad = _post(client, "/callbacks/draw", {"month": month, "seed": "abc"}, "/callbacks/")
    assert "随机种子应为整数" in client.get(bad.headers["Location"]).get_data(as_text=True)


def test_revealing_the_phone_for_the_call_is_audited(client, auth, world):
    auth.login("admin")
    cb = world["small_cb"]
    assert "13812345678" not in client.get(f"/callbacks/{cb.id}").get_data(as_text=True)
    html = _post(client, f"/callbacks/{cb.id}/reveal", {}, f"/callbacks/{cb.id}").get_data(as_text=True)
    assert "13812345678" in html and 'href="tel:13812345678"' in html
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "reveal"))
    assert event.entity == "household" and event.entity_id == cb.household_id and event.username == "admin"
    assert event.note == f"phone (callback {cb.id})"
    assert "13812345678" not in client.get(f"/callbacks/{cb.id}").get_data(as_text=True)


def test_admin_records_the_answers(client, auth, world):
    auth.login("admin")
    cb = world["small_cb"]
    response = _post(client, f"/callbacks/{cb.id}", {
        "reached": "yes", "cadre_visited": "yes", "visits_claimed": "2", "demand_resolved": "none",
        "satisfaction": "mostly", "remark": "  路灯已修好  "}, f"/callbacks/{cb.id}")
    assert response.status_code == 302
    db.session.refresh(cb)
    assert (cb.reached, cb.cadre_visited, cb.visits_claimed, cb.demand_resolved, cb.satisfaction, cb.remark) == \
        (True, Answer.YES, 2, None, Satisfaction.MOSTLY, "路灯已修好")
    assert cb.called_at is not None and cb.caller_id is not None
    update = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity == "callback",
                                                           AuditEvent.action == "update"))
    assert update.entity_id == cb.id and update.changes["satisfaction"] == [None, "mostly"]


def test_an_unreached_household_keeps_no_answers(client, auth, world):
    auth.login("admin")
    cb = world["small_cb"]
    _post(client, f"/callbacks/{cb.id}", {"reached": "no", "cadre_visited": "yes", "satisfaction": "satisfied"},
          f"/callbacks/{cb.id}")
    db.session.refresh(cb)
    assert cb.reached is False and cb.cadre_visited is None and cb.satisfaction is None and cb.called_at


@pytest.mark.parametrize("data, message", [
    ({}, "请选择是否接通"),
    ({"reached": "yes", "cadre_visited": "yes"}, "已接通时请选择满意度"),
    ({"reached": "yes", "satisfaction": "satisfied"}, "已接通时请选择近三个月帮扶干部是否上门走访"),
    ({"reached": "yes", "cadre_visited": "no", "visits_claimed": "3", "satisfaction": "satisfied"}, "走访次数应为 0"),
    ({"reached": "yes", "cadre_visited": "yes", "visits_claimed": "三", "satisfaction": "satisfied"}, "0 到 99"),
    ({"reached": "yes", "cadre_visited": "maybe", "satisfaction": "satisfied"}, "请从列出的选项中选择"),
    ({"reached": "no", "remark": "长" * 501}, "备注最多 500 字"),
])
def test_bad_answers_say_what_to_fix_and_store_nothing(client, auth, world, data, message):
    auth.login("admin")
    cb = world["small_cb"]
    response = _post(client, f"/callbacks/{cb.id}", data, f"/callbacks/{cb.id}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    db.session.refresh(cb)
    assert cb.called_at is None and cb.reached is None


# -- mismatches -------------------------------------------------------------------------------

CALLED = datetime(2025, 5, 20, 2, 0)  # 10:00 on 20 May 2025 in China


@pytest.fixture
def call(f):
    """A household sampled in May 2025 with its cadre, and a helper that records an answer."""
    village = f.village(f.township("回访镇"), "回访村")
    cadre, other = f.cadre("张干部"), f.cadre("李干部")
    household = f.household(village, "王大伯")
    f.pairing(cadre, household)
    admin = f.user("mm-admin", Role.ADMIN)
    f.commit()
    services.draw(MONTH, 1, today=DAY)
    cb = db.session.scalar(sa.select(Callback))

    def answer(visited: Answer | None, reached=True):
        cb.reached, cb.cadre_visited, cb.called_at = reached, visited, CALLED
        cb.satisfaction = Satisfaction.UNSATISFIED if reached else None
        db.session.commit()
        return [m.callback.id for m in reports.mismatches(admin, [MONTH])]

    return dict(cb=cb, cadre=cadre, other=other, household=household, answer=answer, admin=admin)


def test_says_nobody_came_but_visits_are_recorded_is_a_mismatch(f, call):
    f.visit(call["cadre"], call["household"], visited_on=date(2025, 3, 1), notes="了解收入")
    f.visit(call["cadre"], call["household"], visited_on=date(2025, 5, 20))
    assert call["answer"](Answer.NO) == [call["cb"].id]
    [m] = reports.mismatches(call["admin"], [MONTH])
    assert m.called_on == date(2025, 5, 20) and m.window == (date(2025, 2, 20), date(2025, 5, 20))
    assert [v.visited_on for v in m.visits] == [date(2025, 3, 1), date(2025, 5, 20)]


def test_says_nobody_came_and_no_visits_is_not_a_mismatch(f, call):
    assert call["answer"](Answer.NO) == []


@pytest.mark.parametrize("kind, day, by_other", [
    (VisitKind.ROUTINE, date(2025, 2, 19), False),  # before the three months
    (VisitKind.ROUTINE, date(2025, 5, 21), False),  # after the call
    (VisitKind.ROUTINE, date(2025, 4, 1), True),  # another cadre's visit
    (VisitKind.PHONE, date(2025, 4, 1), False),  # a phone call is not a visit
])
def test_visits_outside_the_question_do_not_make_a_mismatch(f, call, kind, day, by_other):
    f.visit(call["other"] if by_other else call["cadre"], call["household"], visited_on=day, kind=kind)
    assert call["answer"](Answer.NO) == []


def test_the_first_day_of_the_three_months_counts(f, call):
    f.visit(call["cadre"], call["household"], visited_on=date(2025, 2, 20))
    assert call["answer"](Answer.NO) == [call["cb"].id]


@pytest.mark.parametrize("said, reached", [(Answer.YES, True), (Answer.UNSURE, True), (None, False)])
def test_yes_unsure_or_unreached_is_not_a_mismatch(f, call, said, reached):
    f.visit(call["cadre"], call["household"], visited_on=date(2025, 4, 1))
    assert call["answer"](said, reached=reached) == []


def test_the_inspector_sees_both_sides(client, auth, f, call):
    f.visit(call["cadre"], call["household"], visited_on=date(2025, 4, 3), notes="送米面油",
            recorded_at=datetime(2025, 4, 20, 6, 30))
    call["answer"](Answer.NO)
    f.user("insp", Role.INSPECTOR)
    f.commit()
    auth.login("insp")
    for path in ("/callbacks/mismatches?year=2025", f"/callbacks/?month={MONTH}", f"/callbacks/{call['cb'].id}"):
        html = client.get(path).get_data(as_text=True)
        assert "王大伯" in html and "张干部" in html, path
        assert "2025-05-20" in html and "否" in html, path  # what the household said, and when
        assert "走访日期 2025-04-03" in html and "录入于 2025-04-20 14:30" in html, path  # the record
    assert "共 0 户" in client.get("/callbacks/mismatches?year=2024").get_data(as_text=True)
    assert "/callbacks/mismatches?year=" in client.get("/flags/?year=2025").get_data(as_text=True)


# -- the bulletin and the export sheet ------------------------------------------------------------

@pytest.fixture
def answered(f, district):
    """May 2025 with answers: big township 3 sampled (satisfied, mostly, unreached), small 1 (unsatisfied)."""
    _draw()
    big = db.session.scalars(sa.select(Callback).where(Callback.township_id == district["big"].id)
                             .order_by(Callback.id)).all()
    [small] = db.session.scalars(sa.select(Callback).where(Callback.township_id == district["small"].id)).all()
    for cb, reached, sat in ((big[0], True, Satisfaction.SATISFIED), (big[1], True, Satisfaction.MOSTLY),
                             (big[2], False, None), (small, True, Satisfaction.UNSATISFIED)):
        cb.called_at, cb.reached, cb.satisfaction = CALLED, reached, sat
        cb.cadre_visited = Answer.YES if reached else None
    small.cadre_visited = Answer.NO
    small.remark = "=HYPERLINK(\"x\")"
    f.visit(small.cadre, small.household, visited_on=date(2025, 4, 1))
    admin = f.user("admin", Role.ADMIN)
    leader = f.user("leader", Role.LEADER, township=district["small"])
    f.commit()
    return dict(big=big, small=small, admin=admin, leader=leader)


def test_bulletin_figures_per_township_and_unit(answered, district):
    b = bulletin.bulletin(answered["admin"], MONTH)
    rows = {t.name: (t.sampled, t.called, t.reached, t.answered, t.satisfied, t.mostly, t.unsatisfied, t.mismatches)
            for t in b.townships}
    assert rows == {"大镇": (3, 3, 2, 2, 1, 1, 0, 0), "小镇": (1, 1, 1, 1, 0, 0, 1, 1)}
    assert b.townships[0].satisfaction_rate == 1.0 and b.townships[1].satisfaction_rate == 0.0
    assert (b.total.sampled, b.total.reached, b.total.mismatches) == (4, 3, 1)
    assert b.total.satisfaction_rate == pytest.approx(2 / 3)
    # every cadre has a unit of their own in the factories: one unit row per sampled household
    assert sum(u.sampled for u in b.units) == 4 and sum(u.mismatches for u in b.units) == 1
    assert {u.name for u in b.units} == {cb.cadre.unit.name for cb in answered["big"] + [answered["small"]]}


def test_bulletin_page_is_printable_and_scoped(client, auth, answered):
    auth.login("leader")
    html = client.get(f"/callbacks/bulletin?month={MONTH}").get_data(as_text=True)
    assert "2025年5月结对帮扶回访情况通报" in html and "小镇" in html and "大镇" not in html
    assert re.search(r"css/print\.[0-9a-f]{12}\.css", html) and "data-print" in html and "三、与走访记录不符的户" not in html
    auth.logout()
    auth.login("admin")
    html = client.get(f"/callbacks/bulletin?month={MONTH}").get_data(as_text=True)
    # 2 of 3 satisfied: 66 %, the one rounding rule of every page (relief.rates)
    assert "大镇" in html and "66%" in html and "66.7%" not in html and "三、与走访记录不符的户" in html


def test_callback_sheet_rows_for_the_year(answered, district):
    headers, rows = callback_sheet(answered["admin"], 2025)
    rows = list(rows)
    assert headers[:5] == ["月份", "乡镇", "村", "户主姓名", "联系电话"] and len(rows) == 4
    by_name = {r[3]: dict(zip(headers, r)) for r in rows}
    small = by_name[answered["small"].household.head_name]
    assert small["联系电话"] == "138****5678" and small["是否接通"] == "是" and small["满意度"] == "不满意"
    assert small["回访时间"] == "2025-05-20 10:00" and small["干部近三个月是否走访"] == "否"
    assert small["与走访记录不符"] == "是" and small["记录的走访日期"] == "2025-04-01"
    assert small["备注"] == "=HYPERLINK(\"x\")" and isinstance(small["备注"], str)
    unreached = [r for r in rows if r[8] == "否"]
    assert len(unreached) == 1 and unreached[0][12] == "" and unreached[0][14] == ""
    _, full = callback_sheet(answered["admin"], 2025, full_ids=True)
    assert {r[4] for r in full} == {"13812345678"}
    assert list(callback_sheet(answered["admin"], 2024)[1]) == []
    assert [r[1] for r in callback_sheet(answered["leader"], 2025)[1]] == ["小镇"]
    assert [r[1] for r in callback_sheet(answered["admin"], 2025, district["small"].id)[1]] == ["小镇"]


def test_a_mismatch_links_to_each_recorded_visit(client, auth, f, call):
    visit = f.visit(call["cadre"], call["household"], visited_on=date(2025, 4, 3), notes="送米面油")
    call["answer"](Answer.NO)
    f.user("insp", Role.INSPECTOR)
    f.commit()
    auth.login("insp")
    html = client.get("/callbacks/mismatches?year=2025").get_data(as_text=True)
    assert f'href="/visits/{visit.id}"' in html
    assert client.get(f"/visits/{visit.id}").status_code == 200
